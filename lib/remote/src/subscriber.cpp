// Enhanced fan-out (subscriber.h).
#include "kds/remote/subscriber.h"

#include <algorithm>

#include <fmt/format.h>

#include "answer.h"
#include "kds/api/event_stream.h"
#include "kds/remote/streams.h"

namespace kds::remote {

namespace {

// Events queued for poll() before a subscription waits (and so stops reading its connection).
constexpr size_t kMaxQueuedEvents = 64;
// A subscription that fails is tried again after 1 s, doubling to 5 s: ResourceInUseException lasts up to
// 5 s after the previous subscription of the consumer and shard began (wire.md §7), and
// LimitExceededException allows one SubscribeToShard per second per consumer and shard.
constexpr auto kFirstRetryWait = std::chrono::milliseconds(1000);
constexpr auto kMaxRetryWait = std::chrono::milliseconds(5000);
constexpr int kAttempts = 10;
// The largest event-stream message taken: a SubscribeToShardEvent holds at most 10 MiB of records, which
// base64 and JSON make about a third larger.
constexpr uint64_t kMaxMessageBytes = 16 << 20;

bool worth_retrying(const Error& error) {
  switch (error.code()) {
    case Errc::kResourceInUse:
    case Errc::kLimitExceeded:
    case Errc::kThroughputExceeded:
    case Errc::kUnavailable:
      return true;
    default:
      return false;
  }
}

std::string header(const api::EventMessage& message, std::string_view name) {
  for (const auto& [key, value] : message.headers)
    if (key == name) return value;
  return "";
}

ordered_json starting_position(const IteratorStart& start) {
  ordered_json position = {{"Type", start.type}};
  if (!start.sequence_number.empty()) position["SequenceNumber"] = start.sequence_number;
  if (start.timestamp_ms) position["Timestamp"] = static_cast<double>(*start.timestamp_ms) / 1000;
  return position;
}

Result<ordered_json> describe_consumer(Client& client, const ordered_json& request) {
  KDS_ASSIGN(ordered_json answer, client.call("DescribeStreamConsumer", request));
  return std::move(answer["ConsumerDescription"]);
}

}  // namespace

Result<std::string> use_consumer(Client& client, const std::string& stream_arn, const std::string& name,
                                 int64_t timeout_ms) {
  const ordered_json by_name = {{"StreamARN", stream_arn}, {"ConsumerName", name}};
  auto described = describe_consumer(client, by_name);
  if (!described.ok() && described.error().code() == Errc::kResourceNotFound) {
    auto registered = client.call("RegisterStreamConsumer", by_name);
    // Registered meanwhile by someone else: theirs is as good.
    if (!registered.ok() && registered.error().code() != Errc::kResourceInUse) return registered.error();
    described = describe_consumer(client, by_name);
  }
  if (!described.ok()) return described.error();
  const std::string arn = text_member(*described, "ConsumerARN");
  if (arn.empty())
    return Error(Errc::kUnavailable, fmt::format("DescribeStreamConsumer answered no ARN for {}", name));
  auto wait = std::chrono::milliseconds(100);
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (std::string status = text_member(*described, "ConsumerStatus"); status != "ACTIVE";) {
    if (std::chrono::steady_clock::now() + wait > give_up)
      return Error(Errc::kResourceInUse, fmt::format("Consumer {} is not ACTIVE, instead in state {}", arn,
                                                     status.empty() ? "unknown" : status));
    if (!pause_unless_stopped(client.target(), wait)) return stopped_error(client.target());
    wait = std::min<std::chrono::milliseconds>(wait * 2, kMaxRetryWait);
    KDS_ASSIGN(const ordered_json consumer, describe_consumer(client, {{"ConsumerARN", arn}}));
    status = text_member(consumer, "ConsumerStatus");
  }
  return arn;
}

Subscriber::Subscriber(Target target, std::string consumer_arn, std::vector<ShardPosition> positions,
                       bool follow_children)
    : target_(std::move(target)), consumer_arn_(std::move(consumer_arn)), follow_children_(follow_children) {
  for (ShardPosition& position : positions)
    shards_[position.shard_id] = {std::move(position.parents), std::move(position.next), false,
                                  position.finished};
}

Subscriber::~Subscriber() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  for (std::thread& thread : threads_)
    thread.join();
}

bool Subscriber::finished() const {
  return std::all_of(shards_.begin(), shards_.end(), [](const auto& entry) { return entry.second.finished; });
}

void Subscriber::start_ready_shards() {
  for (auto& [id, shard] : shards_) {
    if (shard.started || shard.finished) continue;
    const bool parents_done =
        std::all_of(shard.parents.begin(), shard.parents.end(), [&](const std::string& parent) {
          const auto found = shards_.find(parent);
          return found == shards_.end() || found->second.finished;
        });
    if (!parents_done) continue;
    shard.started = true;
    threads_.emplace_back(&Subscriber::subscribe, this, id, shard.next);
  }
}

Status Subscriber::poll(std::chrono::milliseconds timeout, const RecordFunction& on_record) {
  start_ready_shards();
  std::deque<Event> events;
  std::optional<Error> failure;
  {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, timeout, [&] { return !events_.empty() || failure_; });
    events.swap(events_);
    failure = failure_;
  }
  changed_.notify_all();  // room in the queue
  for (Event& event : events) {
    for (const RemoteRecord& record : event.records)
      if (!on_record(record)) return {};
    if (!event.shard_end) continue;
    shards_[event.shard_id].finished = true;
    if (!follow_children_) continue;
    for (auto& [child, parents] : event.children)
      if (!shards_.contains(child)) shards_[child] = {std::move(parents), {}, false, false};
  }
  if (failure) return *failure;
  start_ready_shards();
  return {};
}

bool Subscriber::stopping() {
  std::lock_guard lock(mutex_);
  return stopping_;
}

bool Subscriber::pause(std::chrono::milliseconds wait) {
  std::unique_lock lock(mutex_);
  return !changed_.wait_for(lock, wait, [&] { return stopping_; });
}

bool Subscriber::push(Event event) {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return stopping_ || events_.size() < kMaxQueuedEvents; });
  if (stopping_) return false;
  events_.push_back(std::move(event));
  lock.unlock();
  changed_.notify_all();
  return true;
}

void Subscriber::subscribe(std::string shard_id, IteratorStart start) {
  auto fail = [&](Error error) {
    {
      std::lock_guard lock(mutex_);
      if (!failure_) failure_ = std::move(error);
    }
    changed_.notify_all();
  };
  auto client = Client::open(target_);
  if (!client.ok()) return fail(client.error());
  auto wait = kFirstRetryWait;
  for (int failed = 0; !stopping();) {
    // A subscription the endpoint ended (after 5 minutes) is made again at once from where it got to.
    auto ended = subscribe_once(*client, shard_id, start);
    if (ended.ok()) {
      if (*ended) return;
      failed = 0;
      wait = kFirstRetryWait;
      continue;
    }
    if (!worth_retrying(ended.error()) || ++failed == kAttempts) return fail(ended.error());
    if (!pause(wait)) return;
    wait = std::min<std::chrono::milliseconds>(wait * 2, kMaxRetryWait);
  }
}

Result<bool> Subscriber::subscribe_once(Client& client, const std::string& shard_id,
                                        IteratorStart& position) {
  const ordered_json request = {{"ConsumerARN", consumer_arn_},
                                {"ShardId", shard_id},
                                {"StartingPosition", starting_position(position)}};
  std::string unread;  // bytes of a message not yet whole
  simdjson::dom::parser parser;
  std::optional<Error> error;
  bool shard_end = false;
  bool got_event = false;

  // One message of the stream; false when the stream is to end.
  auto take_message = [&](const api::EventMessage& message) {
    const std::string type = header(message, ":message-type");
    if (type == "exception") {
      const std::string name = header(message, ":exception-type");
      const auto payload = ordered_json::parse(message.payload, nullptr, false);
      std::string text = payload.is_object() ? text_member(payload, "message") : "";
      if (text.empty()) text = fmt::format("SubscribeToShard on {} ended with {}", shard_id, name);
      error = Error::named(errc_from_wire_type(name, 400), name, text);
      return false;
    }
    if (type != "event" || header(message, ":event-type") != "SubscribeToShardEvent") return true;
    JsonElement payload;
    if (parser.parse(message.payload.data(), message.payload.size(), true).get(payload) !=
            simdjson::SUCCESS ||
        !payload.is_object()) {
      error = Error(Errc::kUnavailable, fmt::format("a SubscribeToShardEvent of {} is not JSON", shard_id));
      return false;
    }
    got_event = true;
    Event event{shard_id, {}, false, {}};
    for (JsonElement entry : array_of(payload, "Records")) {
      RemoteRecord& record = event.records.emplace_back();
      if (Status decoded = decode_record(entry, shard_id, &record); !decoded.ok()) {
        error = decoded.error();
        return false;
      }
    }
    const std::string continuation(text_of(payload, "ContinuationSequenceNumber"));
    if (continuation.empty()) {
      // The shard's end: no more to read from it, its children named.
      shard_end = event.shard_end = true;
      event.children = child_shards(payload).value_or(std::vector<ChildShard>{});
    }
    if ((!event.records.empty() || event.shard_end) && !push(std::move(event))) return false;
    if (!continuation.empty()) position = {"AFTER_SEQUENCE_NUMBER", continuation, {}};
    return !shard_end;
  };

  auto on_bytes = [&](std::string_view bytes) {
    unread.append(bytes);
    size_t at = 0;
    bool go_on = true;
    while (go_on && unread.size() - at >= 4) {
      uint64_t total = 0;
      for (size_t i = 0; i < 4; ++i)
        total = (total << 8) | static_cast<unsigned char>(unread[at + i]);
      if (total > kMaxMessageBytes) {
        error = Error(Errc::kUnavailable,
                      fmt::format("SubscribeToShard on {} sent a message of {} bytes", shard_id, total));
        return false;
      }
      if (unread.size() - at < total) break;
      const auto message = api::read_event_message(std::string_view(unread).substr(at, total));
      if (!message || message->size != total) {
        error = Error(Errc::kUnavailable,
                      fmt::format("SubscribeToShard on {} sent a damaged event-stream message", shard_id));
        return false;
      }
      at += total;
      go_on = take_message(*message);
    }
    unread.erase(0, at);
    return go_on && !stopping();
  };

  KDS_TRY(client.stream("SubscribeToShard", request, on_bytes, [&] { return !stopping(); }));
  if (error) return *error;
  // Ended before its first event: counted as a failure, so that an endpoint doing so is not asked again
  // and again at once.
  if (!got_event && !stopping())
    return Error(Errc::kUnavailable,
                 fmt::format("SubscribeToShard on {} ended before its first event", shard_id));
  return shard_end;
}

}  // namespace kds::remote
