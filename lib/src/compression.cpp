#include "kds/compression.h"

#include <zstd.h>

#include <charconv>

namespace kds {

struct Compressor::Context {
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  ~Context() { ZSTD_freeCCtx(cctx); }
};

Compressor::Compressor() : context_(std::make_unique<Context>()) {}
Compressor::~Compressor() = default;
Compressor::Compressor(Compressor&&) noexcept = default;
Compressor& Compressor::operator=(Compressor&&) noexcept = default;

Status Compressor::compress(std::string_view input, int level, std::string* out) {
  out->resize(ZSTD_compressBound(input.size()));
  ZSTD_CCtx_setParameter(context_->cctx, ZSTD_c_compressionLevel, level);
  const size_t n = ZSTD_compress2(context_->cctx, out->data(), out->size(), input.data(), input.size());
  if (ZSTD_isError(n))
    return Error(Errc::kIo, std::string("zstd compression failed: ") + ZSTD_getErrorName(n));
  out->resize(n);
  return {};
}

struct Decompressor::Context {
  ZSTD_DCtx* dctx = ZSTD_createDCtx();
  ~Context() { ZSTD_freeDCtx(dctx); }
};

Decompressor::Decompressor() : context_(std::make_unique<Context>()) {}
Decompressor::~Decompressor() = default;

bool Decompressor::decompress(std::string_view input, size_t size, std::string* out) {
  out->resize(size);
  const size_t n = ZSTD_decompressDCtx(context_->dctx, out->data(), size, input.data(), input.size());
  return !ZSTD_isError(n) && n == size;
}

std::optional<int> parse_compression(std::string_view text) {
  if (text == "none") return 0;
  if (text == "zstd") return 3;
  if (text.substr(0, 5) != "zstd:") return std::nullopt;
  int level = 0;
  const auto digits = text.substr(5);
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), level);
  if (ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  // "zstd:0" would be zstd's default level to zstd, none to kds: neither, so it is refused.
  if (level == 0 || !valid_compression_level(level)) return std::nullopt;
  return level;
}

std::string compression_text(int level) {
  return level == 0 ? "none" : "zstd:" + std::to_string(level);
}

}  // namespace kds
