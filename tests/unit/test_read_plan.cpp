// The read plan (api/read_start.h plan_read): which shards kds-get and kds-tail read, in what order and
// from where, for each iterator type, and GetShardIterator's refusals.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "kds/api/read_start.h"
#include "kds/errors.h"
#include "kds/hash_key.h"
#include "kds/reshard.h"
#include "stream_util.h"

namespace {

constexpr int64_t kT0 = 1600000000000;

using kds::ReadStart;
using kds::api::ShardStart;
using kds::api::StreamReadRequest;

// "index@kind:offset|end" for each shard of the plan, e.g. "0@o:5|7 1@o:0|-".
std::string shown(const std::vector<ShardStart>& plan) {
  std::string text;
  for (const ShardStart& s : plan) {
    if (!text.empty()) text += ' ';
    text += std::to_string(s.shard_index) + '@';
    switch (s.start.kind) {
      case ReadStart::Kind::kOffset:
        text += "o:" + std::to_string(s.start.offset);
        break;
      case ReadStart::Kind::kLatest:
        text += "latest";
        break;
      case ReadStart::Kind::kTimestamp:
        text += "t:" + std::to_string(s.start.timestamp_ms);
        break;
    }
    text += '|' + (s.end_offset ? std::to_string(*s.end_offset) : std::string("-"));
  }
  return text;
}

std::string plan_of(const kds::Stream& stream, const StreamReadRequest& request) {
  auto plan = kds::api::plan_read(stream, request);
  REQUIRE_MESSAGE(plan.ok(), plan.error().message());
  return shown(*plan);
}

std::string error_of(const kds::Stream& stream, const StreamReadRequest& request) {
  auto plan = kds::api::plan_read(stream, request);
  REQUIRE_FALSE(plan.ok());
  return std::string(kds::errc_name(plan.error().code())) + ": " + plan.error().message();
}

}  // namespace

TEST_CASE("plan_read: every shard for positions in time, a lineage for a sequence number") {
  kds_test::TempDir tmp;
  kds_test::ClockGuard clock(kT0);
  const kds::Store store = kds_test::open_store(tmp);
  kds_test::create_stream(store, "s", 2);
  // Shard 0 gets 3 records, then splits into 2 and 3; shard 2 gets 2 more; shard 1 stays open.
  const kds::HashKeyRange low = kds_test::open_stream(store, "s").meta().shards[0].range;
  kds_test::put(
      store, "s",
      {{kds_test::key_in(low, 0), "a"}, {kds_test::key_in(low, 1), "b"}, {kds_test::key_in(low, 2), "c"}});
  REQUIRE(kds::split_shard(store, "s", "0", std::nullopt, nullptr).ok());
  const kds::Stream stream = kds_test::open_stream(store, "s");
  const kds::HashKeyRange lower_child = stream.meta().find_shard(2)->range;
  const auto acks = kds_test::put(
      store, "s", {{kds_test::key_in(lower_child, 0), "d"}, {kds_test::key_in(lower_child, 1), "e"}});
  REQUIRE(acks[0].shard_index == 2);
  auto number = [](uint32_t shard, uint64_t offset) {
    return kds::to_decimal(kds::make_sequence_number(shard, offset));
  };

  StreamReadRequest request;
  CHECK(plan_of(stream, request) == "0@o:0|3 1@o:0|- 2@o:0|- 3@o:0|-");
  request.iterator_type = "LATEST";
  CHECK(plan_of(stream, request) == "0@latest|3 1@latest|- 2@latest|- 3@latest|-");
  request.iterator_type = "AT_TIMESTAMP";
  request.timestamp_ms = kT0 - 1000;
  CHECK(plan_of(stream, request) ==
        "0@t:1599999999000|3 1@t:1599999999000|- 2@t:1599999999000|- "
        "3@t:1599999999000|-");

  // A sequence number names a shard: it, from that record, then its children from their beginning; the
  // other shard of the stream is not in its lineage.
  request = {};
  request.iterator_type = "AT_SEQUENCE_NUMBER";
  request.sequence_number = number(0, 1);
  CHECK(plan_of(stream, request) == "0@o:1|3 2@o:0|- 3@o:0|-");
  request.iterator_type = "AFTER_SEQUENCE_NUMBER";
  CHECK(plan_of(stream, request) == "0@o:2|3 2@o:0|- 3@o:0|-");
  request.sequence_number = number(2, 0);
  CHECK(plan_of(stream, request) == "2@o:1|-");

  // With a shard, that shard alone, whatever the type.
  request = {};
  request.shard = 3;
  CHECK(plan_of(stream, request) == "3@o:0|-");
  request.iterator_type = "AT_SEQUENCE_NUMBER";
  request.shard = 0;
  request.sequence_number = number(0, 2);
  CHECK(plan_of(stream, request) == "0@o:2|3");
}

TEST_CASE("plan_read: GetShardIterator's refusals, in its order") {
  kds_test::TempDir tmp;
  kds_test::ClockGuard clock(kT0);
  const kds::Store store = kds_test::open_store(tmp);
  kds_test::create_stream(store, "s", 1);
  kds_test::put(store, "s", {{"k", "a"}});
  const kds::Stream stream = kds_test::open_stream(store, "s");

  StreamReadRequest request;
  request.iterator_type = "OLDEST";
  CHECK(
      error_of(stream, request) ==
      "ValidationException: 1 validation error detected: Value 'OLDEST' at 'shardIteratorType' failed to "
      "satisfy constraint: Member must satisfy enum value set: [AFTER_SEQUENCE_NUMBER, LATEST, AT_TIMESTAMP, "
      "AT_SEQUENCE_NUMBER, TRIM_HORIZON]");
  request.iterator_type = "AT_SEQUENCE_NUMBER";
  CHECK(error_of(stream, request) ==
        "InvalidArgumentException: Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and "
        "StartingSequenceNumber or (2) TRIM_HORIZON or LATEST and no StartingSequenceNumber. Request "
        "specified AT_SEQUENCE_NUMBER and no StartingSequenceNumber.");
  request.iterator_type = "TRIM_HORIZON";
  request.sequence_number = "1";
  CHECK(error_of(stream, request).starts_with("InvalidArgumentException: Must either specify"));
  request = {};
  request.iterator_type = "AT_TIMESTAMP";
  CHECK(error_of(stream, request)
            .starts_with("InvalidArgumentException: Must specify timestampInMillis parameter for iterator of "
                         "type AT_TIMESTAMP."));
  request.timestamp_ms = kT0 + 60000;
  CHECK(
      error_of(stream, request) ==
      "InvalidArgumentException: The timestampInMillis parameter cannot be greater than the "
      "currentTimestampInMillis. timestampInMillis: 1600000060000, currentTimestampInMillis: 1600000000000");
  request = {};
  request.iterator_type = "AT_SEQUENCE_NUMBER";
  request.sequence_number = kds::to_decimal(kds::make_sequence_number(0, 5));
  CHECK(error_of(stream, request).starts_with("InvalidArgumentException: StartingSequenceNumber "));
  request = {};
  request.shard = 7;
  CHECK(error_of(stream, request).starts_with("ResourceNotFoundException: "));
}
