// SubscribeToShard: the request's checks, the subscription's events (lib/api/src/subscription.cpp), the
// one-subscription-per-consumer-and-shard rule, and the event stream kds-serve answers with
// (lib/serve/src/subscription_stream.cpp).
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "api_fixture.h"
#include "kds/api/event_stream.h"
#include "kds/api/subscription.h"
#include "kds/errors.h"
#include "kds/hash_key.h"
#include "kds/serve/service.h"
#include "test_util.h"

using nlohmann::json;
using namespace kds;
using namespace kds::api;
using kds_test::ApiFixture;
using kds_test::read;

namespace {

const std::string kArn = "arn:aws:kinesis:us-east-1:000000000000:stream/";

std::string register_consumer(ApiFixture& f, const std::string& stream, const std::string& name) {
  auto request = read<RegisterStreamConsumerRequest>({{"StreamARN", kArn + stream}, {"ConsumerName", name}});
  REQUIRE(request.ok());
  auto response = register_stream_consumer(f.context, *request);
  REQUIRE(response.ok());
  return response->consumer.arn();
}

void put(ApiFixture& f, const std::string& stream, const std::string& data) {
  PutRecordRequest request;
  request.stream.name = stream;
  request.data = data;
  request.partition_key = "key";
  REQUIRE(put_record(f.context, request).ok());
}

json subscribe_body(const std::string& consumer, const std::string& shard, const json& start) {
  return {{"ConsumerARN", consumer}, {"ShardId", shard}, {"StartingPosition", start}};
}

Result<ShardSubscription> subscribe(ApiFixture& f, const json& body,
                                    SubscriptionRegistry* registry = nullptr) {
  auto request = read<SubscribeToShardRequest>(body);
  if (!request.ok()) return request.error();
  return ShardSubscription::open(f.context, *request, registry);
}

std::string error_of(ApiFixture& f, const json& body) {
  auto subscription = subscribe(f, body);
  return subscription.ok() ? std::string() : subscription.error().to_string();
}

std::string number(uint32_t shard, uint64_t offset) {
  return to_decimal(make_sequence_number(shard, offset));
}

}  // namespace

TEST_CASE("subscription: the request is checked as SubscribeToShard checks it") {
  ApiFixture f;
  f.create("s", 1);
  const std::string consumer = register_consumer(f, "s", "app");
  const std::string shard = "shardId-000000000000";
  CHECK(
      error_of(f, {{"ConsumerARN", consumer}, {"ShardId", shard}}) ==
      "ValidationException: 1 validation error detected: Value null at 'startingPosition' failed to satisfy "
      "constraint: Member must not be null");
  CHECK(error_of(f, subscribe_body(consumer, shard, {{"Type", "SOMETIMES"}}))
            .starts_with("ValidationException: 1 validation error detected: Value 'SOMETIMES' at "
                         "'startingPosition.type'"));
  CHECK(error_of(
            f, subscribe_body("arn:aws:kinesis:us-east-1:000000000000:stream/s", shard, {{"Type", "LATEST"}}))
            .starts_with("ValidationException: 1 validation error detected: Value "
                         "'arn:aws:kinesis:us-east-1:000000000000:stream/s' at 'consumerARN'"));
  CHECK(error_of(f, subscribe_body(consumer, shard, {{"Type", "AT_SEQUENCE_NUMBER"}}))
            .starts_with("InvalidArgumentException: Must either specify (1) AT_SEQUENCE_NUMBER or "
                         "AFTER_SEQUENCE_NUMBER"));
  CHECK(error_of(f, subscribe_body(consumer + "1", shard, {{"Type", "LATEST"}})) ==
        "ResourceNotFoundException: Consumer " + consumer +
            "1 of stream s under account 000000000000 not found.");
  CHECK(error_of(f, subscribe_body(kArn + "t/consumer/app:1", shard, {{"Type", "LATEST"}})) ==
        "ResourceNotFoundException: Stream t under account 000000000000 not found.");
  CHECK(
      error_of(f, subscribe_body(consumer, "shardId-000000000007", {{"Type", "LATEST"}})) ==
      "ResourceNotFoundException: Shard shardId-000000000007 in stream s under account 000000000000 does not "
      "exist");
  CHECK(error_of(f, subscribe_body(consumer, shard, {{"Type", "LATEST"}})).empty());
}

TEST_CASE("subscription: events carry the records in order and a continuation to resume after") {
  ApiFixture f;
  f.create("s", 1);
  const std::string consumer = register_consumer(f, "s", "app");
  for (const char* data : {"a", "b", "c"})
    put(f, "s", data);
  auto subscription =
      subscribe(f, subscribe_body(consumer, "shardId-000000000000", {{"Type", "TRIM_HORIZON"}}));
  REQUIRE(subscription.ok());
  auto event = subscription->next_event();
  REQUIRE(event.ok());
  REQUIRE(event->records.size() == 3);
  CHECK(event->records[2].data == "c");
  CHECK(event->continuation_sequence_number == number(0, 2));
  CHECK(event->millis_behind_latest == 0);
  const json shape = json::parse(event->to_json_text());
  CHECK(shape["Records"].size() == 3);
  CHECK(shape["ChildShards"] == json::array());  // present and empty before the end, as the KCL expects
  CHECK(shape["ContinuationSequenceNumber"] == number(0, 2));

  // Nothing new: an empty event that keeps the continuation.
  event = subscription->next_event();
  REQUIRE(event.ok());
  CHECK(event->records.empty());
  CHECK(event->continuation_sequence_number == number(0, 2));
  CHECK_FALSE(subscription->ended());

  // Resubscribing after the continuation gives what came since, and nothing twice.
  put(f, "s", "d");
  auto again =
      subscribe(f, subscribe_body(consumer, "shardId-000000000000",
                                  {{"Type", "AFTER_SEQUENCE_NUMBER"}, {"SequenceNumber", number(0, 2)}}));
  REQUIRE(again.ok());
  event = again->next_event();
  REQUIRE(event.ok());
  REQUIRE(event->records.size() == 1);
  CHECK(event->records[0].data == "d");

  // LATEST starts after the newest record.
  auto latest = subscribe(f, subscribe_body(consumer, "shardId-000000000000", {{"Type", "LATEST"}}));
  REQUIRE(latest.ok());
  event = latest->next_event();
  REQUIRE(event.ok());
  CHECK(event->records.empty());
  CHECK(event->continuation_sequence_number == number(0, 3));
}

TEST_CASE("subscription: before a shard's first record the continuation names the shard's start") {
  ApiFixture f;
  f.create("s", 1);
  const std::string consumer = register_consumer(f, "s", "app");
  auto subscription =
      subscribe(f, subscribe_body(consumer, "shardId-000000000000", {{"Type", "TRIM_HORIZON"}}));
  REQUIRE(subscription.ok());
  auto event = subscription->next_event();
  REQUIRE(event.ok());
  const std::string before_first = number(0, kBeforeFirstOffset);
  CHECK(event->continuation_sequence_number == before_first);

  // AFTER it reads from the first record, even one put after the continuation was given; AT refuses it.
  put(f, "s", "first");
  auto resumed =
      subscribe(f, subscribe_body(consumer, "shardId-000000000000",
                                  {{"Type", "AFTER_SEQUENCE_NUMBER"}, {"SequenceNumber", before_first}}));
  REQUIRE(resumed.ok());
  event = resumed->next_event();
  REQUIRE(event.ok());
  REQUIRE(event->records.size() == 1);
  CHECK(event->records[0].data == "first");
  CHECK(error_of(f, subscribe_body(consumer, "shardId-000000000000",
                                   {{"Type", "AT_SEQUENCE_NUMBER"}, {"SequenceNumber", before_first}}))
            .starts_with("InvalidArgumentException: StartingSequenceNumber " + before_first));
  // GetShardIterator takes it the same way.
  auto iterator = read<GetShardIteratorRequest>({{"StreamName", "s"},
                                                 {"ShardId", "shardId-000000000000"},
                                                 {"ShardIteratorType", "AFTER_SEQUENCE_NUMBER"},
                                                 {"StartingSequenceNumber", before_first}});
  REQUIRE(iterator.ok());
  auto position = get_shard_iterator(f.context, *iterator);
  REQUIRE(position.ok());
  CHECK(position->position.offset == 0);
}

TEST_CASE("subscription: at a closed shard's end the event names the children and the subscription ends") {
  ApiFixture f;
  f.create("s", 1);
  const std::string consumer = register_consumer(f, "s", "app");
  put(f, "s", "before");
  auto subscription =
      subscribe(f, subscribe_body(consumer, "shardId-000000000000", {{"Type", "TRIM_HORIZON"}}));
  REQUIRE(subscription.ok());
  SplitShardRequest split;
  split.stream.name = "s";
  split.shard_to_split = "shardId-000000000000";
  split.midpoint_when_absent = true;
  REQUIRE(split_shard(f.context, split).ok());
  // The subscription notices the split when it next looks (a wait, or its timed fallback).
  std::vector<StoredRecord> records;
  std::optional<SubscribeToShardEvent> last;
  for (int i = 0; i < 50 && !subscription->ended(); ++i) {
    auto event = subscription->next_event();
    REQUIRE(event.ok());
    for (auto& record : event->records)
      records.push_back(record);
    last = std::move(*event);
    if (!subscription->ended()) REQUIRE(subscription->wait(100).ok());
  }
  REQUIRE(subscription->ended());
  REQUIRE(records.size() == 1);
  CHECK_FALSE(last->continuation_sequence_number);
  REQUIRE(last->child_shards.size() == 2);
  CHECK(last->child_shards[0].index == 1);
  CHECK(last->child_shards[1].index == 2);
  const json shape = json::parse(last->to_json_text());
  CHECK_FALSE(shape.contains("ContinuationSequenceNumber"));
  CHECK(shape["ChildShards"][0]["ParentShards"] == json::array({"shardId-000000000000"}));
}

TEST_CASE("subscription: one per consumer and shard, after 5 s a new one takes over") {
  SubscriptionRegistry registry;
  auto first = std::make_shared<SubscriptionRegistry::Signal>();
  auto second = std::make_shared<SubscriptionRegistry::Signal>();
  REQUIRE(registry.enter("arn", 0, "shardId-000000000000", 1000, first).ok());
  const Status refused = registry.enter("arn", 0, "shardId-000000000000", 5999, second);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code() == Errc::kResourceInUse);
  CHECK(registry.enter("arn", 1, "shardId-000000000001", 5999, second).ok());    // another shard
  CHECK(registry.enter("other", 0, "shardId-000000000000", 5999, second).ok());  // another consumer
  CHECK_FALSE(first->taken_over());
  auto third = std::make_shared<SubscriptionRegistry::Signal>();
  CHECK(registry.enter("arn", 0, "shardId-000000000000", 6000, third).ok());
  CHECK(first->taken_over());
  // A subscription that has ended holds nothing.
  third.reset();
  auto fourth = std::make_shared<SubscriptionRegistry::Signal>();
  CHECK(registry.enter("arn", 0, "shardId-000000000000", 6001, fourth).ok());
}

namespace {

// Everything a body stream makes until its last piece, read as event-stream messages.
std::vector<api::EventMessage> drain(serve::BodyStream& body) {
  // Shared with the callback: the stream's thread may still be in it after the last piece is taken.
  struct Wake {
    std::mutex mutex;
    std::condition_variable ready;
    bool woken = false;
  };
  auto wake = std::make_shared<Wake>();
  body.start([wake] {
    std::lock_guard lock(wake->mutex);
    wake->woken = true;
    wake->ready.notify_all();
  });
  std::string bytes;
  for (;;) {
    auto piece = body.take();
    bytes += piece.bytes;
    if (piece.last) break;
    std::unique_lock lock(wake->mutex);
    wake->ready.wait_for(lock, std::chrono::seconds(5), [&] { return wake->woken; });
    wake->woken = false;
  }
  std::vector<api::EventMessage> messages;
  std::string_view rest = bytes;
  while (!rest.empty()) {
    auto message = api::read_event_message(rest);
    REQUIRE(message);
    rest.remove_prefix(message->size);
    messages.push_back(std::move(*message));
  }
  return messages;
}

std::string header(const api::EventMessage& message, const std::string& name) {
  for (const auto& [key, value] : message.headers) {
    if (key == name) return value;
  }
  return "";
}

serve::HttpRequest subscribe_request(const json& body) {
  serve::HttpRequest request;
  request.method = "POST";
  request.target = "/";
  request.headers = {{"content-type", "application/x-amz-json-1.1"},
                     {"x-amz-target", "Kinesis_20131202.SubscribeToShard"},
                     {"authorization",
                      "AWS4-HMAC-SHA256 Credential=AKID/20250101/us-east-1/kinesis/aws4_request, "
                      "SignedHeaders=host;x-amz-date, Signature=0"},
                     {"x-amz-date", "20250101T000000Z"}};
  request.body = body.dump();
  return request;
}

}  // namespace

TEST_CASE("subscription stream: initial-response, then events with the records, until its lifetime ends") {
  ApiFixture f;
  f.create("s", 1);
  const std::string consumer = register_consumer(f, "s", "app");
  put(f, "s", "one");
  put(f, "s", "two");
  serve::Service service(f.context, std::nullopt, serve::SubscriptionTimes{50, 400});
  serve::HttpResponse response = service.handle(
      subscribe_request(subscribe_body(consumer, "shardId-000000000000", {{"Type", "TRIM_HORIZON"}})));
  REQUIRE(response.status == 200);
  REQUIRE(response.stream);
  const auto messages = drain(*response.stream);
  REQUIRE(messages.size() >= 3);  // initial-response, the records, at least one heartbeat in 400 ms
  CHECK(header(messages[0], ":message-type") == "event");
  CHECK(header(messages[0], ":event-type") == "initial-response");
  CHECK(messages[0].payload == "{}");
  CHECK(header(messages[1], ":event-type") == "SubscribeToShardEvent");
  CHECK(header(messages[1], ":content-type") == "application/json");
  const json first = json::parse(messages[1].payload);
  REQUIRE(first["Records"].size() == 2);
  CHECK(first["Records"][0]["Data"] == "b25l");  // "one"
  for (size_t i = 2; i < messages.size(); ++i) {
    CHECK(header(messages[i], ":event-type") == "SubscribeToShardEvent");
    CHECK(json::parse(messages[i].payload)["Records"].empty());
  }

  // Once over, the subscription no longer holds the consumer's shard.
  serve::HttpResponse again = service.handle(
      subscribe_request(subscribe_body(consumer, "shardId-000000000000", {{"Type", "LATEST"}})));
  CHECK(again.status == 200);
}

TEST_CASE("subscription stream: a cancelled stream ends, a deleted stream ends with an exception event") {
  ApiFixture f;
  f.create("s", 1);
  const std::string consumer = register_consumer(f, "s", "app");
  serve::Service service(f.context, std::nullopt, serve::SubscriptionTimes{50, 60000});
  serve::HttpResponse response = service.handle(
      subscribe_request(subscribe_body(consumer, "shardId-000000000000", {{"Type", "LATEST"}})));
  REQUIRE(response.stream);
  // While it lasts, a second subscription of the consumer to the shard is refused with an ordinary answer.
  serve::HttpResponse refused = service.handle(
      subscribe_request(subscribe_body(consumer, "shardId-000000000000", {{"Type", "LATEST"}})));
  CHECK(refused.status == 400);
  CHECK_FALSE(refused.stream);
  CHECK(refused.body.find("ResourceInUseException") != std::string::npos);
  response.stream->cancel();
  CHECK(drain(*response.stream).empty());  // cancelled before it began: ends at once, with nothing

  serve::HttpResponse second = service.handle(
      subscribe_request(subscribe_body(consumer, "shardId-000000000001", {{"Type", "LATEST"}})));
  CHECK(second.status == 400);  // no such shard: an ordinary error answer
  response = {};
  DeleteStreamRequest deletion;
  deletion.stream.name = "s";
  deletion.enforce_consumer_deletion = true;
  serve::HttpResponse live = service.handle(
      subscribe_request(subscribe_body(consumer, "shardId-000000000000", {{"Type", "LATEST"}})));
  REQUIRE(live.stream);
  REQUIRE(delete_stream(f.context, deletion).ok());
  const auto messages = drain(*live.stream);
  REQUIRE(messages.size() >= 2);
  CHECK(header(messages.back(), ":message-type") == "exception");
  CHECK(header(messages.back(), ":exception-type") == "ResourceNotFoundException");
  CHECK(json::parse(messages.back().payload)["message"] == "Stream s under account 000000000000 not found.");
}

TEST_CASE("subscription: a deregistered consumer's subscription ends with ResourceNotFoundException") {
  ApiFixture f;
  kds_test::ClockGuard clock(now_ms());
  f.create("s", 1);
  const std::string consumer = register_consumer(f, "s", "app");
  put(f, "s", "one");
  auto subscription =
      subscribe(f, subscribe_body(consumer, "shardId-000000000000", {{"Type", "TRIM_HORIZON"}}));
  REQUIRE(subscription.ok());
  auto request = read<ConsumerRequest>({{"ConsumerARN", consumer}});
  REQUIRE(request.ok());
  REQUIRE(deregister_stream_consumer(f.context, *request).ok());
  // Looked for once per kConsumerCheckMs: until then the subscription goes on.
  auto event = subscription->next_event();
  REQUIRE(event.ok());
  CHECK(event->records.size() == 1);
  clock.advance(ShardSubscription::kConsumerCheckMs);
  auto ended = subscription->next_event();
  REQUIRE_FALSE(ended.ok());
  CHECK(ended.error().code() == Errc::kResourceNotFound);
  CHECK(ended.error().message() == consumer_not_found(consumer, "s").message());
}
