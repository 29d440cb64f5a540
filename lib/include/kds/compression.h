// Compression at rest: each batch's payload is one zstd frame (never per record: 100-byte records do not
// compress alone). Contexts are reused, so memory stays bounded whatever the input.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "kds/status.h"

namespace kds {

inline constexpr int kMinZstdLevel = 1;
inline constexpr int kMaxZstdLevel = 19;

class Compressor {
 public:
  explicit Compressor(int level);
  ~Compressor();
  Compressor(const Compressor&) = delete;
  Compressor& operator=(const Compressor&) = delete;
  // Replaces `out` with one zstd frame holding `input`.
  Status compress(std::string_view input, std::string* out);

 private:
  struct Context;
  std::unique_ptr<Context> context_;
  int level_;
};

class Decompressor {
 public:
  Decompressor();
  ~Decompressor();
  Decompressor(const Decompressor&) = delete;
  Decompressor& operator=(const Decompressor&) = delete;
  // Replaces `out` with the content of the frame `input`, which must be exactly `size` bytes; false when
  // the frame is not valid zstd or has another size.
  bool decompress(std::string_view input, size_t size, std::string* out);

 private:
  struct Context;
  std::unique_ptr<Context> context_;
};

// Parses "zstd", "zstd:LEVEL" or "none" into a level (0 for none); nullopt-like -1 for anything else.
int parse_compression(std::string_view text);
// "zstd:3" or "none".
std::string compression_text(int level);

}  // namespace kds
