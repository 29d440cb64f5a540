// Following a stream as it grows: the reader behind kds-tail.
//
// A follower reads a set of shards (the scope) and delivers their records in arrival-time order across
// shards, each shard's records in offset order. It follows lineage: a shard is read only once every parent
// of it in scope has been drained (a closed shard read to its end), so each partition key's records come
// out in the order they were put across splits and merges; children of shards in scope join the scope as
// reshards create them. It waits with inotify on the stream directory and the directories of the shards it
// reads (an append is a write(2) to a file there), with a timed fallback so a missed event only delays.
// Shards are read lazily and at most kMaxOpenReaders stay open, so hundreds of shards cost few
// descriptors.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <vector>

#include "kds/file.h"
#include "kds/report.h"
#include "kds/shard_reader.h"
#include "kds/status.h"
#include "kds/store.h"

namespace kds {

struct FollowPlan {
  std::set<uint32_t> scope;              // shards to read
  std::map<uint32_t, ReadStart> starts;  // where to start; shards of the scope not listed start at offset 0
  bool follow_children = true;           // children of shards in scope join it
};

// The first offset, per shard of `shards`, of the last `count` records of those shards by arrival time.
// Shards with none of them map to their end. Damage met on the way is not reported here.
Result<std::map<uint32_t, uint64_t>> last_records_start(const Stream& stream,
                                                        const std::vector<uint32_t>& shards, uint64_t count);

class StreamFollower {
 public:
  static constexpr size_t kMaxOpenReaders = 128;

  // `reporter` (may be null) must outlive the follower.
  static Result<StreamFollower> open(Stream stream, FollowPlan plan, Reporter* reporter);
  ~StreamFollower();
  StreamFollower(StreamFollower&&) noexcept;
  StreamFollower& operator=(StreamFollower&&) = delete;

  // Delivers every record available now. `deliver` returns false to stop early. Returns the number of
  // records delivered. Fails with ResourceNotFoundException once the stream has been deleted.
  using Deliver = std::function<bool(uint32_t shard_index, const ReadRecord& record)>;
  Result<uint64_t> deliver_available(const Deliver& deliver);

  // Waits until a shard or the stream may have changed, or `timeout_ms` passes, or a signal arrives, or
  // `watch_fd` (if >= 0; e.g. standard output) reports an error or hang-up, or `wake_fd` (if >= 0; e.g.
  // an eventfd) is readable; those two make it return true: a follower writing into a pipe whose reader
  // has gone should stop even while no record arrives, and another thread may want it to stop.
  Result<bool> wait(int timeout_ms, int watch_fd = -1, int wake_fd = -1);

  // True when nothing in scope can produce more records (every shard closed and drained).
  bool finished() const;
  // Whether wait() is woken by inotify; without it (a file system that lacks it, or the per-user limit on
  // instances reached) it only times out.
  bool watching() const { return inotify_.valid(); }

 private:
  struct Tracked {
    uint32_t index = 0;
    ReadStart start;
    bool started = false;
    bool closed_seen = false;  // the metadata says closed: the next empty read means drained
    bool dirty = true;         // may have new data
    uint64_t next_offset = 0;
    std::unique_ptr<ShardReader> reader;
    int watch = -1;
    uint64_t last_use = 0;
    std::vector<ReadRecord> pending;
  };

  StreamFollower(Stream stream, FollowPlan plan, Reporter* reporter, Fd inotify);
  Status refresh_metadata();
  void adopt_new_shards();
  bool eligible(uint32_t index) const;
  Status start(Tracked& shard);
  Status fetch(Tracked& shard);
  void drop_idle_reader(uint32_t keep);
  void finish(uint32_t index);

  Stream stream_;
  FollowPlan plan_;
  Reporter* reporter_;
  Fd inotify_;
  int stream_watch_ = -1;
  bool meta_dirty_ = true;
  uint64_t clock_ = 0;
  std::map<uint32_t, Tracked> tracked_;  // shards of the scope not yet drained
  std::set<uint32_t> drained_;
  std::map<int, uint32_t> watches_;  // inotify watch -> shard index
  size_t open_readers_ = 0;
};

}  // namespace kds
