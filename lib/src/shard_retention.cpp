// Segment retention of one shard: deleting the oldest segments once their records have expired or the
// shard is over its size cap (SegmentPolicy). ShardWriter member functions, run under the shard lock; the
// rest of ShardWriter is in shard_writer.cpp.
#include <algorithm>

#include "kds/clock.h"
#include "kds/crash_point.h"
#include "kds/shard_writer.h"

namespace kds {

int64_t SegmentPolicy::expiry_boundary_ms(int64_t now_ms) const {
  return retention_ms > 0 ? std::max(trim_before_ms, now_ms - retention_ms) : trim_before_ms;
}

Status ShardWriter::enforce_retention() {
  const int64_t now = now_ms();
  last_retention_ms_ = now;
  const int64_t boundary = policy_.expiry_boundary_ms(now);
  // A newest segment whose records have all expired cannot be deleted while it is the newest: roll it.
  if (state_.end_position > 0 && state_.last_arrival_ms < boundary) {
    if (!segment_.is_open()) KDS_TRY(open_segment(state_.segment_base, true));
    KDS_TRY(roll());
  }
  KDS_ASSIGN(auto bases, list_segments(shard_));
  KDS_TRY(remove_orphan_indexes(shard_, bases));
  std::vector<uint64_t> sizes;
  uint64_t total = 0;
  for (uint64_t base : bases) {
    uint64_t size = 0;
    for (const std::string& name : {segment_file_name(base), index_file_name(base)}) {
      auto st = shard_.stat_entry(name);
      if (st.ok()) size += static_cast<uint64_t>(st->st_size);
    }
    sizes.push_back(size);
    total += size;
  }
  bool deleted = false;
  for (size_t i = 0; i + 1 < bases.size() && bases[i] != state_.segment_base; ++i) {
    const bool over_cap = policy_.max_shard_bytes > 0 && total > policy_.max_shard_bytes;
    if (!over_cap) {
      // A segment whose tail cannot be read (damage) is left for kds-fsck to report, not deleted.
      auto tail = scan_segment_tail(shard_, bases[i]);
      if (!tail.ok() || tail->last_arrival_ms < 0 || tail->last_arrival_ms >= boundary) break;
    }
    // Readers that have the segment open keep reading it: unlink leaves open descriptors valid. The log
    // goes first: an index left behind by a crash is an orphan the next pass removes.
    KDS_TRY(shard_.unlink(segment_file_name(bases[i])));
    crash_point("retention.log-deleted");
    KDS_TRY(shard_.unlink(index_file_name(bases[i])));
    total -= sizes[i];
    deleted = true;
  }
  if (deleted) KDS_TRY(shard_.sync());
  return {};
}

Status ShardWriter::apply_retention() {
  KDS_TRY(acquire());
  UnlockAtExit unlock_at_exit{this};
  KDS_TRY(load_state());
  return enforce_retention();
}

}  // namespace kds
