// Writing records to a stream: validation, routing by hash key, batching per shard, durability, and
// acknowledgements in input order. A producer follows reshards while it runs: every append checks, under
// the shard lock, whether stream.json changed; if its shard was closed, the producer reloads the shard
// map and sends the batch's records to the children, in order, without loss or duplication. On a
// compressed stream, full batches are compressed on a worker thread (compress_worker.h) while the next
// ones fill, and appended in the order they filled.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kds/ack_queue.h"
#include "kds/background_syncer.h"
#include "kds/batch.h"
#include "kds/cipher.h"
#include "kds/compress_worker.h"
#include "kds/compression.h"
#include "kds/hash_key.h"
#include "kds/key_router.h"
#include "kds/report.h"
#include "kds/shard_id.h"
#include "kds/shard_writer.h"
#include "kds/status.h"
#include "kds/store.h"
#include "kds/validate.h"

namespace kds {

enum class SyncMode {
  kNone,  // acknowledged once written to the page cache: survives a crash of the process, not of the machine
  kInterval,  // acknowledged once written; fdatasync at least every sync_interval_ms: power loss can cost
              // the acknowledged records of the last interval
  kBatch,     // acknowledged after fdatasync of the batch: survives power loss
};

struct ProducerOptions {
  SyncMode sync = SyncMode::kBatch;
  size_t batch_bytes = 256 << 10;   // a shard's batch is appended once it would grow past this
  size_t pending_bytes = 8 << 20;   // wants_flush() once this much is queued
  std::vector<Key> keys;            // key files' keys, for an encrypted stream
  int64_t sync_interval_ms = 1000;  // for SyncMode::kInterval
  // Compress a compressed stream's batches on a second thread while the next batch fills (when the
  // machine has more than one CPU); else compress each batch just before it is appended.
  bool compress_on_worker = true;
};

class Producer {
 public:
  // Opens `stream` for writing. `reporter` (may be null) must outlive the producer.
  static Result<Producer> open(const Store& store, std::string_view stream, const ProducerOptions& options,
                               Reporter* reporter);
  Producer(Producer&&) = default;
  Producer& operator=(Producer&&) = default;
  // Interval mode: what was written and not yet synced is synced before the producer closes, so a
  // producer dropped between flushes (a server's idle one) still keeps the interval's promise.
  ~Producer();

  // Checks a record as PutRecord does: key of 1..256 characters in UTF-8, data of at most `max_bytes`,
  // key and data together at most `max_bytes` (the stream's maximum record size).
  static Status check_record(std::string_view key, size_t data_size, size_t max_bytes = kMaxRecordDataBytes);
  // Re-reads stream.json if it changed since it was last read (one stat), so that settings changed before
  // the call (maximum record size, compression) apply to what is added after it. Fails once the stream has
  // been deleted.
  Status refresh_settings();
  // The stream's maximum record size (key bytes + data bytes) as stream.json says now: refresh_settings()
  // and the value it read (UpdateMaxRecordSize changes it). add() checks against the value last read.
  Result<size_t> max_record_bytes();

  // Checks the record as check_record does with the stream's maximum record size (a record that fails
  // changes nothing and gives a kValidation
  // error) and queues it, routed by `explicit_hash` when given, else by the MD5 of its key. May append
  // batches that are full (they are acknowledged only by flush).
  Status add(std::string_view key, std::string_view data, std::optional<u128> explicit_hash = std::nullopt);

  // A record for add_many(); the views must stay valid during the call.
  struct Input {
    std::string_view key;
    std::string_view data;
    std::optional<u128> explicit_hash;
  };
  // add() of each record in order, the partition keys that are not remembered hashed many at a time
  // (kds-put -K with a key per record: 2.7x as fast, scripts/bench-routing). Stops at the first record
  // add() would refuse: *added is the number queued, and that record's error is returned. The records
  // are held to the maximum record size as it was when the call began, even if appends during the call
  // find it changed: a caller that checked them all against max_record_bytes() first is not refused
  // half-way.
  Status add_many(std::span<const Input> records, size_t* added);

  // True when enough is queued that the caller should flush before adding more.
  bool wants_flush() const { return pending_bytes_ >= options_.pending_bytes; }
  bool empty() const { return acks_.empty(); }

  // Appends everything queued, makes it durable as the sync mode says, then calls `on_ack` for each
  // record in the order it was added. On failure, records before the first one that could not be stored
  // are still acknowledged; the error is returned.
  // In batch mode with `wait` false, the fdatasync runs on a worker while the caller goes on: records
  // whose sync has not completed are acknowledged by a later flush(), poll_acks() or drain(), still in
  // add order. A failed sync is returned by one of them; its records and all later ones are never
  // acknowledged.
  Status flush(const std::function<void(const RecordAck&)>& on_ack, bool wait = true);
  // Acknowledges what completed syncs have made durable, without waiting.
  Status poll_acks(const std::function<void(const RecordAck&)>& on_ack);
  // Waits for every sync and acknowledges the rest.
  Status drain(const std::function<void(const RecordAck&)>& on_ack);
  // Batch and interval modes: a descriptor that becomes readable when a sync completes (poll_acks() clears
  // it); else -1.
  int ack_wake_fd() const;
  bool acks_waiting() const { return acks_.holding(); }

  const Stream& stream() const { return stream_; }

  // Interval mode: milliseconds until written records are due to be synced (-1: nothing unsynced).
  int64_t ms_until_sync() const;
  // Interval mode: starts the sync of everything written but not yet synced on the worker (drain() waits
  // for it). Returns the failure of an earlier sync, if any.
  Status sync_written();

 private:
  // The records of one batch on their way to a shard.
  struct Pending {
    BatchBuilder batch;
    uint32_t ticket = 0;            // ticket of the batch in acks_, valid when !batch.empty()
    std::vector<u128> hashes;       // per record of `batch`: its routing hash, to re-route after a reshard
    std::vector<uint32_t> ack_ids;  // per record of `batch`: its record id in acks_
    void clear() {
      batch.clear();
      hashes.clear();
      ack_ids.clear();
    }
  };
  struct Slot {
    uint32_t shard_index = 0;
    std::unique_ptr<ShardWriter> writer;
    Pending open;  // the batch being filled
  };
  // A full batch with the compression worker; stored once compressed, in the order they filled.
  struct Compressing {
    uint32_t shard_index = 0;
    Pending records;
    CompressWorker::Job job;
  };

  Producer(Stream stream, const ProducerOptions& options, Reporter* reporter);
  void build_routes();
  Slot& route(u128 hash) { return *route_slots_[router_.route_of_hash(hash)]; }
  Result<Slot*> route_key(std::string_view key, u128* hash);
  Status add_group(std::span<const Input> records, size_t max_bytes, size_t* added);
  Status place(Slot* slot, std::string_view key, std::string_view data, u128 hash);
  void queue(Slot& slot, std::string_view key, std::string_view data, u128 hash, uint32_t ack_id);
  Status append(Slot& slot);
  Status hand_to_worker(Slot& slot, int level);
  Status write_compressed(size_t keep);
  Status write_batch(Slot& slot, Pending& pending, std::string_view payload, uint8_t codec);
  Status reroute(Pending first);
  void abandon_compressing();
  void commit_written(Status* status, bool wait);
  Status deliver_acks(const std::function<void(const RecordAck&)>& on_ack, uint64_t wait_for);

  Stream stream_;
  ProducerOptions options_;
  Reporter* reporter_;
  bool compress_on_worker_ = false;
  std::map<uint32_t, Slot> slots_;  // by shard index; closed shards stay until flushed
  KeyRouter router_;                // to the open shards
  std::vector<Slot*> route_slots_;  // per route of router_: the open shard's slot
  AckQueue acks_;
  std::vector<std::string_view> group_keys_;  // add_group(): the keys to route, their routes and hashes
  std::vector<uint32_t> group_routes_;
  std::vector<u128> group_hashes_;
  std::vector<uint32_t> touched_;   // shards appended to since the last flush
  std::vector<uint32_t> unsynced_;  // interval mode: shards written since the last sync
  int64_t last_sync_ms_ = 0;
  size_t pending_bytes_ = 0;
  Compressor compressor_;  // without the worker
  std::string compressed_;
  std::deque<std::unique_ptr<Compressing>> compressing_;         // oldest first
  std::vector<std::unique_ptr<Compressing>> spare_compressing_;  // stored, kept for their buffers
  std::unique_ptr<CompressWorker> compress_worker_;  // after compressing_: finishes their jobs before they go
  std::unique_ptr<BackgroundSyncer> syncer_;  // last: destroyed first, after its commits are carried out
};

}  // namespace kds
