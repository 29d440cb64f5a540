#include "kds/reshard.h"

#include <algorithm>
#include <cerrno>
#include <map>
#include <memory>

#include <fmt/format.h>

#include "kds/clock.h"
#include "kds/crash_point.h"
#include "kds/errors.h"
#include "kds/shard_writer.h"
#include "kds/validate.h"

namespace kds {

namespace {

Error already_closed(uint32_t shard, std::string_view stream) {
  return Error(
      Errc::kInvalidArgument,
      fmt::format("Shard {} in stream {} under account {} has already been merged or split, and thus is not "
                  "eligible for merging or splitting.",
                  shard_id_string(shard), stream, account_id()));
}

// One control operation on a stream: holds the control lock, the append locks of the shards it closes,
// and the metadata it is building.
class Change {
 public:
  static Result<Change> begin(const Store& store, std::string_view name, Reporter* reporter) {
    KDS_ASSIGN(Stream stream, store.open_stream(name));
    KDS_ASSIGN(Fd control, stream.lock_control());
    return Change(std::move(stream), std::move(control), reporter);
  }

  const StreamMeta& meta() const { return meta_; }
  const std::string& name() const { return meta_.name; }

  // The open shard a user named, or the error Kinesis gives.
  Result<const ShardMeta*> open_shard(std::string_view text) const {
    auto index = parse_shard_id(text);
    const ShardMeta* shard = index ? meta_.find_shard(*index) : nullptr;
    if (shard == nullptr) return shard_not_found(text, meta_.name);
    if (!shard->is_open()) return already_closed(shard->index, meta_.name);
    return shard;
  }

  // Closes an open shard: waits for its appends to finish and records where it ends.
  Status close(uint32_t index) {
    ShardMeta* shard = find(index);
    KDS_ASSIGN(Dir dir, stream_.open_shard_dir(index));
    ShardWriter writer(std::move(dir), SegmentPolicy{}, reporter_, false);
    KDS_ASSIGN(WriterState state, writer.lock());
    held_.push_back(writer.release_lock());
    shard->end_offset = state.next_offset;
    shard->closed_ms = std::max(now_, state.last_arrival_ms);
    // The shard expires (Kinesis stops listing it) once its newest record has.
    shard->last_arrival_ms = state.next_offset > 0 ? state.last_arrival_ms : *shard->closed_ms;
    crash_point("reshard.shard-locked");
    return {};
  }

  // Adds a shard with the next index; returns its index.
  uint32_t add(HashKeyRange range, std::optional<uint32_t> parent, std::optional<uint32_t> adjacent) {
    ShardMeta shard;
    shard.index = meta_.next_shard_index++;
    shard.range = range;
    shard.parent = parent;
    shard.adjacent_parent = adjacent;
    shard.created_ms = now_;
    meta_.shards.push_back(shard);
    return shard.index;
  }

  // A shard created by this change and closed again at once (an intermediate step of a scaling).
  void close_new(uint32_t index) {
    ShardMeta* shard = find(index);
    shard->end_offset = 0;
    shard->closed_ms = now_;
    shard->last_arrival_ms = now_;
  }

  ShardMeta* find(uint32_t index) {
    auto it = std::lower_bound(meta_.shards.begin(), meta_.shards.end(), index,
                               [](const ShardMeta& shard, uint32_t value) { return shard.index < value; });
    return it != meta_.shards.end() && it->index == index ? &*it : nullptr;
  }

  // Creates the new shards' directories and publishes the metadata, then lets appends continue.
  Status commit() {
    for (uint32_t index = first_new_index_; index < meta_.next_shard_index; ++index) {
      Status made = stream_.dir().make_dir(shard_id_string(index));
      // A directory left by a reshard that crashed before publishing is empty and can be reused.
      if (!made.ok() && made.error().sys_errno() != EEXIST) return made;
    }
    crash_point("reshard.dirs-made");
    KDS_TRY(stream_.dir().sync());
    KDS_TRY(stream_.write_meta(meta_));
    crash_point("reshard.published");
    held_.clear();
    return {};
  }

 private:
  Change(Stream stream, Fd control, Reporter* reporter)
      : stream_(std::move(stream)),
        control_(std::move(control)),
        reporter_(reporter),
        meta_(stream_.meta()),
        first_new_index_(meta_.next_shard_index),
        now_(now_ms()) {}

  Stream stream_;
  Fd control_;
  Reporter* reporter_;
  StreamMeta meta_;
  uint32_t first_new_index_;
  int64_t now_;
  std::vector<Fd> held_;  // locked writer.lock files of the shards being closed
};

}  // namespace

Result<SplitResult> split_shard(const Store& store, std::string_view stream, std::string_view shard_text,
                                std::optional<std::string_view> new_starting_hash_key, Reporter* reporter) {
  KDS_TRY(validate_stream_name(stream));
  std::optional<u128> key;
  if (new_starting_hash_key) {
    const std::string_view text = *new_starting_hash_key;
    const bool pattern_ok =
        !text.empty() && text.size() <= 39 && (text == "0" || text[0] != '0') &&
        std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!pattern_ok) {
      return validation_error({{text, "newStartingHashKey",
                                "Member must satisfy regular expression pattern: 0|([1-9]\\d{0,38})"}});
    }
    key = parse_decimal_u128(text);
    if (!key) key = kMaxHashKey;  // above the key space: fails the range check below with the user's text
  }
  KDS_ASSIGN(Change change, Change::begin(store, stream, reporter));
  KDS_ASSIGN(const ShardMeta* parent, change.open_shard(shard_text));
  const HashKeyRange range = parent->range;
  const uint32_t parent_index = parent->index;
  const u128 split_at = key ? *key : range.start + (range.end - range.start) / 2;
  const bool fits = range.end - range.start >= 3 && split_at >= range.start + 2 && split_at <= range.end - 1;
  if (!fits) {
    const std::string shown =
        new_starting_hash_key ? std::string(*new_starting_hash_key) : to_decimal(split_at);
    return Error(
        Errc::kInvalidArgument,
        fmt::format("NewStartingHashKey {} used in SplitShard() on shard {} in stream {} under account {} is "
                    "not both greater than one plus the shard's StartingHashKey {} and less than the shard's "
                    "EndingHashKey {}.",
                    shown, shard_id_string(parent_index), stream, account_id(), to_decimal(range.start),
                    to_decimal(range.end)));
  }
  KDS_TRY(change.close(parent_index));
  SplitResult result;
  result.lower = change.add({range.start, split_at - 1}, parent_index, std::nullopt);
  result.upper = change.add({split_at, range.end}, parent_index, std::nullopt);
  KDS_TRY(change.commit());
  return result;
}

Result<uint32_t> merge_shards(const Store& store, std::string_view stream, std::string_view shard_text,
                              std::string_view adjacent_text, Reporter* reporter) {
  KDS_TRY(validate_stream_name(stream));
  KDS_ASSIGN(Change change, Change::begin(store, stream, reporter));
  KDS_ASSIGN(const ShardMeta* first, change.open_shard(shard_text));
  KDS_ASSIGN(const ShardMeta* second, change.open_shard(adjacent_text));
  const uint32_t first_index = first->index;
  const uint32_t second_index = second->index;
  if (first->range.end == kMaxHashKey || first->range.end + 1 != second->range.start) {
    return Error(
        Errc::kInvalidArgument,
        fmt::format("Shards {} and {} in stream {} under account {} are not an adjacent pair of shards "
                    "eligible for merging",
                    shard_id_string(first_index), shard_id_string(second_index), stream, account_id()));
  }
  const HashKeyRange range{first->range.start, second->range.end};
  // Lock in index order, as every multi-shard change does, so two changes cannot deadlock.
  KDS_TRY(change.close(std::min(first_index, second_index)));
  KDS_TRY(change.close(std::max(first_index, second_index)));
  const uint32_t child = change.add(range, first_index, second_index);
  KDS_TRY(change.commit());
  return child;
}

namespace {

Status check_target_shard_count(int64_t target) {
  if (target < 1) {
    return validation_error(
        {{std::to_string(target), "targetShardCount", "Member must have value greater than or equal to 1"}});
  }
  if (target > kMaxOpenShards) {
    return Error(Errc::kLimitExceeded,
                 fmt::format("Target shard count {} exceeds the limit of {} open shards per "
                             "stream",
                             target, kMaxOpenShards));
  }
  return {};
}

// A uniform scaling as one Change: the open shards by starting hash key, moved towards `targets` by
// splits at the targets' boundaries and then merges within each target.
class Scaling {
 public:
  Scaling(Change& change, std::vector<HashKeyRange> targets)
      : change_(change), targets_(std::move(targets)), first_new_(change.meta().next_shard_index) {
    for (const ShardMeta* shard : change.meta().open_shards())
      open_[shard->range.start] = shard->index;
  }

  // Closes, in index order (see merge_shards) and before any child is added, the open shards whose range
  // is not a target's; returns how many.
  Result<size_t> close_changed_shards() {
    std::vector<uint32_t> to_close;
    for (const auto& [start, index] : open_) {
      const HashKeyRange range = change_.find(index)->range;
      const auto it =
          std::lower_bound(targets_.begin(), targets_.end(), range,
                           [](const HashKeyRange& t, const HashKeyRange& r) { return t.start < r.start; });
      if (it == targets_.end() || !(*it == range)) to_close.push_back(index);
    }
    std::sort(to_close.begin(), to_close.end());
    for (uint32_t index : to_close)
      KDS_TRY(change_.close(index));
    return to_close.size();
  }

  // Cuts every open shard at each target boundary strictly inside it.
  void split_at_boundaries() {
    for (size_t t = 1; t < targets_.size(); ++t) {
      const u128 boundary = targets_[t].start;
      auto it = open_.upper_bound(boundary);
      if (it == open_.begin()) continue;
      --it;
      const uint32_t index = it->second;
      const HashKeyRange range = change_.find(index)->range;
      if (range.start == boundary) continue;
      retire(index);
      const uint32_t lower = change_.add({range.start, boundary - 1}, index, std::nullopt);
      const uint32_t upper = change_.add({boundary, range.end}, index, std::nullopt);
      open_.erase(it);
      open_[range.start] = lower;
      open_[boundary] = upper;
    }
  }

  // Within each target range, merges neighbours left to right until one shard remains.
  void merge_within_targets() {
    for (const HashKeyRange& want : targets_) {
      for (;;) {
        auto first = open_.find(want.start);
        const HashKeyRange first_range = change_.find(first->second)->range;
        if (first_range.end == want.end) break;
        auto second = std::next(first);
        const uint32_t a = first->second;
        const uint32_t b = second->second;
        const HashKeyRange second_range = change_.find(b)->range;
        retire(a);
        retire(b);
        const uint32_t child = change_.add({first_range.start, second_range.end}, a, b);
        open_.erase(second);
        open_[want.start] = child;
      }
    }
  }

  std::vector<uint32_t> open_shards() const {
    std::vector<uint32_t> result;
    for (const auto& [start, index] : open_)
      result.push_back(index);
    return result;
  }

 private:
  // Originals being replaced were closed under their locks; shards made by this change are closed by
  // marking them.
  void retire(uint32_t index) {
    if (index >= first_new_) change_.close_new(index);
  }

  Change& change_;
  const std::vector<HashKeyRange> targets_;
  const uint32_t first_new_;
  std::map<u128, uint32_t> open_;  // by starting hash key
};

}  // namespace

Result<std::vector<uint32_t>> update_shard_count(const Store& store, std::string_view stream, int64_t target,
                                                 Reporter* reporter) {
  KDS_TRY(validate_stream_name(stream));
  KDS_TRY(check_target_shard_count(target));
  raise_descriptor_limit();
  KDS_ASSIGN(Change change, Change::begin(store, stream, reporter));
  Scaling scaling(change, uniform_hash_ranges(static_cast<uint32_t>(target)));
  KDS_ASSIGN(size_t closed, scaling.close_changed_shards());
  if (closed == 0) return scaling.open_shards();  // already that many shards of equal size
  scaling.split_at_boundaries();
  scaling.merge_within_targets();
  KDS_TRY(change.commit());
  return scaling.open_shards();
}

}  // namespace kds
