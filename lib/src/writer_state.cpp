// The codec of `writer.lock` (docs/format.md §5).
#include "kds/writer_state.h"

#include "kds/bytes.h"
#include "kds/crc32c.h"

namespace kds {

namespace {

constexpr uint32_t kStateMagic = 0x5773646bu;  // bytes "kdsW"

}  // namespace

std::string encode_writer_state(const WriterState& state) {
  std::string bytes(kWriterStateSize, '\0');
  char* p = bytes.data();
  store<uint32_t>(p, kStateMagic);
  store<uint32_t>(p + 8, 1);
  store<uint32_t>(p + 12, state.flags);
  store<uint64_t>(p + 16, state.segment_base);
  store<uint64_t>(p + 24, state.end_position);
  store<uint64_t>(p + 32, state.next_offset);
  store<int64_t>(p + 40, state.last_arrival_ms);
  store<int64_t>(p + 48, state.segment_first_arrival_ms);
  store<uint64_t>(p + 56, state.index_entries);
  store<uint64_t>(p + 64, state.last_indexed_position);
  store<uint32_t>(p + 4, crc32c_mask(crc32c(p + 8, kWriterStateSize - 8)));
  return bytes;
}

std::optional<WriterState> decode_writer_state(std::string_view bytes) {
  if (bytes.size() < kWriterStateSize) return std::nullopt;
  const char* p = bytes.data();
  if (load<uint32_t>(p) != kStateMagic || load<uint32_t>(p + 8) != 1) return std::nullopt;
  if (crc32c_unmask(load<uint32_t>(p + 4)) != crc32c(p + 8, kWriterStateSize - 8)) return std::nullopt;
  WriterState state;
  state.flags = load<uint32_t>(p + 12);
  state.segment_base = load<uint64_t>(p + 16);
  state.end_position = load<uint64_t>(p + 24);
  state.next_offset = load<uint64_t>(p + 32);
  state.last_arrival_ms = load<int64_t>(p + 40);
  state.segment_first_arrival_ms = load<int64_t>(p + 48);
  state.index_entries = load<uint64_t>(p + 56);
  state.last_indexed_position = load<uint64_t>(p + 64);
  if (state.next_offset < state.segment_base) return std::nullopt;
  return state;
}

}  // namespace kds
