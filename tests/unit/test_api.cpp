// The Kinesis API layer (lib/api): requests read from JSON 1.1 bodies, checked in AWS's order with AWS's
// texts, run against a real store, and answered in the API model's shapes.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <deque>
#include <string>
#include <thread>

#include "api_fixture.h"
#include "kds/api/operations.h"
#include "kds/api/producer_pool.h"
#include "kds/api/request.h"
#include "kds/api/shard_iterator.h"
#include "kds/clock.h"
#include "temp_dir.h"

using nlohmann::json;
using namespace kds;
using namespace kds::api;
using kds_test::ApiFixture;
using kds_test::read;

TEST_CASE("api: member types are checked before constraints (SerializationException)") {
  ApiFixture f;
  CHECK(f.error_of<CreateStreamRequest>({{"StreamName", true}, {"ShardCount", 0}}, create_stream) ==
        "SerializationException: class java.lang.Boolean can not be converted to an String");
  CHECK(f.error_of<CreateStreamRequest>({{"StreamName", "s"}, {"ShardCount", "1"}}, create_stream) ==
        "SerializationException: class java.lang.String can not be converted to an Integer");
  CHECK(f.error_of<CreateStreamRequest>({{"StreamName", {1, 2}}}, create_stream) ==
        "SerializationException: Start of list found where not expected");
  CHECK(f.error_of<PutRecordRequest>({{"StreamName", "s"}, {"PartitionKey", "k"}, {"Data", "abc"}},
                                     put_record) ==
        "SerializationException: 'abc' can not be converted to a Blob: Base64 encoded length is expected a "
        "multiple of 4 bytes but found: 3");
  CHECK(f.error_of<PutRecordRequest>({{"StreamName", "s"}, {"PartitionKey", "k"}, {"Data", "ab=c"}},
                                     put_record) ==
        "SerializationException: 'ab=c' can not be converted to a Blob: Invalid Base64 character: '='");
  CHECK(f.error_of<DeleteStreamRequest>(json::array(), delete_stream).starts_with("SerializationException"));
}

TEST_CASE("api: constraints are listed in the model's member order, at most ten") {
  ApiFixture f;
  CHECK(f.error_of<CreateStreamRequest>({{"StreamName", ""}, {"ShardCount", 0}}, create_stream) ==
        "ValidationException: 3 validation errors detected: Value '0' at 'shardCount' failed to satisfy "
        "constraint: Member must have value greater than or equal to 1; Value '' at 'streamName' failed to "
        "satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+; Value '' at "
        "'streamName' failed to satisfy constraint: Member must have length greater than or equal to 1");
  CHECK(f.error_of<CreateStreamRequest>({{"StreamName", "s"}}, create_stream) ==
        "ValidationException: 1 validation error detected: Value null at 'shardCount' failed to satisfy "
        "constraint: Member must not be null");
  json records = json::array();
  for (int i = 0; i < 12; ++i)
    records.push_back({{"PartitionKey", ""}, {"Data", ""}});
  const std::string many =
      f.error_of<PutRecordsRequest>({{"StreamName", "s"}, {"Records", records}}, put_records);
  CHECK(many.starts_with(
      "ValidationException: 10 validation errors detected: Value '' at "
      "'records.1.member.partitionKey' failed to satisfy constraint: Member must have length "
      "greater than or equal to 1;"));
  CHECK(many.find("records.11.") == std::string::npos);
  CHECK(
      f.error_of<GetShardIteratorRequest>({{"StreamName", "s"}, {"ShardId", "0"}, {"ShardIteratorType", "X"}},
                                          get_shard_iterator) ==
      "ValidationException: 1 validation error detected: Value 'X' at 'shardIteratorType' failed to satisfy "
      "constraint: Member must satisfy enum value set: [AFTER_SEQUENCE_NUMBER, LATEST, AT_TIMESTAMP, "
      "AT_SEQUENCE_NUMBER, TRIM_HORIZON]");
}

TEST_CASE("api: streams are named by StreamName or StreamARN") {
  ApiFixture f;
  f.create("logs", 2);
  auto by_arn = read<DescribeStreamSummaryRequest>(
      {{"StreamARN", "arn:aws:kinesis:us-east-1:000000000000:stream/logs"}});
  REQUIRE(by_arn.ok());
  auto summary = describe_stream_summary(f.context, *by_arn);
  REQUIRE(summary.ok());
  CHECK(summary->to_json()["StreamDescriptionSummary"]["OpenShardCount"] == 2);
  CHECK(f.error_of<DescribeStreamSummaryRequest>(json::object(), describe_stream_summary) ==
        "InvalidArgumentException: Stream arn and stream name can't be empty at the same time");
  CHECK(f.error_of<DescribeStreamSummaryRequest>({{"StreamARN", "arn:aws:kinesis:us-east-1:0:stream/logs"}},
                                                 describe_stream_summary)
            .starts_with(
                "ValidationException: 1 validation error detected: Value "
                "'arn:aws:kinesis:us-east-1:0:stream/logs' at 'streamARN' failed to satisfy constraint: "
                "Member must satisfy regular expression pattern"));
  CHECK(matches(Pattern::kStreamArn, "arn:aws-cn:kinesis:x:123456789012:stream/a.b"));
  CHECK_FALSE(matches(Pattern::kStreamArn, "arn:aws:kinesis:x:123456789012:stream/a b"));
  CHECK_FALSE(matches(Pattern::kStreamArn, std::string(1 << 20, 'a')));  // no recursion on long input
}

TEST_CASE("api: put, iterate and read back with Kinesis's shapes") {
  ApiFixture f;
  f.create("s", 1);
  auto put = read<PutRecordRequest>({{"StreamName", "s"}, {"PartitionKey", "a"}, {"Data", "aGVsbG8="}});
  REQUIRE(put.ok());
  auto first = put_record(f.context, *put);
  REQUIRE(first.ok());
  CHECK(first->to_json().dump() ==
        R"({"ShardId":"shardId-000000000000","SequenceNumber":"0","EncryptionType":"NONE"})");
  auto batch = read<PutRecordsRequest>(
      {{"StreamName", "s"},
       {"Records", {{{"PartitionKey", "b"}, {"Data", ""}}, {{"PartitionKey", "c"}, {"Data", "eA=="}}}}});
  REQUIRE(batch.ok());
  auto many = put_records(f.context, *batch);
  REQUIRE(many.ok());
  CHECK(json::parse(many->to_json_text())["FailedRecordCount"] == 0);
  CHECK(json::parse(many->to_json_text())["Records"][1]["SequenceNumber"] == "2");

  auto iterator_request = read<GetShardIteratorRequest>({{"StreamName", "s"},
                                                         {"ShardId", "shardId-0"},
                                                         {"ShardIteratorType", "AFTER_SEQUENCE_NUMBER"},
                                                         {"StartingSequenceNumber", "0"}});
  REQUIRE(iterator_request.ok());
  auto iterator = get_shard_iterator(f.context, *iterator_request);
  REQUIRE(iterator.ok());
  auto get = read<GetRecordsRequest>({{"ShardIterator", iterator->shard_iterator}, {"Limit", 1}});
  REQUIRE(get.ok());
  auto got = get_records(f.context, *get);
  REQUIRE(got.ok());
  const json shape = json::parse(got->to_json_text());
  CHECK(shape["Records"].size() == 1);
  CHECK(shape["Records"][0]["SequenceNumber"] == "1");
  CHECK(shape["Records"][0]["PartitionKey"] == "b");
  CHECK(shape["Records"][0]["Data"] == "");
  REQUIRE(shape.contains("NextShardIterator"));
  auto next = read<GetRecordsRequest>({{"ShardIterator", shape["NextShardIterator"]}});
  REQUIRE(next.ok());
  auto rest = get_records(f.context, *next);
  REQUIRE(rest.ok());
  REQUIRE(rest->records.size() == 1);
  CHECK(rest->records[0].data == "x");
  CHECK(rest->millis_behind_latest == 0);
}

TEST_CASE("api: a split shard read to its end names its children and ends") {
  ApiFixture f;
  f.create("s", 1);
  auto split = read<SplitShardRequest>(
      {{"StreamName", "s"}, {"ShardToSplit", "shardId-000000000000"}, {"NewStartingHashKey", "2"}});
  REQUIRE(split.ok());
  auto children = split_shard(f.context, *split);
  REQUIRE(children.ok());
  CHECK(children->lower == 1);
  auto at = read<GetShardIteratorRequest>(
      {{"StreamName", "s"}, {"ShardId", "shardId-000000000000"}, {"ShardIteratorType", "TRIM_HORIZON"}});
  auto iterator = get_shard_iterator(f.context, *at);
  REQUIRE(iterator.ok());
  auto got = get_records(f.context, *read<GetRecordsRequest>({{"ShardIterator", iterator->shard_iterator}}));
  REQUIRE(got.ok());
  const auto shape = ordered_json::parse(got->to_json_text());
  CHECK_FALSE(shape.contains("NextShardIterator"));
  CHECK(shape["ChildShards"].dump() ==
        R"([{"ShardId":"shardId-000000000001","ParentShards":["shardId-000000000000"],"HashKeyRange":)"
        R"({"StartingHashKey":"0","EndingHashKey":"1"}},{"ShardId":"shardId-000000000002","ParentShards":)"
        R"(["shardId-000000000000"],"HashKeyRange":{"StartingHashKey":"2","EndingHashKey":)"
        R"("340282366920938463463374607431768211455"}}])");
  CHECK(f.error_of<SplitShardRequest>(
            {{"StreamName", "s"}, {"ShardToSplit", "0"}, {"NewStartingHashKey", "5"}}, api::split_shard) ==
        "InvalidArgumentException: Shard shardId-000000000000 in stream s under account 000000000000 has "
        "already been merged or split, and thus is not eligible for merging or splitting.");
}

TEST_CASE("api: shard iterators are tamper-evident and expire after five minutes") {
  std::array<unsigned char, 32> secret{};
  secret[0] = 7;
  IteratorCodec codec(secret);
  const ShardIterator position{"stream.name", 1700000000000, 3, 42, 1700000000500};
  const std::string text = codec.encode(position);
  CHECK(text.size() <= kMaxIteratorLength);
  auto back = codec.decode(text, 1700000000500);
  REQUIRE(back.ok());
  CHECK(back->stream == "stream.name");
  CHECK(back->shard_index == 3);
  CHECK(back->offset == 42);
  CHECK(codec.decode("\"" + text + "\"", 1700000000500).ok());  // quoted, as `aws --query` prints it
  for (size_t i = 0; i < text.size(); i += 7) {
    std::string altered = text;
    altered[i] = altered[i] == 'A' ? 'B' : 'A';
    const auto decoded = codec.decode(altered, 1700000000500);
    if (decoded.ok()) CHECK(decoded->offset == 42);  // a change in base64 padding bits only
  }
  std::string forged = text;
  forged[20] = forged[20] == 'A' ? 'B' : 'A';
  CHECK(codec.decode(forged, 1700000000500).error().to_string() ==
        "InvalidArgumentException: Invalid ShardIterator.");
  secret[0] = 8;
  CHECK_FALSE(IteratorCodec(secret).decode(text, 1700000000500).ok());
  CHECK(codec.decode(text, 1700000000500 + kIteratorLifetimeMs).ok());
  CHECK(
      codec.decode(text, 1700000000500 + kIteratorLifetimeMs + 1).error().to_string() ==
      "ExpiredIteratorException: Iterator expired. The iterator was created at time Tue Nov 14 22:13:20 UTC "
      "2023 "
      "while right now it is Tue Nov 14 22:18:20 UTC 2023 which is further in the future than the tolerated "
      "delay of 300000 milliseconds.");
}

TEST_CASE("api: retention changes go one way each") {
  ApiFixture f;
  f.create("s", 1);
  CHECK(f.error_of<RetentionPeriodRequest>({{"StreamName", "s"}, {"RetentionPeriodHours", 12}},
                                           increase_stream_retention_period) ==
        "InvalidArgumentException: Minimum allowed retention period is 24 hours. Requested retention period "
        "(12 "
        "hours) is too short.");
  CHECK(f.error_of<RetentionPeriodRequest>({{"StreamName", "s"}, {"RetentionPeriodHours", 48}},
                                           increase_stream_retention_period) == "");
  CHECK(
      f.error_of<RetentionPeriodRequest>({{"StreamName", "s"}, {"RetentionPeriodHours", 36}},
                                         increase_stream_retention_period) ==
      "InvalidArgumentException: Requested retention period (36 hours) for stream s can not be shorter than "
      "existing retention period (48 hours). Use DecreaseRetentionPeriod API.");
  CHECK(f.error_of<RetentionPeriodRequest>({{"StreamName", "s"}, {"RetentionPeriodHours", 36}},
                                           decrease_stream_retention_period) == "");
}

TEST_CASE("api: list streams and shards page with tokens") {
  ApiFixture f;
  f.create("a", 1);
  f.create("b", 3);
  f.create("c", 1);
  auto first = list_streams(f.context, *read<ListStreamsRequest>({{"Limit", 2}}));
  REQUIRE(first.ok());
  CHECK(first->to_json()["StreamNames"] == json({"a", "b"}));
  CHECK(first->has_more_streams);
  REQUIRE(first->next_token);
  auto second = list_streams(f.context, *read<ListStreamsRequest>({{"NextToken", *first->next_token}}));
  REQUIRE(second.ok());
  CHECK(second->to_json()["StreamNames"] == json({"c"}));

  auto shards = list_shards(f.context, *read<ListShardsRequest>({{"StreamName", "b"}, {"MaxResults", 2}}));
  REQUIRE(shards.ok());
  CHECK(shards->shards.size() == 2);
  REQUIRE(shards->next_token);
  auto rest = list_shards(f.context, *read<ListShardsRequest>({{"NextToken", *shards->next_token}}));
  REQUIRE(rest.ok());
  REQUIRE(rest->shards.size() == 1);
  CHECK(rest->shards[0].id() == "shardId-000000000002");
  CHECK(
      f.error_of<ListShardsRequest>({{"StreamName", "b"}, {"NextToken", *shards->next_token}}, list_shards) ==
      "InvalidArgumentException: NextToken and StreamName cannot be provided together.");
}

TEST_CASE("api: pooled producers are lent again, and never to a stream deleted or resharded since") {
  ApiFixture f;
  ProducerPool pool(f.store, put_producer_options(f.context), nullptr, nullptr, 2);
  f.context.producers = &pool;
  f.create("s", 1);
  auto put = [&](const std::string& stream) {
    auto request = read<PutRecordRequest>({{"StreamName", stream}, {"PartitionKey", "a"}, {"Data", "eA=="}});
    REQUIRE(request.ok());
    auto answer = put_record(f.context, *request);
    REQUIRE(answer.ok());
    return answer->to_json();
  };
  CHECK(put("s")["SequenceNumber"] == "0");
  CHECK(pool.idle_count() == 1);
  const Producer* kept = nullptr;
  {
    auto lease = pool.borrow("s");
    REQUIRE(lease.ok());
    kept = &**lease;
    CHECK(pool.idle_count() == 0);
    lease->keep();
  }
  {
    auto again = pool.borrow("s");
    REQUIRE(again.ok());
    CHECK(&**again == kept);  // the same producer, lent again
    // Not kept (its request failed): closed rather than returned.
  }
  CHECK(pool.idle_count() == 0);
  CHECK(put("s")["SequenceNumber"] == "1");

  // A split after the producer was pooled: the next record goes to a child.
  SplitShardRequest split;
  split.stream.name = "s";
  split.shard_to_split = "shardId-000000000000";
  split.midpoint_when_absent = true;
  REQUIRE(split_shard(f.context, split).ok());
  CHECK(put("s")["ShardId"] != "shardId-000000000000");

  // Deleted and created again: the pooled producer of the old stream is not used.
  DeleteStreamRequest remove;
  remove.stream.name = "s";
  REQUIRE(delete_stream(f.context, remove).ok());
  f.create("s", 1);
  const json fresh = put("s");
  CHECK(fresh["ShardId"] == "shardId-000000000000");
  CHECK(fresh["SequenceNumber"] == "0");

  // At most two idle producers.
  {
    auto a = pool.borrow("s");
    auto b = pool.borrow("s");
    auto c = pool.borrow("s");
    REQUIRE((a.ok() && b.ok() && c.ok()));
    a->keep();
    b->keep();
    c->keep();
  }
  CHECK(pool.idle_count() == 2);
  auto missing = pool.borrow("nope");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().to_string().find("ResourceNotFoundException") == 0);
}

TEST_CASE("api: in interval mode the pool syncs what its idle producers wrote, with no request after") {
  ApiFixture f;
  f.create("s", 1);
  ProducerOptions options = put_producer_options(f.context);
  options.sync = SyncMode::kInterval;
  options.sync_interval_ms = 20;
  ProducerPool pool(f.store, options, nullptr);
  {
    auto lease = pool.borrow("s");
    REQUIRE(lease.ok());
    REQUIRE((*lease)->add("k", "v").ok());
    REQUIRE((*lease)->flush(nullptr).ok());
    CHECK((*lease)->ms_until_sync() >= 0);  // written, not yet synced
    lease->keep();
  }
  // The pool's thread syncs it once due; looked at now and then (each look lends it out for a moment).
  bool synced = false;
  for (int look = 0; look < 500 && !synced; ++look) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    auto lease = pool.borrow("s");
    REQUIRE(lease.ok());
    synced = (*lease)->ms_until_sync() == -1;
    lease->keep();
  }
  CHECK(synced);
}
