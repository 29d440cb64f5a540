#include "kds/retention.h"

#include <fcntl.h>

#include <algorithm>

#include "kds/clock.h"
#include "kds/crash_point.h"
#include "kds/shard_writer.h"
#include "kds/validate.h"

namespace kds {

namespace {

// Under the control lock: removes expired closed shards from the metadata, then their directories (the
// metadata first, so a crash in between leaves only unlisted directories), then applies segment
// retention to the shards that remain.
Status collect_locked(Stream& stream, Reporter* reporter) {
  const int64_t now = now_ms();
  StreamMeta meta = stream.meta();
  std::vector<uint32_t> expired;
  std::erase_if(meta.shards, [&](const ShardMeta& shard) {
    const bool gone = stream.meta().shard_expired(shard, now);
    if (gone) expired.push_back(shard.index);
    return gone;
  });
  if (!expired.empty()) {
    KDS_TRY(stream.write_meta(meta));
    crash_point("retention.shards-unlisted");
  }
  // Directories of shards stream.json does not list: just unlisted above, or left by a crash here or in
  // a reshard that never published them (the control lock keeps a reshard in progress out).
  KDS_ASSIGN(auto unlisted, unlisted_shard_dirs(stream));
  for (const auto& name : unlisted)
    KDS_TRY(stream.dir().remove_tree(name));
  if (!unlisted.empty()) KDS_TRY(stream.dir().sync());
  const SegmentPolicy policy = stream.segment_policy();
  for (const auto& shard : stream.meta().shards) {
    KDS_ASSIGN(Dir dir, stream.open_shard_dir(shard.index));
    ShardWriter writer(std::move(dir), policy, reporter, false);
    KDS_TRY(writer.apply_retention());
  }
  return {};
}

}  // namespace

Result<std::vector<std::string>> unlisted_shard_dirs(const Stream& stream) {
  KDS_ASSIGN(auto names, stream.dir().list());
  std::vector<std::string> unlisted;
  for (const auto& name : names) {
    auto index = parse_shard_id(name);
    if (name.starts_with("shardId-") && index && name == shard_id_string(*index) &&
        stream.meta().find_shard(*index) == nullptr) {
      unlisted.push_back(name);
    }
  }
  return unlisted;
}

Status set_retention(const Store& store, std::string_view name, int64_t hours,
                     std::optional<uint64_t> max_bytes, Reporter* reporter) {
  KDS_TRY(validate_stream_name(name));
  KDS_TRY(validate_retention_hours(hours));
  KDS_ASSIGN(Stream stream, store.open_stream(name));
  KDS_ASSIGN(Fd control, stream.lock_control());
  StreamMeta meta = stream.meta();
  // What has expired under the old period stays expired (Kinesis does not bring records back).
  meta.trim_before_ms = meta.expiry_boundary_ms(now_ms());
  meta.retention_hours = hours;
  if (max_bytes) meta.max_shard_bytes = *max_bytes;
  KDS_TRY(stream.write_meta(meta));
  return collect_locked(stream, reporter);
}

Status collect_garbage(const Store& store, std::string_view name, Reporter* reporter, bool wait) {
  KDS_ASSIGN(Stream stream, store.open_stream(name));
  if (!wait) {
    // A lock that cannot be taken for any reason means the same as one held: skip, never fail.
    KDS_ASSIGN(auto control, stream.try_lock_control());
    if (!control) return {};
    return collect_locked(stream, reporter);
  }
  KDS_ASSIGN(Fd control, stream.lock_control());
  return collect_locked(stream, reporter);
}

}  // namespace kds
