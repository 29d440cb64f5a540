// A shard's summary (shard_summary.h).
#include "kds/shard_summary.h"

#include <sys/stat.h>

#include "kds/segment.h"
#include "kds/shard_reader.h"

namespace kds {

Result<ShardSummary> summarize_shard(const Dir& shard, int64_t expire_before_ms) {
  ShardSummary summary;
  KDS_ASSIGN(auto names, shard.list());
  for (const auto& name : names) {
    auto st = shard.stat_entry(name);
    if (st.ok() && S_ISREG(st->st_mode)) summary.bytes_on_disk += static_cast<uint64_t>(st->st_size);
  }
  KDS_ASSIGN(auto bases, list_segments(shard));
  summary.segments = bases.size();
  if (bases.empty()) return summary;
  summary.first_offset = summary.next_offset = bases.front();
  // The newest segment may be empty right after a roll; then the one before holds the newest record.
  for (size_t i = bases.size(); i-- > 0;) {
    KDS_ASSIGN(ScanResult tail, scan_segment_tail(shard, bases[i]));
    if (i + 1 == bases.size()) summary.next_offset = tail.next_offset;
    if (tail.last_arrival_ms >= 0) {
      summary.newest_arrival_ms = tail.last_arrival_ms;
      break;
    }
  }
  // The oldest record still visible: the first one at or after the expiry boundary.
  KDS_ASSIGN(Dir again, shard.open_dir("."));
  ShardReader reader(std::move(again), nullptr);
  reader.set_expiry(expire_before_ms);
  KDS_TRY(reader.seek_timestamp(expire_before_ms));
  KDS_ASSIGN(auto first, reader.next_header());
  if (first) {
    summary.first_offset = first->first_offset;
    summary.oldest_arrival_ms = first->arrival_ms;
  } else {
    summary.first_offset = summary.next_offset;
    summary.newest_arrival_ms.reset();
  }
  return summary;
}

}  // namespace kds
