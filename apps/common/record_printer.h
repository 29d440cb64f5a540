// How kds-get and kds-tail print records: the data followed by a delimiter (default), a kcat-style
// template (-f), or one JSON object per line with AWS's field names (--output json).
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "kds/shard_reader.h"

namespace kds::cli {

struct OutputRecord {
  std::string_view stream;
  uint32_t shard_index = 0;
  uint64_t offset = 0;
  int64_t arrival_ms = 0;
  std::string_view key;
  std::string_view data;
  bool encrypted = false;
  // A record read from an endpoint (remote mode) has its shard id and sequence number as text, and these
  // replace shard_index and offset.
  std::string_view shard_id;
  std::string_view sequence_number;
};

// A record read from the local store.
OutputRecord output_record(std::string_view stream, uint32_t shard_index, const ReadRecord& record);

// The options behind a printer, shared by every tool that prints records.
struct RecordOutputOptions {
  std::string delimiter = "\\n";
  bool nul = false;
  std::string format;
  std::string output = "text";
  bool unbuffered = false;
};
void add_record_output_options(CLI::App& app, RecordOutputOptions* options);

class RecordPrinter {
 public:
  // Builds the printer the options ask for; throws UsageError for conflicting or malformed options.
  static RecordPrinter from_options(const CLI::App& app, const RecordOutputOptions& options);

  // Appends the formatted record to `out`.
  void print(const OutputRecord& record, std::string* out) const;

 private:
  enum class Mode { kData, kTemplate, kJson };
  enum class Token { kLiteral, kData, kDataSize, kKey, kKeySize, kStream, kShard, kSequence, kTimestamp };
  struct Part {
    Token token;
    std::string literal;
  };

  Mode mode_ = Mode::kData;
  std::string delimiter_ = "\n";
  std::vector<Part> parts_;
};

}  // namespace kds::cli
