// The writer state: the contents of a shard's `writer.lock` (docs/format.md §5) and their codec. The
// state records where the shard's log ends; writers keep it up to date under the lock and check it
// against the log before trusting it (shard_writer.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kds {

struct WriterState {
  uint64_t segment_base = 0;
  uint64_t end_position = 0;  // end of valid data in the active segment
  uint64_t next_offset = 0;   // offset the next record gets
  int64_t last_arrival_ms = 0;
  int64_t segment_first_arrival_ms = 0;  // arrival of the active segment's first batch; 0 when it is empty
  uint64_t index_entries = 0;            // valid entries in the active segment's index
  uint64_t last_indexed_position = 0;
  uint32_t flags = 0;  // reserved, zero
  friend bool operator==(const WriterState&, const WriterState&) = default;
};
inline constexpr size_t kWriterStateSize = 80;
inline constexpr const char* kWriterLockName = "writer.lock";

// The kWriterStateSize bytes stored for `state`.
std::string encode_writer_state(const WriterState& state);
// The state stored in `bytes` (the start of the file; extra bytes are ignored), or nullopt when they are
// too short, have the wrong magic, version or checksum, or name a next offset below the segment base.
std::optional<WriterState> decode_writer_state(std::string_view bytes);

}  // namespace kds
