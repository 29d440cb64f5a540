// SubscribeToShard (enhanced fan-out) in the API layer: the request and its checks, the rule that one
// consumer has one subscription per shard, and a subscription that reads the shard from its starting
// position as a sequence of SubscribeToShardEvents. How the events reach a client (an event stream over
// HTTP, at least one every few seconds, for five minutes) is kds-serve's business (lib/serve).
//
// The ContinuationSequenceNumber of an event is the number of the last record delivered so far: a client
// that subscribes again AFTER_SEQUENCE_NUMBER it neither misses nor repeats a record. Before any record
// has been delivered it names the record before the starting position, or, when reading starts at the
// shard's first record, the shard's kBeforeFirstOffset number (shard_id.h), which AFTER_SEQUENCE_NUMBER
// takes to mean the shard's start.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "kds/api/operations.h"
#include "kds/file.h"
#include "kds/follower.h"

namespace kds::api {

struct StartingPosition {
  std::optional<std::string> type;  // one of kIteratorTypes
  std::optional<std::string> sequence_number;
  std::optional<int64_t> timestamp_ms;
};

struct SubscribeToShardRequest {
  std::optional<std::string> consumer_arn;
  std::optional<std::string> shard_id;
  std::optional<StartingPosition> starting_position;
  static Result<SubscribeToShardRequest> from_json(Body body);
};

struct SubscribeToShardEvent {
  uint32_t shard_index = 0;
  std::vector<StoredRecord> records;
  std::optional<std::string> continuation_sequence_number;  // none once the shard's end is delivered
  int64_t millis_behind_latest = 0;
  std::vector<ShardMeta> child_shards;  // with the shard's end
  // {"Records", "ContinuationSequenceNumber", "MillisBehindLatest", "ChildShards"}; ChildShards is an
  // empty list before the end, as Kinesis sends it (the KCL checks for the list).
  std::string to_json_text() const;
};

// Who is subscribed to what: at most one subscription per consumer and shard. Thread-safe.
class SubscriptionRegistry {
 public:
  // What a subscription and the registry share: a wake-up (an eventfd) and why it was woken.
  class Signal {
   public:
    Signal();
    // The eventfd: readable once notified (-1 if none could be made; waits then time out instead).
    int fd() const { return wake_.get(); }
    // Ends the subscription: its client has gone, the server stops, or it is over. Idempotent.
    void cancel();
    // Another subscription of the same consumer and shard has taken over.
    void take_over();
    bool cancelled() const { return cancelled_; }
    bool taken_over() const { return taken_over_; }

   private:
    void notify();
    Fd wake_;
    std::atomic<bool> cancelled_{false};
    std::atomic<bool> taken_over_{false};
  };

  // A subscription younger than this keeps its consumer and shard: another is refused meanwhile.
  static constexpr int64_t kExclusiveMs = 5000;

  // Records a subscription of `consumer_arn` to `shard_index` begun at `now`, with the signal that ends
  // it: ResourceInUseException when a live one began less than kExclusiveMs before; an older live one is
  // taken over (its signal says so). The registry holds the signal weakly: a subscription that has ended
  // (destroyed, or its signal cancelled) holds nothing.
  Status enter(const std::string& consumer_arn, uint32_t shard_index, std::string_view shard_id, int64_t now,
               const std::shared_ptr<Signal>& signal);

 private:
  struct Entry {
    int64_t started_ms = 0;
    std::weak_ptr<Signal> signal;
  };
  std::mutex mutex_;
  std::map<std::pair<std::string, uint32_t>, Entry> entries_;
};

class ShardSubscription {
 public:
  // At most this many records and bytes of data in one event (a shard's read allowance per second for
  // one enhanced fan-out consumer is 2 MiB).
  static constexpr size_t kMaxEventRecords = 10000;
  static constexpr size_t kMaxEventBytes = 2 << 20;
  // How often a subscription looks for records when it cannot be woken by inotify.
  static constexpr int kPollMs = 200;
  // How often it looks whether its consumer is still registered (as often as an idle one sends an event).
  static constexpr int64_t kConsumerCheckMs = 5000;

  // Checks `request` as SubscribeToShard does (the members; a registered consumer of an existing stream;
  // the shard; the starting position as GetShardIterator checks it) and enters it in `registry` (may be
  // null: no exclusivity). `context` must outlive the subscription.
  static Result<ShardSubscription> open(const Context& context, const SubscribeToShardRequest& request,
                                        SubscriptionRegistry* registry);
  ShardSubscription(ShardSubscription&&) noexcept = default;
  ~ShardSubscription();

  // The records that have arrived since the last event, from the starting position on (at most
  // kMaxEventRecords and kMaxEventBytes of data, or one record alone when it is bigger: a stream may take
  // records of 10 MiB, and an event's payload may be at most 16 MiB; maybe none). Once the shard is closed
  // and read to its end, the event says so with its children, and ended() turns true. Fails with
  // ResourceNotFoundException once the stream is deleted, or once its consumer is deregistered (by anyone:
  // looked for at most every kConsumerCheckMs).
  Result<SubscribeToShardEvent> next_event();
  bool ended() const { return ended_; }

  // Waits until records may have arrived or `timeout_ms` passes; true when the signal woke it instead
  // (cancelled or taken over: see signal()).
  Result<bool> wait(int timeout_ms);

  // Shared with the registry and with whoever may end the subscription from another thread.
  const std::shared_ptr<SubscriptionRegistry::Signal>& signal() const { return signal_; }
  const std::string& consumer_arn() const { return consumer_arn_; }
  const std::string& stream_name() const { return stream_name_; }
  uint32_t shard_index() const { return shard_index_; }

 private:
  ShardSubscription(const Context& context, StreamFollower follower, std::string consumer_arn,
                    std::string stream_name, uint32_t shard_index, uint64_t start_offset,
                    std::shared_ptr<SubscriptionRegistry::Signal> signal);

  const Context* context_;
  StreamFollower follower_;
  std::string consumer_arn_;
  std::string stream_name_;
  uint32_t shard_index_;
  // Fails as SubscribeToShard does when the consumer is no longer registered.
  Status check_consumer() const;

  uint64_t next_offset_;              // of the next record to deliver
  int64_t consumer_checked_ms_;       // when check_consumer() last ran (or open() checked)
  std::optional<StoredRecord> held_;  // read, and left for the next event, which it would have made too big
  bool ended_ = false;
  std::shared_ptr<SubscriptionRegistry::Signal> signal_;
};

}  // namespace kds::api
