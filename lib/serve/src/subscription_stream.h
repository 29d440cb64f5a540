// The body of a SubscribeToShard answer (wire.md §7): an event stream (event_stream.h) that starts with
// an initial-response event, then carries a SubscribeToShardEvent whenever records arrive and at least
// every heartbeat, and ends after the subscription's lifetime, at the shard's end (the event with
// ChildShards), or with an exception event (the stream deleted; another subscription took over:
// ResourceInUseException). Payloads are JSON, or CBOR when the request was.
//
// A thread of its own per subscription waits for records (the subscription's inotify) and makes the
// events; the transport takes them as the client reads. Destroying the stream cancels and joins it.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

#include "kds/api/subscription.h"
#include "kds/serve/http_message.h"
#include "kds/serve/service.h"

namespace kds::serve {

class SubscriptionStream : public BodyStream {
 public:
  // Most bytes made and not yet taken: beyond it the maker waits for the client to read.
  static constexpr size_t kMaxUntaken = 8 << 20;

  SubscriptionStream(api::ShardSubscription subscription, bool cbor, SubscriptionTimes times);
  ~SubscriptionStream() override;

  void start(std::function<void()> ready) override;
  Piece take() override;
  void cancel() override;

 private:
  void run();
  void make_events();
  // Queues `bytes` for take() and calls ready_; false when cancelled while waiting for room.
  bool put(std::string bytes);
  std::string event_message(std::string_view event_type, std::string_view json_payload) const;
  std::string exception_message(std::string_view exception_type, std::string_view message) const;

  api::ShardSubscription subscription_;
  const bool cbor_;
  const SubscriptionTimes times_;
  std::function<void()> ready_;
  std::mutex mutex_;
  std::condition_variable taken_;
  std::string untaken_;    // guarded by mutex_
  bool finished_ = false;  // guarded by mutex_: run() has made the last piece
  std::thread maker_;
};

}  // namespace kds::serve
