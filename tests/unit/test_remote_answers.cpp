// Remote mode's readers of large answers (answer.h, decode_record) and the text helpers they share with
// the server: JSON escaping, base64 into a reused string, compiled number formats.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "../../lib/remote/src/answer.h"
#include "kds/api/shapes.h"
#include "kds/base64.h"
#include "kds/hash_key.h"
#include "kds/timestamp.h"

namespace {

using kds::remote::JsonElement;

JsonElement parse(simdjson::dom::parser& parser, const std::string& text) {
  JsonElement element;
  REQUIRE(parser.parse(text).get(element) == simdjson::SUCCESS);
  return element;
}

}  // namespace

TEST_CASE("json escaping: runs kept whole, each escape as JSON writes it") {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", ""},
      {"plain key-1", "plain key-1"},
      {"a\"b", "a\\\"b"},
      {"\\", "\\\\"},
      {"line\nnext\r\tend", "line\\nnext\\r\\tend"},
      {std::string("nul\0x", 5), "nul\\u0000x"},
      {"\x1f\x01", "\\u001f\\u0001"},
      {"\"\"", "\\\"\\\""},
      {"caf\xc3\xa9 \xe2\x82\xac", "caf\xc3\xa9 \xe2\x82\xac"},  // UTF-8 passes unchanged
      {"ends with quote\"", "ends with quote\\\""},
  };
  simdjson::dom::parser parser;
  for (const auto& [text, escaped] : cases) {
    CAPTURE(text);
    std::string out = "x";
    kds::api::append_json_escaped(text, &out);
    CHECK(out == "x" + escaped);
    // And a JSON parser reads the text back.
    const std::string document = "\"" + escaped + "\"";
    std::string_view read;
    REQUIRE(parser.parse(document).get(read) == simdjson::SUCCESS);
    CHECK(read == text);
  }
}

TEST_CASE("base64 decoding into a reused string replaces its contents") {
  std::string out = "left over from a longer record";
  REQUIRE(kds::base64_decode("aGk=", &out));
  CHECK(out == "hi");
  REQUIRE(kds::base64_decode("", &out));
  CHECK(out.empty());
  REQUIRE(kds::base64_decode("AAEC/w==", &out));
  CHECK(out == std::string("\0\1\2\xff", 4));
  CHECK_FALSE(kds::base64_decode("abc", &out));
  CHECK_FALSE(kds::base64_decode("ab!=", &out));
  CHECK(kds::base64_decode("aGk=") == std::optional<std::string>("hi"));
}

TEST_CASE("compiled formats: epoch seconds and 128-bit decimals as before") {
  CHECK(kds::format_epoch_seconds(0) == "0.000");
  CHECK(kds::format_epoch_seconds(1700000000123) == "1700000000.123");
  CHECK(kds::format_epoch_seconds(-1) == "-0.001");
  CHECK(kds::to_decimal(0) == "0");
  CHECK(kds::to_decimal(kds::u128{1} << 64) == "18446744073709551616");
  CHECK(kds::to_decimal(~kds::u128{0}) == "340282366920938463463374607431768211455");
  CHECK(kds::to_decimal(kds::u128{10000000000000000000ull} * 10000000000000000000ull) ==
        "100000000000000000000000000000000000000");
}

TEST_CASE("decode_record: GetRecords' records, timestamps in seconds, bad data refused") {
  simdjson::dom::parser parser;
  const JsonElement answer = parse(parser, R"({"Records": [
      {"SequenceNumber": "4960", "ApproximateArrivalTimestamp": 1700000000.123, "Data": "aGk=",
       "PartitionKey": "k\"1", "EncryptionType": "KMS"},
      {"SequenceNumber": "4961", "ApproximateArrivalTimestamp": 1700000001, "Data": "", "PartitionKey": "k"},
      {"SequenceNumber": "4962", "Data": "not base64!", "PartitionKey": "k"},
      {"Data": "aGk=", "PartitionKey": "k"}],
    "NextShardIterator": "it", "MillisBehindLatest": 0})");
  std::vector<JsonElement> entries;
  for (JsonElement entry : kds::remote::array_of(answer, "Records"))
    entries.push_back(entry);
  REQUIRE(entries.size() == 4);

  kds::remote::RemoteRecord record;
  REQUIRE(kds::remote::decode_record(entries[0], "shardId-000000000001", &record).ok());
  CHECK(record.shard_id == "shardId-000000000001");
  CHECK(record.sequence_number == "4960");
  CHECK(record.arrival_ms == 1700000000123);
  CHECK(record.data == "hi");
  CHECK(record.key == "k\"1");
  CHECK(record.encrypted);

  // The same record object again: nothing of the one before stays.
  REQUIRE(kds::remote::decode_record(entries[1], "shardId-000000000001", &record).ok());
  CHECK(record.arrival_ms == 1700000001000);
  CHECK(record.data.empty());
  CHECK(record.key == "k");
  CHECK_FALSE(record.encrypted);

  for (size_t bad : {2, 3}) {
    const auto decoded = kds::remote::decode_record(entries[bad], "shardId-000000000001", &record);
    REQUIRE_FALSE(decoded.ok());
    CHECK(decoded.error().message() ==
          "a record of shardId-000000000001 came without a sequence number or base64 data");
  }

  CHECK(kds::remote::text_of(answer, "NextShardIterator") == "it");
  CHECK(kds::remote::text_of(answer, "MillisBehindLatest").empty());  // not a string
  CHECK(kds::remote::text_of(answer, "Missing").empty());
  CHECK(kds::remote::array_of(answer, "NextShardIterator").size() == 0);  // not an array
}

TEST_CASE("child_shards: none named, named with their parents, malformed entries skipped") {
  simdjson::dom::parser parser;
  CHECK_FALSE(kds::remote::child_shards(parse(parser, R"({"Records": []})")).has_value());

  const auto children = kds::remote::child_shards(parse(parser, R"({"ChildShards": [
      {"ShardId": "shardId-000000000002", "ParentShards": ["shardId-000000000000", "shardId-000000000001"],
       "HashKeyRange": {"StartingHashKey": "0", "EndingHashKey": "1"}},
      {"ShardId": "shardId-000000000003", "ParentShards": ["shardId-000000000000", 7]},
      {"ParentShards": ["shardId-000000000000"]},
      "not an object"]})"));
  REQUIRE(children.has_value());
  REQUIRE(children->size() == 2);
  CHECK((*children)[0].id == "shardId-000000000002");
  CHECK((*children)[0].parents == std::vector<std::string>{"shardId-000000000000", "shardId-000000000001"});
  CHECK((*children)[1].id == "shardId-000000000003");
  CHECK((*children)[1].parents == std::vector<std::string>{"shardId-000000000000"});

  CHECK(kds::remote::child_shards(parse(parser, R"({"ChildShards": []})"))->empty());
}
