// Resharding: SplitShard, MergeShards and UpdateShardCount with Kinesis's rules and messages.
//
// A reshard changes metadata only; no record is copied. Under the stream's control lock it takes the
// append lock of every shard it closes (so the shard's end is final), records each closed shard's end
// offset, creates the children's directories, and replaces stream.json in one atomic rename. Appends in
// flight finish before it; appends after it see the new stream.json under their shard lock and go to the
// children. A crash leaves either the old metadata or the new, and at worst empty directories of shards
// that were never published (reused by the next reshard).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "kds/hash_key.h"
#include "kds/report.h"
#include "kds/status.h"
#include "kds/store.h"

namespace kds {

struct SplitResult {
  uint32_t lower = 0;  // [start, new_starting_hash_key - 1]
  uint32_t upper = 0;  // [new_starting_hash_key, end]
};

// Splits `shard` (an id as a user typed it) at `new_starting_hash_key` (decimal text), or at the midpoint
// (start + end) / 2 when it is absent.
Result<SplitResult> split_shard(const Store& store, std::string_view stream, std::string_view shard,
                                std::optional<std::string_view> new_starting_hash_key, Reporter* reporter);

// Merges `shard` with `adjacent`, whose range must start right after `shard`'s ends. Returns the child.
Result<uint32_t> merge_shards(const Store& store, std::string_view stream, std::string_view shard,
                              std::string_view adjacent, Reporter* reporter);

// Makes the stream have `target` open shards of equal size (CreateStream's ranges for `target`) through
// splits at the new boundaries and merges within each new range, each recorded with its lineage. The open
// shards already matching a target range stay as they are. Returns the open shards in hash-key order.
Result<std::vector<uint32_t>> update_shard_count(const Store& store, std::string_view stream, int64_t target,
                                                 Reporter* reporter);

}  // namespace kds
