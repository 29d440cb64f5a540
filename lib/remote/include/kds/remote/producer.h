// kds-put's writer in remote mode: records go to an endpoint in PutRecords batches within the API's limits
// (500 records, 5 MiB of keys and data), several requests in flight (one connection each), and the entries a
// batch answers with an ErrorCode are retried with capped exponential backoff and full jitter, as KPL does.
//
// Order: PutRecords promises no order among its entries, and a failed entry retried later lands after the
// entries that followed it. So a partition key has at most one record in flight at a time: the records of
// one key are stored in the order they were added, across retries too. Records of many keys share a batch;
// records of one key go one request after another (kds-put(1) says so).
//
// Acknowledgements come in the order records were added, each only once the endpoint has stored the record.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "kds/remote/target.h"
#include "kds/status.h"

namespace kds::remote {

struct PutEntry {
  std::string key;
  std::string data;
  std::string explicit_hash_key;  // decimal; empty: route by the key
};

// What the endpoint answered for one stored record.
struct PutAck {
  std::string shard_id;
  std::string sequence_number;
  bool encrypted = false;
};

struct ProducerSettings {
  int connections = 4;      // requests in flight at most
  int max_attempts = 10;    // per record, before the producer stops with the record's error
  int base_delay_ms = 100;  // backoff before the n-th retry: random in [0, min(cap, base * 2^(n-1))]
  int max_delay_ms = 5000;
  size_t max_queued_records = 20000;  // add() waits while this many records are not stored yet
  size_t max_queued_bytes = 64 << 20;
  bool acknowledgement_details = true;  // false: PutAck's shard id and sequence number are left empty
};

class Producer {
 public:
  using AckFunction = std::function<void(const PutAck&)>;

  // Starts `settings.connections` workers, each with its own client of `target`, putting to `stream`.
  static Result<std::unique_ptr<Producer>> open(const Target& target, std::string stream,
                                                ProducerSettings settings = {});
  // Stops the workers after the requests in flight; records not stored by then are abandoned.
  ~Producer();
  Producer(const Producer&) = delete;
  Producer& operator=(const Producer&) = delete;

  // Queues `entries` in order, moving from them (each valid by validate_partition_key and
  // validate_record_size: the endpoint would refuse the whole batch otherwise). Waits while the queue is
  // full. Once the producer has stopped, returns the error that stopped it; the entries from the one it
  // stopped at on are not queued.
  Status add(std::span<PutEntry> entries);

  // Readable while acknowledgements or an error wait for poll(); poll() clears it.
  int wake_fd() const;

  // Calls `on_ack` (may be empty) for the records stored since the last call, in the order they were
  // added, up to the first one not stored yet. Cheap when there is nothing new (no system call, no lock):
  // call it as often as you like. Returns the error that stopped the producer, if any: a
  // request the endpoint refused, or a record not stored after max_attempts.
  Status poll(const AckFunction& on_ack);

  // Waits until every record added is stored, or the producer stopped; acknowledges as poll().
  Status drain(const AckFunction& on_ack);

  // Records added and not acknowledged (after an error: not stored, or stored after one that was not).
  uint64_t unacknowledged() const;

 private:
  struct Shared;
  explicit Producer(std::unique_ptr<Shared> shared);
  Status collect(const AckFunction& on_ack);  // poll() without its shortcut
  std::unique_ptr<Shared> shared_;
  std::vector<std::thread> workers_;
};

}  // namespace kds::remote
