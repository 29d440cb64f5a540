// Retention: the period records stay readable, a per-shard size cap, and the clean-up that reclaims disk.
//
// Expiry is exact at read time: readers skip records that arrived before StreamMeta::expiry_boundary_ms,
// whatever the segment layout. Disk space is reclaimed separately, by deleting whole segments (see
// SegmentPolicy) when writers append, when the retention changes, and on `kds-fsck --gc`; closed shards
// whose records have all expired are removed from stream.json and disk, as Kinesis stops listing them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kds/report.h"
#include "kds/status.h"
#include "kds/store.h"

namespace kds {

// Sets the retention period (24..8760 hours) and, when given, the per-shard size cap (0 = none). Records
// already expired under the old period stay expired after a raise. Then reclaims what the new settings
// allow.
Status set_retention(const Store& store, std::string_view stream, int64_t hours, std::optional<uint64_t> max_bytes,
                     Reporter* reporter);

// Shard directories stream.json does not list (expired shards being removed, or a reshard's unpublished
// children), by name.
Result<std::vector<std::string>> unlisted_shard_dirs(const Stream& stream);

// Deletes the segments retention allows in every shard and removes expired closed shards. With `wait`
// false it does nothing when another control operation holds the stream (used by kds-put on start).
Status collect_garbage(const Store& store, std::string_view stream, Reporter* reporter, bool wait = true);

}  // namespace kds
