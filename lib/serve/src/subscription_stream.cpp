#include "subscription_stream.h"

#include <algorithm>
#include <chrono>
#include <system_error>

#include <nlohmann/json.hpp>

#include "cbor.h"
#include "kds/api/event_stream.h"
#include "kds/clock.h"
#include "kds/errors.h"
#include "kds/serve/service.h"

namespace kds::serve {

SubscriptionStream::SubscriptionStream(api::ShardSubscription subscription, bool cbor,
                                       SubscriptionTimes times)
    : subscription_(std::move(subscription)), cbor_(cbor), times_(times) {}

SubscriptionStream::~SubscriptionStream() {
  cancel();
  if (maker_.joinable()) maker_.join();
}

void SubscriptionStream::start(std::function<void()> ready) {
  ready_ = std::move(ready);
  try {
    maker_ = std::thread([this] { run(); });
  } catch (const std::system_error& error) {
    // No thread to be had (a process limit): the stream ends at once, saying why.
    {
      std::lock_guard lock(mutex_);
      untaken_ =
          exception_message("InternalFailure", std::string("cannot start the subscription: ") + error.what());
      finished_ = true;
    }
    ready_();
  }
}

BodyStream::Piece SubscriptionStream::take() {
  Piece piece;
  {
    std::lock_guard lock(mutex_);
    piece.bytes.swap(untaken_);
    piece.last = finished_;
  }
  taken_.notify_all();
  return piece;
}

void SubscriptionStream::cancel() {
  subscription_.signal()->cancel();
  std::lock_guard lock(mutex_);  // so a put() waiting for room sees it
  taken_.notify_all();
}

bool SubscriptionStream::put(std::string bytes) {
  {
    std::unique_lock lock(mutex_);
    // Taken over while waiting for room: the client is not reading, and another subscription is.
    const auto& signal = *subscription_.signal();
    taken_.wait(lock,
                [&] { return untaken_.size() < kMaxUntaken || signal.cancelled() || signal.taken_over(); });
    if (signal.cancelled() || untaken_.size() >= kMaxUntaken) return false;
    if (untaken_.empty())
      untaken_ = std::move(bytes);  // an event of megabytes is not copied
    else
      untaken_ += bytes;
  }
  ready_();
  return true;
}

std::string SubscriptionStream::event_message(std::string_view event_type,
                                              std::string_view json_payload) const {
  if (cbor_) return api::encode_event(event_type, kCborContentType, json_answer_to_cbor(json_payload));
  return api::encode_event(event_type, "application/json", json_payload);
}

std::string SubscriptionStream::exception_message(std::string_view exception_type,
                                                  std::string_view message) const {
  const std::string json =
      nlohmann::json{{"message", message}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (cbor_) return api::encode_exception(exception_type, kCborContentType, json_answer_to_cbor(json));
  return api::encode_exception(exception_type, "application/json", json);
}

void SubscriptionStream::run() {
  // An exception here would end the whole server (nothing above a thread catches it): it ends this stream
  // with an InternalFailure event instead, as Service::handle answers one request with it.
  try {
    make_events();
  } catch (const std::exception& error) {
    put(exception_message("InternalFailure", std::string("internal error: ") + error.what()));
  }
  subscription_.signal()->cancel();  // over: the consumer's shard is free for another subscription
  {
    std::lock_guard lock(mutex_);
    finished_ = true;
  }
  ready_();
}

void SubscriptionStream::make_events() {
  const int64_t started = now_ms();
  const int64_t end = started + times_.lifetime_ms;
  int64_t next_heartbeat = started;  // the first event goes at once, with records or without
  bool open = put(event_message("initial-response", "{}"));
  while (open) {
    const auto& signal = *subscription_.signal();
    if (signal.cancelled()) break;
    if (signal.taken_over()) {
      put(exception_message("ResourceInUseException",
                            "Another subscription of this consumer to this shard has taken over."));
      break;
    }
    auto event = subscription_.next_event();
    if (!event.ok()) {
      put(exception_message(errc_wire_type(event.error().code()), event.error().message()));
      break;
    }
    const int64_t now = now_ms();
    const bool with_records = !event->records.empty();
    if (with_records || subscription_.ended() || now >= next_heartbeat) {
      open = put(event_message("SubscribeToShardEvent", event->to_json_text()));
      next_heartbeat = now + times_.heartbeat_ms;
    }
    if (subscription_.ended() || now >= end) break;
    if (with_records) continue;  // there may be more already
    auto woken = subscription_.wait(
        static_cast<int>(std::clamp<int64_t>(std::min(next_heartbeat, end) - now, 1, 60000)));
    if (!woken.ok()) {
      put(exception_message(errc_wire_type(woken.error().code()), woken.error().message()));
      break;
    }
  }
}

}  // namespace kds::serve
