// A stream's maximum record size (MaxRecordSizeInKiB): stored in stream.json, enforced by the Producer
// and by PutRecord(s), changed by UpdateMaxRecordSize.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "api_fixture.h"
#include "kds/api/subscription.h"
#include "kds/base64.h"
#include "kds/metadata.h"
#include "kds/stream_settings.h"
#include "kds/validate.h"
#include "stream_util.h"

using namespace kds;
using namespace kds::api;
using json = nlohmann::json;
using kds_test::ApiFixture;
using kds_test::read;

namespace {

std::string base64_of(const std::string& data) {
  std::string out;
  base64_encode(data, &out);
  return out;
}

// A PutRecords body of `count` records of `size` bytes each.
json put_records_body(const std::string& stream, int count, size_t size) {
  json records = json::array();
  const std::string data = base64_of(std::string(size, 'r'));
  for (int i = 0; i < count; ++i)
    records.push_back({{"PartitionKey", "k" + std::to_string(i)}, {"Data", data}});
  return {{"StreamName", stream}, {"Records", records}};
}

// PutRecord to stream "s" of one record of each size, key "k".
void put_sized(ApiFixture& f, const std::vector<size_t>& sizes) {
  for (size_t size : sizes) {
    PutRecordRequest request;
    request.stream.name = "s";
    request.partition_key = "k";
    request.data = std::string(size, 'r');
    REQUIRE(put_record(f.context, request).ok());
  }
}

}  // namespace

TEST_CASE("max record size: stream.json keeps it, absent means 1024 KiB, out of range is damage") {
  StreamMeta meta;
  meta.name = "s";
  meta.next_shard_index = 1;
  ShardMeta shard;
  shard.range = {0, kMaxHashKey};
  meta.shards.push_back(shard);
  CHECK(meta.to_json().find("MaxRecordSizeInKiB") == std::string::npos);  // files of older kds unchanged
  auto plain = StreamMeta::from_json(meta.to_json(), "stream.json");
  REQUIRE(plain.ok());
  CHECK(plain->max_record_kib == 1024);
  CHECK(plain->max_record_bytes() == 1048576);

  meta.max_record_kib = 10240;
  auto raised = StreamMeta::from_json(meta.to_json(), "stream.json");
  REQUIRE(raised.ok());
  CHECK(raised->max_record_bytes() == 10485760);

  for (int64_t bad : {1023, 10241, 0, -1}) {
    CAPTURE(bad);
    json doc = json::parse(meta.to_json());
    doc["MaxRecordSizeInKiB"] = bad;
    auto parsed = StreamMeta::from_json(doc.dump(), "/x/s.stream/stream.json");
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().to_string().find("MaxRecordSizeInKiB out of range") != std::string::npos);
  }
}

TEST_CASE("max record size: 1024..10240 KiB, with Kinesis's ValidationException texts") {
  CHECK(validate_max_record_kib(1024).ok());
  CHECK(validate_max_record_kib(10240).ok());
  CHECK(validate_max_record_kib(1023).error().to_string() ==
        "ValidationException: 1 validation error detected: Value '1023' at 'maxRecordSizeInKiB' failed to "
        "satisfy constraint: Member must have value greater than or equal to 1024");
  CHECK(validate_max_record_kib(10241).error().to_string() ==
        "ValidationException: 1 validation error detected: Value '10241' at 'maxRecordSizeInKiB' failed to "
        "satisfy constraint: Member must have value less than or equal to 10240");
  CHECK(validate_record_size("k", 2 << 20, 2 << 20).error().code() == Errc::kValidation);  // key + data over
  CHECK(validate_record_size("", 2 << 20, 2 << 20).ok());
  CHECK(validate_record_size("k", (2 << 20) - 1, 2 << 20).ok());
}

TEST_CASE("max record size: the producer takes records up to the stream's maximum, re-read when it changes") {
  kds_test::TempDir tmp;
  Store store = kds_test::open_store(tmp);
  kds_test::create_stream(store, "s", 1);
  ProducerOptions options;
  options.sync = SyncMode::kNone;
  auto producer = Producer::open(store, "s", options, nullptr);
  REQUIRE(producer.ok());
  const std::string two_mib(2 << 20, 'x');
  CHECK(producer->add("k", two_mib).error().code() == Errc::kValidation);
  CHECK(producer->empty());

  REQUIRE(set_max_record_size(store, "s", 3072).ok());
  auto max = producer->max_record_bytes();
  REQUIRE(max.ok());
  CHECK(*max == 3u << 20);
  REQUIRE(producer->add("k", two_mib).ok());
  const std::string limit(3u << 20, 'y');
  CHECK(producer->add("k", limit).error().code() == Errc::kValidation);  // key + data one byte over
  CHECK(producer->add("", limit).error().code() == Errc::kValidation);   // an empty key is refused first
  REQUIRE(producer->add("k", limit.substr(1)).ok());
  REQUIRE(producer->flush([](const RecordAck&) {}).ok());
  const auto records = kds_test::read_shard(store, "s", 0);
  REQUIRE(records.size() == 2);
  CHECK(records[0].data == two_mib);
  CHECK(records[1].data.size() == (3u << 20) - 1);

  CHECK(set_max_record_size(store, "s", 10241).error().code() == Errc::kValidation);
  CHECK(set_max_record_size(store, "none", 2048).error().code() == Errc::kResourceNotFound);
  CHECK(kds_test::open_stream(store, "s").meta().max_record_kib == 3072);
}

TEST_CASE("max record size: CreateStream, UpdateMaxRecordSize and DescribeStreamSummary") {
  ApiFixture f;
  CHECK(f.error_of<CreateStreamRequest>({{"StreamName", "s"}, {"ShardCount", 1}, {"MaxRecordSizeInKiB", 512}},
                                        create_stream) ==
        "ValidationException: 1 validation error detected: Value '512' at 'maxRecordSizeInKiB' failed to "
        "satisfy constraint: Member must have value greater than or equal to 1024");
  CHECK(f.error_of<CreateStreamRequest>(
            {{"StreamName", "s"}, {"ShardCount", 1}, {"MaxRecordSizeInKiB", 2048}}, create_stream) == "");
  auto summary_of = [&](const std::string& name) {
    auto request = read<DescribeStreamSummaryRequest>({{"StreamName", name}});
    REQUIRE(request.ok());
    auto response = describe_stream_summary(f.context, *request);
    REQUIRE(response.ok());
    return response->to_json()["StreamDescriptionSummary"];
  };
  CHECK(summary_of("s")["MaxRecordSizeInKiB"] == 2048);
  f.create("plain", 1);
  CHECK(summary_of("plain")["MaxRecordSizeInKiB"] == 1024);

  const std::string arn = "arn:aws:kinesis:us-east-1:000000000000:stream/plain";
  CHECK(f.error_of<UpdateMaxRecordSizeRequest>({{"StreamARN", arn}}, update_max_record_size) ==
        "ValidationException: 1 validation error detected: Value null at 'maxRecordSizeInKiB' failed to "
        "satisfy constraint: Member must not be null");
  CHECK(f.error_of<UpdateMaxRecordSizeRequest>({{"StreamARN", arn}, {"MaxRecordSizeInKiB", 10241}},
                                               update_max_record_size) ==
        "ValidationException: 1 validation error detected: Value '10241' at 'maxRecordSizeInKiB' failed to "
        "satisfy constraint: Member must have value less than or equal to 10240");
  CHECK(f.error_of<UpdateMaxRecordSizeRequest>({{"MaxRecordSizeInKiB", 2048}}, update_max_record_size)
            .starts_with("InvalidArgumentException: "));
  CHECK(f.error_of<UpdateMaxRecordSizeRequest>(
             {{"StreamARN", "arn:aws:kinesis:us-east-1:000000000000:stream/gone"},
              {"MaxRecordSizeInKiB", 2048}},
             update_max_record_size)
            .starts_with("ResourceNotFoundException: "));
  CHECK(f.error_of<UpdateMaxRecordSizeRequest>({{"StreamARN", arn}, {"MaxRecordSizeInKiB", 10240}},
                                               update_max_record_size) == "");
  CHECK(summary_of("plain")["MaxRecordSizeInKiB"] == 10240);
}

TEST_CASE("max record size: PutRecord and PutRecords check data against the stream's maximum") {
  ApiFixture f;
  f.create("s", 1);
  const std::string over = base64_of(std::string((1 << 20) + 1, 'o'));
  CHECK(f.error_of<PutRecordRequest>({{"StreamName", "s"}, {"PartitionKey", "k"}, {"Data", over}},
                                     put_record) ==
        "ValidationException: 1 validation error detected: Value "
        "'java.nio.HeapByteBuffer[pos=0 lim=1048577 cap=1048577]' at 'data' failed to satisfy constraint: "
        "Member must have length less than or equal to 1048576");
  json body = put_records_body("s", 2, 10);
  body["Records"][1]["Data"] = over;
  CHECK(f.error_of<PutRecordsRequest>(body, put_records) ==
        "ValidationException: 1 validation error detected: Value "
        "'java.nio.HeapByteBuffer[pos=0 lim=1048577 cap=1048577]' at 'records.2.member.data' failed to "
        "satisfy constraint: Member must have length less than or equal to 1048576");
  CHECK(f.error_of<PutRecordsRequest>(put_records_body("s", 6, (1 << 20) - 16), put_records) ==
        "InvalidArgumentException: Records size exceeds 5 MB limit");

  // Raised: a record of 10 MiB less its key goes in, alone; a request may carry 10 MiB.
  REQUIRE(set_max_record_size(f.store, "s", 10240).ok());
  const std::string big(10485759, 'b');
  CHECK(f.error_of<PutRecordRequest>({{"StreamName", "s"}, {"PartitionKey", "k"}, {"Data", base64_of(big)}},
                                     put_record) == "");
  CHECK(f.error_of<PutRecordsRequest>(put_records_body("s", 6, 1 << 20), put_records) == "");
  CHECK(f.error_of<PutRecordsRequest>(put_records_body("s", 11, 1 << 20), put_records) ==
        "InvalidArgumentException: Records size exceeds 10 MB limit");
  const std::string too_big = base64_of(std::string(10485761, 't'));
  CHECK(f.error_of<PutRecordRequest>({{"StreamName", "s"}, {"PartitionKey", "k"}, {"Data", too_big}},
                                     put_record)
            .ends_with("Member must have length less than or equal to 10485760"));
  const auto records = kds_test::read_shard(f.store, "s", 0);
  REQUIRE(records.size() == 7);
  CHECK(records[0].data == big);
}

TEST_CASE("max record size: GetRecords answers at most 10 MiB, or one record alone") {
  ApiFixture f;
  f.create("s", 1);
  REQUIRE(set_max_record_size(f.store, "s", 10240).ok());
  put_sized(f, {1000, (10u << 20) - 1, 4u << 20, 4u << 20, 4u << 20});
  auto iterator_request = read<GetShardIteratorRequest>(
      {{"StreamName", "s"}, {"ShardId", "shardId-000000000000"}, {"ShardIteratorType", "TRIM_HORIZON"}});
  REQUIRE(iterator_request.ok());
  auto iterator = get_shard_iterator(f.context, *iterator_request);
  REQUIRE(iterator.ok());
  std::string next = iterator->shard_iterator;
  std::vector<std::vector<size_t>> responses;
  while (responses.size() < 4) {
    auto request = read<GetRecordsRequest>({{"ShardIterator", next}});
    REQUIRE(request.ok());
    auto got = get_records(f.context, *request);
    REQUIRE(got.ok());
    std::vector<size_t> got_sizes;
    for (const auto& record : got->records)
      got_sizes.push_back(record.data.size());
    responses.push_back(got_sizes);
    REQUIRE(got->next_shard_iterator);
    next = *got->next_shard_iterator;
  }
  // The small record, not the big one after it; the big one alone; two of 4 MiB; the last.
  CHECK(responses ==
        std::vector<std::vector<size_t>>{{1000}, {(10u << 20) - 1}, {4u << 20, 4u << 20}, {4u << 20}});
}

TEST_CASE("max record size: a SubscribeToShard event holds at most 2 MiB of data, or one record alone") {
  ApiFixture f;
  f.create("s", 1);
  REQUIRE(set_max_record_size(f.store, "s", 10240).ok());
  auto consumer_request = read<RegisterStreamConsumerRequest>(
      {{"StreamARN", "arn:aws:kinesis:us-east-1:000000000000:stream/s"}, {"ConsumerName", "app"}});
  REQUIRE(consumer_request.ok());
  auto consumer = register_stream_consumer(f.context, *consumer_request);
  REQUIRE(consumer.ok());
  put_sized(f, {1u << 20, 1u << 20, 6u << 20, 100, 100});
  auto request = read<SubscribeToShardRequest>({{"ConsumerARN", consumer->consumer.arn()},
                                                {"ShardId", "shardId-000000000000"},
                                                {"StartingPosition", {{"Type", "TRIM_HORIZON"}}}});
  REQUIRE(request.ok());
  auto subscription = ShardSubscription::open(f.context, *request, nullptr);
  REQUIRE(subscription.ok());
  std::vector<std::vector<size_t>> events;
  std::vector<std::string> continuations;
  for (int i = 0; i < 4; ++i) {
    auto event = subscription->next_event();
    REQUIRE(event.ok());
    std::vector<size_t> event_sizes;
    for (const auto& record : event->records)
      event_sizes.push_back(record.data.size() + record.key.size());
    events.push_back(event_sizes);
    continuations.push_back(event->continuation_sequence_number.value_or(""));
  }
  // 1 MiB + 1 byte of key twice is over 2 MiB: the second record waits for the next event, the 6 MiB
  // record after it for the one after that, which it fills alone.
  CHECK(events ==
        std::vector<std::vector<size_t>>{{(1u << 20) + 1}, {(1u << 20) + 1}, {(6u << 20) + 1}, {101, 101}});
  CHECK(continuations == std::vector<std::string>{"0", "1", "2", "4"});
}
