// A shard's summary for `kds-describe-stream`: its offsets, size and arrival times, read without scanning
// the whole shard.
#pragma once

#include <cstdint>
#include <optional>

#include "kds/file.h"
#include "kds/status.h"

namespace kds {

// What `kds-describe-stream` shows per shard: the local answer to CloudWatch's shard metrics.
struct ShardSummary {
  uint64_t first_offset = 0;  // oldest stored record
  uint64_t next_offset = 0;   // offset after the newest stored record
  uint64_t bytes_on_disk = 0;
  uint64_t segments = 0;
  std::optional<int64_t> oldest_arrival_ms;
  std::optional<int64_t> newest_arrival_ms;
  uint64_t records() const { return next_offset - first_offset; }
};

// Reads the first unexpired batch and the tail of the newest segment; cost independent of the shard's
// size. Records that arrived before `expire_before_ms` are not counted.
Result<ShardSummary> summarize_shard(const Dir& shard, int64_t expire_before_ms = INT64_MIN);

}  // namespace kds
