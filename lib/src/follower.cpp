#include "kds/follower.h"

#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <tuple>

#include "kds/clock.h"
#include "kds/shard_summary.h"

namespace kds {

namespace {
constexpr uint32_t kShardEvents = IN_MODIFY | IN_CREATE | IN_MOVED_TO;
constexpr uint32_t kStreamEvents = IN_CREATE | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF;
}  // namespace

Result<std::map<uint32_t, uint64_t>> last_records_start(const Stream& stream,
                                                        const std::vector<uint32_t>& shards, uint64_t count) {
  // (arrival, shard, offset) of each shard's last `count` records; the newest `count` of them overall.
  std::vector<std::tuple<int64_t, uint32_t, uint64_t>> candidates;
  std::map<uint32_t, uint64_t> starts;
  std::vector<ReadRecord> records;
  for (uint32_t index : shards) {
    KDS_ASSIGN(Dir dir, stream.open_shard_dir(index));
    KDS_ASSIGN(ShardSummary summary, summarize_shard(dir, stream.meta().expiry_boundary_ms(now_ms())));
    starts[index] = summary.next_offset;
    if (count == 0 || summary.records() == 0) continue;
    // Damage found here is reported once, by the follower that reads the same records next.
    KDS_ASSIGN(ShardReader reader, stream.open_reader(index, nullptr));
    KDS_TRY(reader.seek_offset(summary.next_offset - std::min(count, summary.records())));
    for (;;) {
      KDS_ASSIGN(bool more, reader.next_batch(&records));
      if (!more) break;
      for (const auto& record : records)
        candidates.emplace_back(record.arrival_ms, index, record.offset);
    }
  }
  std::sort(candidates.begin(), candidates.end());
  const size_t keep = static_cast<size_t>(std::min<uint64_t>(count, candidates.size()));
  for (size_t i = candidates.size() - keep; i < candidates.size(); ++i) {
    auto& start = starts[std::get<1>(candidates[i])];
    start = std::min(start, std::get<2>(candidates[i]));
  }
  return starts;
}

Result<StreamFollower> StreamFollower::open(Stream stream, FollowPlan plan, Reporter* reporter) {
  // Without inotify (a file system that lacks it, or the limit on instances reached) the follower polls.
  Fd inotify(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
  StreamFollower follower(std::move(stream), std::move(plan), reporter, std::move(inotify));
  if (follower.inotify_.valid()) {
    follower.stream_watch_ =
        ::inotify_add_watch(follower.inotify_.get(), follower.stream_.dir().path().c_str(), kStreamEvents);
  }
  for (uint32_t index : follower.plan_.scope) {
    if (follower.stream_.meta().find_shard(index) == nullptr) continue;
    Tracked& shard = follower.tracked_[index];
    shard.index = index;
    if (auto it = follower.plan_.starts.find(index); it != follower.plan_.starts.end())
      shard.start = it->second;
  }
  return follower;
}

StreamFollower::StreamFollower(Stream stream, FollowPlan plan, Reporter* reporter, Fd inotify)
    : stream_(std::move(stream)), plan_(std::move(plan)), reporter_(reporter), inotify_(std::move(inotify)) {}

StreamFollower::StreamFollower(StreamFollower&&) noexcept = default;
StreamFollower::~StreamFollower() = default;

bool StreamFollower::finished() const {
  return tracked_.empty();
}

Status StreamFollower::refresh_metadata() {
  KDS_TRY(stream_.refresh());
  adopt_new_shards();
  std::vector<uint32_t> removed;
  for (auto& [index, shard] : tracked_) {
    const ShardMeta* meta = stream_.meta().find_shard(index);
    if (meta == nullptr) removed.push_back(index);  // expired and removed by retention
    if (meta != nullptr && !meta->is_open() && !shard.closed_seen) {
      shard.closed_seen = true;
      shard.dirty = true;
    }
  }
  for (uint32_t index : removed)
    finish(index);
  return {};
}

void StreamFollower::adopt_new_shards() {
  if (!plan_.follow_children) return;
  // Shards come in index order and children have higher indexes than parents, so one pass suffices.
  for (const auto& meta : stream_.meta().shards) {
    if (plan_.scope.count(meta.index) > 0) continue;
    const bool child = (meta.parent && plan_.scope.count(*meta.parent) > 0) ||
                       (meta.adjacent_parent && plan_.scope.count(*meta.adjacent_parent) > 0);
    if (!child) continue;
    plan_.scope.insert(meta.index);
    Tracked& shard = tracked_[meta.index];
    shard.index = meta.index;
  }
}

bool StreamFollower::eligible(uint32_t index) const {
  const ShardMeta* meta = stream_.meta().find_shard(index);
  if (meta == nullptr) return false;
  for (auto parent : {meta->parent, meta->adjacent_parent}) {
    if (parent && plan_.scope.count(*parent) > 0 && drained_.count(*parent) == 0) return false;
  }
  return true;
}

Status StreamFollower::start(Tracked& shard) {
  const ShardMeta* meta = stream_.meta().find_shard(shard.index);
  if (inotify_.valid()) {
    const std::string path = stream_.dir().path_of(shard_id_string(shard.index));
    shard.watch = ::inotify_add_watch(inotify_.get(), path.c_str(), kShardEvents);
    if (shard.watch >= 0) watches_[shard.watch] = shard.index;
  }
  KDS_ASSIGN(ShardReader reader, stream_.open_reader(shard.index, reporter_));
  shard.reader = std::make_unique<ShardReader>(std::move(reader));
  ++open_readers_;
  KDS_TRY(shard.reader->seek(shard.start));
  shard.next_offset = shard.reader->next_offset();
  shard.started = true;
  shard.dirty = true;
  shard.closed_seen = meta != nullptr && !meta->is_open();
  shard.last_use = ++clock_;
  if (open_readers_ > kMaxOpenReaders) drop_idle_reader(shard.index);
  return {};
}

// Closes the reader of the least recently used shard that has nothing pending; it reopens at its offset.
void StreamFollower::drop_idle_reader(uint32_t keep) {
  Tracked* victim = nullptr;
  for (auto& [index, shard] : tracked_) {
    if (!shard.reader || !shard.pending.empty() || index == keep) continue;
    if (victim == nullptr || shard.last_use < victim->last_use) victim = &shard;
  }
  if (victim == nullptr) return;
  victim->next_offset = victim->reader->next_offset();
  victim->reader.reset();
  --open_readers_;
}

Status StreamFollower::fetch(Tracked& shard) {
  shard.last_use = ++clock_;  // before any drop below, so this shard's reader is never the one dropped
  if (!shard.reader) {
    KDS_ASSIGN(ShardReader reader, stream_.open_reader(shard.index, reporter_));
    shard.reader = std::make_unique<ShardReader>(std::move(reader));
    ++open_readers_;
    KDS_TRY(shard.reader->seek_offset(shard.next_offset));
    if (open_readers_ > kMaxOpenReaders) drop_idle_reader(shard.index);
  }
  KDS_ASSIGN(bool more, shard.reader->next_batch(&shard.pending));
  if (more) {
    shard.next_offset = shard.pending.back().offset + 1;
    return {};
  }
  shard.dirty = false;
  shard.next_offset = std::max(shard.next_offset, shard.reader->next_offset());
  // Appends to a shard finish before a reshard publishes it as closed, so after the metadata says closed
  // an empty read means the shard is drained.
  if (shard.closed_seen) finish(shard.index);
  return {};
}

void StreamFollower::finish(uint32_t index) {
  auto it = tracked_.find(index);
  if (it == tracked_.end()) return;
  if (it->second.watch >= 0) {
    ::inotify_rm_watch(inotify_.get(), it->second.watch);
    watches_.erase(it->second.watch);
  }
  if (it->second.reader) --open_readers_;
  tracked_.erase(it);
  drained_.insert(index);
}

Result<uint64_t> StreamFollower::deliver_available(const Deliver& deliver) {
  if (meta_dirty_) {
    KDS_TRY(refresh_metadata());
    meta_dirty_ = false;
  }
  uint64_t delivered = 0;
  for (;;) {
    const size_t drained_before = drained_.size();
    std::vector<uint32_t> indexes;
    for (const auto& [index, shard] : tracked_)
      indexes.push_back(index);
    for (uint32_t index : indexes) {
      auto it = tracked_.find(index);
      if (it == tracked_.end()) continue;
      Tracked& shard = it->second;
      if (!shard.started) {
        if (!eligible(index)) continue;
        KDS_TRY(start(shard));
      }
      if (shard.dirty && shard.pending.empty()) KDS_TRY(fetch(shard));
    }
    Tracked* next = nullptr;
    for (auto& [index, shard] : tracked_) {
      if (shard.pending.empty()) continue;
      if (next == nullptr || shard.pending.front().arrival_ms < next->pending.front().arrival_ms)
        next = &shard;
    }
    if (next == nullptr) {
      if (drained_.size() != drained_before) continue;  // a drained parent may have made children eligible
      return delivered;
    }
    for (const auto& record : next->pending) {
      ++delivered;
      if (!deliver(next->index, record)) {
        // Resume after this record next time.
        next->next_offset = record.offset + 1;
        next->pending.clear();
        next->reader.reset();
        --open_readers_;
        next->dirty = true;
        return delivered;
      }
    }
    next->pending.clear();
    next->dirty = true;
  }
}

Result<bool> StreamFollower::wait(int timeout_ms, int watch_fd, int wake_fd) {
  pollfd fds[3] = {
      {inotify_.valid() ? inotify_.get() : -1, POLLIN, 0}, {watch_fd, 0, 0}, {wake_fd, POLLIN, 0}};
  const int ready = ::poll(fds, 3, timeout_ms);
  if (ready < 0) return false;  // a signal: let the caller look at it
  if ((fds[1].revents & (POLLERR | POLLHUP)) != 0 || (fds[2].revents & POLLIN) != 0) return true;
  if (ready > 0 && (fds[0].revents & POLLIN) != 0) {
    alignas(inotify_event) char buffer[16384];
    for (;;) {
      const ssize_t n = ::read(inotify_.get(), buffer, sizeof buffer);
      if (n <= 0) break;
      for (char* at = buffer; at < buffer + n;) {
        const auto* event = reinterpret_cast<const inotify_event*>(at);
        at += sizeof(inotify_event) + event->len;
        if ((event->mask & IN_Q_OVERFLOW) != 0) {
          meta_dirty_ = true;
          for (auto& [index, shard] : tracked_)
            shard.dirty = true;
        } else if (event->wd == stream_watch_) {
          meta_dirty_ = true;
        } else if (auto it = watches_.find(event->wd); it != watches_.end()) {
          if (auto shard = tracked_.find(it->second); shard != tracked_.end()) shard->second.dirty = true;
        }
      }
    }
    return false;
  }
  if (ready == 0) {
    // Timed out: the slow fallback that makes a missed event cost a delay, never a hang.
    meta_dirty_ = true;
    for (auto& [index, shard] : tracked_)
      shard.dirty = true;
  }
  return false;
}

}  // namespace kds
