// SubscribeToShard's request, the one-subscription-per-consumer-and-shard rule, and the subscription's
// reading (subscription.h). The reading is a StreamFollower scoped to the one shard: it already waits
// for appends with inotify and knows when a closed shard is drained.
#include "kds/api/subscription.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>

#include <fmt/format.h>

#include "common.h"
#include "kds/api/read_start.h"
#include "kds/clock.h"
#include "kds/errors.h"
#include "kds/hash_key.h"

namespace kds::api {

namespace {

std::string decimal(uint32_t shard_index, uint64_t offset) {
  return to_decimal(make_sequence_number(shard_index, offset));
}

}  // namespace

// ---- The request ----

Result<SubscribeToShardRequest> SubscribeToShardRequest::from_json(Body body) {
  JsonReader reader(body);
  SubscribeToShardRequest request;
  request.consumer_arn = reader.string("ConsumerARN");
  request.shard_id = reader.string("ShardId");
  if (auto position = reader.structure("StartingPosition")) {
    JsonReader members(*position);
    StartingPosition& start = request.starting_position.emplace();
    start.type = members.string("Type");
    start.sequence_number = members.string("SequenceNumber");
    start.timestamp_ms = members.timestamp_ms("Timestamp");
    if (!members.status().ok()) return members.status().error();
  }
  return finish_reading(reader, std::move(request));
}

std::string SubscribeToShardEvent::to_json_text() const {
  std::string out = R"({"Records":)";
  append_records_json(shard_index, records, &out);
  if (continuation_sequence_number) {
    out += fmt::format(R"(,"ContinuationSequenceNumber":"{}")", *continuation_sequence_number);
  }
  out += fmt::format(R"(,"MillisBehindLatest":{},"ChildShards":)", millis_behind_latest);
  out += child_shards_json(child_shards);
  out += '}';
  return out;
}

// ---- The registry ----

SubscriptionRegistry::Signal::Signal() : wake_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}

void SubscriptionRegistry::Signal::notify() {
  if (!wake_.valid()) return;
  const uint64_t one = 1;
  [[maybe_unused]] const ssize_t written = ::write(wake_.get(), &one, sizeof one);
}

void SubscriptionRegistry::Signal::cancel() {
  cancelled_ = true;
  notify();
}

void SubscriptionRegistry::Signal::take_over() {
  taken_over_ = true;
  notify();
}

Status SubscriptionRegistry::enter(const std::string& consumer_arn, uint32_t shard_index,
                                   std::string_view shard_id, int64_t now,
                                   const std::shared_ptr<Signal>& signal) {
  std::lock_guard lock(mutex_);
  for (auto it = entries_.begin(); it != entries_.end();) {
    it = it->second.signal.expired() ? entries_.erase(it) : std::next(it);
  }
  Entry& entry = entries_[{consumer_arn, shard_index}];
  if (auto current = entry.signal.lock(); current && !current->cancelled() && !current->taken_over()) {
    if (now - entry.started_ms < kExclusiveMs) {
      return Error(Errc::kResourceInUse,
                   fmt::format("Another active subscription exists for consumer {} on shard {}; a new one "
                               "may take it over {} ms after it began.",
                               consumer_arn, shard_id, kExclusiveMs));
    }
    current->take_over();
  }
  entry = {now, signal};
  return {};
}

// ---- The subscription ----

Result<ShardSubscription> ShardSubscription::open(const Context& context,
                                                  const SubscribeToShardRequest& request,
                                                  SubscriptionRegistry* registry) {
  Validator validator;
  validator.string("consumerARN", request.consumer_arn, true, Pattern::kConsumerArn, 1, kMaxArnLength);
  validator.name("shardId", request.shard_id, true);
  validator.required("startingPosition", request.starting_position.has_value());
  if (request.starting_position) {
    const StartingPosition& start = *request.starting_position;
    validator.enumeration("startingPosition.type", start.type, true, kIteratorTypes);
    validator.string("startingPosition.sequenceNumber", start.sequence_number, false,
                     Pattern::kSequenceNumber, 0, 0);
  }
  KDS_TRY(validator.finish());
  const StartingPosition& start = *request.starting_position;

  KDS_ASSIGN(ArnTarget target, parse_resource_arn(*request.consumer_arn));
  KDS_ASSIGN(Stream stream, context.store->open_stream(target.stream));
  KDS_ASSIGN(StreamAttributes attributes, read_attributes(stream));
  const ConsumerEntry* consumer = find_consumer(attributes, target);
  if (consumer == nullptr) return consumer_not_found(*request.consumer_arn, target.stream);
  const auto index = parse_shard_id(*request.shard_id);
  if (!index) return shard_not_found(*request.shard_id, target.stream);
  KDS_ASSIGN(const ShardMeta* shard, stream.shard(*index));
  const int64_t now = now_ms();
  KDS_TRY(check_iterator_arguments(*start.type, start.sequence_number.has_value(), start.timestamp_ms, now));
  KDS_TRY(stream.use_keys(context.all_keys()));
  KDS_ASSIGN(uint64_t offset, iterator_start_offset(stream, *shard, *start.type, start.sequence_number,
                                                    start.timestamp_ms, context.reporter));

  FollowPlan plan;
  plan.scope = {*index};
  plan.starts[*index] = ReadStart{ReadStart::Kind::kOffset, offset, 0};
  plan.follow_children = false;
  std::string name = stream.name();
  KDS_ASSIGN(StreamFollower follower,
             StreamFollower::open(std::move(stream), std::move(plan), context.reporter));
  // Last: a subscription that fails to open takes nothing over.
  auto signal = std::make_shared<SubscriptionRegistry::Signal>();
  if (registry != nullptr)
    KDS_TRY(registry->enter(*request.consumer_arn, *index, *request.shard_id, now, signal));
  return ShardSubscription(context, std::move(follower), *request.consumer_arn, std::move(name), *index,
                           offset, std::move(signal));
}

ShardSubscription::ShardSubscription(const Context& context, StreamFollower follower,
                                     std::string consumer_arn, std::string stream_name, uint32_t shard_index,
                                     uint64_t start_offset,
                                     std::shared_ptr<SubscriptionRegistry::Signal> signal)
    : context_(&context),
      follower_(std::move(follower)),
      consumer_arn_(std::move(consumer_arn)),
      stream_name_(std::move(stream_name)),
      shard_index_(shard_index),
      next_offset_(start_offset),
      consumer_checked_ms_(now_ms()),
      signal_(std::move(signal)) {}

ShardSubscription::~ShardSubscription() = default;

Status ShardSubscription::check_consumer() const {
  KDS_ASSIGN(ArnTarget target, parse_resource_arn(consumer_arn_));
  KDS_ASSIGN(Stream stream, context_->store->open_stream(stream_name_));
  KDS_ASSIGN(StreamAttributes attributes, read_attributes(stream));
  if (find_consumer(attributes, target) == nullptr) return consumer_not_found(consumer_arn_, stream_name_);
  return {};
}

Result<SubscribeToShardEvent> ShardSubscription::next_event() {
  // A deregistered consumer's subscriptions end, as on Kinesis; a store has no other way to tell them.
  if (const int64_t now = now_ms(); now - consumer_checked_ms_ >= kConsumerCheckMs) {
    consumer_checked_ms_ = now;
    KDS_TRY(check_consumer());
  }
  SubscribeToShardEvent event;
  event.shard_index = shard_index_;
  size_t bytes = 0;
  bool full = false;
  if (held_) {
    bytes = held_->key.size() + held_->data.size();
    event.records.push_back(std::move(*held_));
    held_.reset();
    full = bytes >= kMaxEventBytes;
  }
  auto add = [&](uint32_t, const ReadRecord& record) {
    const size_t size = record.key.size() + record.data.size();
    StoredRecord stored{record.offset, record.arrival_ms, record.encrypted, std::string(record.key),
                        std::string(record.data)};
    if (!event.records.empty() && bytes + size > kMaxEventBytes) {
      held_ = std::move(stored);  // it would make the event too big: it opens the next one
      full = true;
      return false;
    }
    bytes += size;
    event.records.push_back(std::move(stored));
    full = event.records.size() >= kMaxEventRecords || bytes >= kMaxEventBytes;
    return !full;
  };
  if (!full) {
    auto delivered = follower_.deliver_available(add);
    if (!delivered.ok()) return delivered.error();
  }
  if (!event.records.empty()) next_offset_ = event.records.back().offset + 1;
  if (full) event.millis_behind_latest = std::max<int64_t>(0, now_ms() - event.records.back().arrival_ms);
  if (!full && follower_.finished()) {
    // Closed and read to its end: the children come with the last event, and no continuation.
    KDS_ASSIGN(Stream stream, context_->store->open_stream(stream_name_));
    for (const auto& candidate : stream.meta().shards) {
      if (candidate.parent == shard_index_ || candidate.adjacent_parent == shard_index_) {
        event.child_shards.push_back(candidate);
      }
    }
    ended_ = true;
    return event;
  }
  event.continuation_sequence_number =
      next_offset_ == 0 ? decimal(shard_index_, kBeforeFirstOffset) : decimal(shard_index_, next_offset_ - 1);
  return event;
}

Result<bool> ShardSubscription::wait(int timeout_ms) {
  if (signal_->cancelled() || signal_->taken_over()) return true;
  // Without inotify (the per-user limit on instances reached, say) or an eventfd, the wait only times out:
  // kept short, records and a cancel are noticed soon anyway.
  if (!follower_.watching() || signal_->fd() < 0) timeout_ms = std::min(timeout_ms, kPollMs);
  return follower_.wait(timeout_ms, -1, signal_->fd());
}

}  // namespace kds::api
