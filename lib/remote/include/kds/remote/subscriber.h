// Enhanced fan-out, for kds-tail --consumer: a registered consumer's SubscribeToShard on every shard, each
// subscription an event stream (api/event_stream.h) read by a thread of its own over a connection of its
// own. Kinesis ends a subscription after 5 minutes; the thread subscribes again AFTER_SEQUENCE_NUMBER the
// event's ContinuationSequenceNumber, the last record delivered, so nothing is missed or repeated. A shard's
// last event names its children, which are subscribed once all their parents are read to the end.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "kds/remote/client.h"
#include "kds/remote/reader.h"
#include "kds/status.h"

namespace kds::remote {

// The ARN of consumer `name` of the stream with ARN `stream_arn`: registered (RegisterStreamConsumer)
// unless it already is, then waited for until ACTIVE (polled at doubling intervals up to 5 s, at most
// `timeout_ms`).
Result<std::string> use_consumer(Client& client, const std::string& stream_arn, const std::string& name,
                                 int64_t timeout_ms = 600'000);

class Subscriber {
 public:
  using RecordFunction = std::function<bool(const RemoteRecord&)>;  // false: deliver no more

  // Subscribes `consumer_arn` to each shard of `positions` that is not finished from its `next`, once the
  // parents it has among `positions` are finished; with `follow_children`, also to the children named at
  // a shard's end, from their start. Subscriptions are made with clients of their own to `target`.
  Subscriber(Target target, std::string consumer_arn, std::vector<ShardPosition> positions,
             bool follow_children);
  // Ends every subscription and waits for their threads (up to about a second).
  ~Subscriber();
  Subscriber(const Subscriber&) = delete;
  Subscriber& operator=(const Subscriber&) = delete;

  // Waits up to `timeout` for records and passes those that came to `on_record`, each shard's in their
  // order, until it refuses one (then the caller is expected to stop). Returns the error of a subscription
  // that could not go on: one the endpoint refused for a reason that waiting does not cure, or ten
  // attempts in a row that failed.
  Status poll(std::chrono::milliseconds timeout, const RecordFunction& on_record);

  // Whether every shard is read to its end and no child is left to follow.
  bool finished() const;

 private:
  struct Event {
    std::string shard_id;
    std::vector<RemoteRecord> records;
    bool shard_end = false;
    std::vector<ChildShard> children;
  };
  struct Shard {
    std::vector<std::string> parents;
    IteratorStart next;
    bool started = false;
    bool finished = false;
  };

  void start_ready_shards();
  // The thread of one subscription: subscribes `shard_id` from `start` and again after each end.
  void subscribe(std::string shard_id, IteratorStart start);
  // One SubscribeToShard from `position`, moved on with each event; true when the shard's end was read.
  Result<bool> subscribe_once(Client& client, const std::string& shard_id, IteratorStart& position);
  // Queues `event` for poll(), waiting while the queue is full; false once stopping.
  bool push(Event event);
  // Waits `wait` unless stopping first; false once stopping.
  bool pause(std::chrono::milliseconds wait);
  bool stopping();

  const Target target_;
  const std::string consumer_arn_;
  const bool follow_children_;
  std::map<std::string, Shard> shards_;  // poll()'s thread only

  std::mutex mutex_;
  std::condition_variable changed_;  // an event, a failure, room in the queue or stopping
  std::deque<Event> events_;         // guarded by mutex_
  std::optional<Error> failure_;     // guarded by mutex_
  bool stopping_ = false;            // guarded by mutex_
  std::vector<std::thread> threads_;
};

}  // namespace kds::remote
