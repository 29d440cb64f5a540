// A consumer application's worker: the reader behind kds-consume. Workers of one application (any number,
// in any processes) share the stream's shards through leases kept in the application's state
// (consumer_state.h): each shard is processed by one worker at a time, from its checkpoint, in batches of
// consecutive records; a batch is checkpointed once the caller has processed it. A shard becomes available
// only once every parent of it is finished (processed to its end), so each partition key's records are
// processed in the order they were put, across splits and merges. A worker that stops heartbeating loses
// its leases after the lease timeout; a worker short of its share asks for a lease, and the holder hands
// it over between batches, so rebalancing delivers nothing twice.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "kds/consumer_state.h"
#include "kds/metadata.h"
#include "kds/report.h"
#include "kds/shard_reader.h"
#include "kds/status.h"
#include "kds/store.h"

namespace kds {

class LeaseRenewer;

// A new application's state: every shard of `stream` positioned at `start` (a closed shard with nothing
// after the start is finished at once), created at `now_ms`. Shards made later start at their first record.
Result<AppState> new_app_state(const Stream& stream, std::string_view app, const ReadStart& start,
                               int64_t now_ms);

// One heartbeat of `worker` at `now_ms`: records the worker as alive for `lease_ms`, forgets workers whose
// heartbeat expired and shards the stream no longer has, adds the stream's new shards (at offset 0),
// hands over leases other workers asked for, renews the worker's leases, takes free available shards up to
// its share and, still short of it, asks a worker holding at least two more than it for one. Returns the
// shards the worker holds afterwards, with their progress; `*free` (may be null) is set to the number of
// available shards nobody holds.
std::map<uint32_t, ShardProgress> plan_leases(AppState& state, const StreamMeta& meta,
                                              std::string_view worker, int64_t now_ms, int64_t lease_ms,
                                              size_t* free = nullptr);

// How far an application is behind on a shard: the records after its checkpoint, and the time between the
// arrival of the first of them and of the shard's newest record (zero when caught up or finished).
struct ShardLag {
  uint64_t records = 0;
  int64_t ms = 0;
};
Result<ShardLag> shard_lag(const Stream& stream, uint32_t index, const ShardProgress& progress);

// An application's lag over the whole stream: records summed over its shards, time the largest of theirs.
struct AppSummary {
  std::string app;
  size_t shards = 0;   // shards of the stream now
  size_t workers = 0;  // live ones
  ShardLag lag;
};
// Every application of `stream`, by name.
Result<std::vector<AppSummary>> summarize_apps(const Stream& stream);

struct ConsumedRecord {
  uint64_t offset = 0;
  int64_t arrival_ms = 0;
  bool encrypted = false;
  std::string_view key;   // valid while the batch is processed
  std::string_view data;  // valid while the batch is processed
};

struct ConsumerBatch {
  uint32_t shard_index = 0;
  std::vector<ConsumedRecord> records;  // consecutive records of the shard, at least one
};

struct ConsumerOptions {
  std::string app;     // passed check_app_name
  std::string worker;  // unique among the application's live workers (host:pid)
  uint32_t batch_size = 1000;
  int64_t batch_window_ms = 0;  // wait this long for a batch to fill
  int64_t lease_ms = 10000;
  bool until_caught_up = false;
  ReadStart start;  // where a new application starts
};

class ConsumerWorker {
 public:
  // `reporter` (may be null) must outlive the worker.
  ConsumerWorker(Stream stream, ConsumerOptions options, Reporter* reporter);

  // Handles a batch. Sets *done to how many of its records, from the first, are processed (all of them
  // when it succeeds); those are checkpointed, and an error ends run() with the rest not checkpointed.
  using Process = std::function<Status(const ConsumerBatch& batch, size_t* done)>;
  // Told of records that expired before the application read them (a line of text).
  using Warn = std::function<void(const std::string& text)>;

  // Processes batches until, with until_caught_up, no shard the worker could hold has a record left; or
  // `stop` (asked between batches and while waiting) says so; or an error. Leases are released on return.
  Status run(const Process& process, const std::function<bool()>& stop, const Warn& warn);

 private:
  // Copies of the bytes of records gathered for a batch, in blocks that never move, so the views of
  // ConsumedRecord stay valid until clear(); blocks are kept for the next batch.
  class ByteArena {
   public:
    std::string_view copy(std::string_view bytes);
    void clear();
    size_t bytes() const { return bytes_; }

   private:
    std::vector<std::string> blocks_;
    size_t used_ = 0;  // blocks_[0..used_) hold bytes
    size_t bytes_ = 0;
  };

  struct Held {
    std::optional<ShardReader> reader;
    ByteArena arena;
    uint64_t next_offset = 0;  // the first record not processed
    uint64_t read_offset = 0;  // the first record not read
    std::vector<ConsumedRecord> pending;
    int64_t pending_since_ms = 0;
  };

  Status heartbeat();
  Status adopt(uint32_t index, const ShardProgress& progress);
  Status fill(uint32_t index, Held& shard, const Warn& warn);
  Result<bool> checkpoint(uint32_t index, uint64_t next_offset, bool finished);
  void warn_expired(uint32_t index, uint64_t count, const Warn& warn) const;
  Status dispatch(uint32_t index, Held& shard, const Process& process);
  Status release();
  // Extends the leases this worker still owns (from the LeaseRenewer's thread, while a batch is processed).
  void renew_leases();

  Stream stream_;
  ConsumerOptions options_;
  Reporter* reporter_;
  std::map<uint32_t, Held> held_;
  size_t free_ = 0;
  int64_t next_heartbeat_ms_ = 0;
  std::vector<ReadRecord> scratch_;
  LeaseRenewer* renewer_ = nullptr;  // run()'s, while it runs
};

}  // namespace kds
