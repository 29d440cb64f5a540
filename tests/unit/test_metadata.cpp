// Stream metadata: stream.json round trip and its checks (metadata.h).
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "kds/hash_key.h"
#include "kds/metadata.h"
#include "kds/shard_id.h"
#include "test_util.h"

using kds::ShardMeta;
using kds::StreamMeta;
using kds::u128;
using kds_test::dec;

namespace {

const char* const kPath = "/store/orders.stream/stream.json";

// A stream with history: shard 0 split into 1 and 2; 1 split into 3 and 4; 4 and 2 merged into 5.
// Open: 3 [0, j-1] and 5 [j, max].
StreamMeta sample() {
  const u128 k = static_cast<u128>(1) << 127;
  const u128 j = static_cast<u128>(1) << 100;
  StreamMeta meta;
  meta.name = "orders";
  meta.created_ms = 1459799926480;
  meta.retention_hours = 48;
  meta.segment_bytes = 1 << 20;
  meta.segment_max_age_ms = 60000;
  meta.next_shard_index = 6;
  auto shard = [](uint32_t index, u128 start, u128 end, int64_t created) {
    ShardMeta s;
    s.index = index;
    s.range = {start, end};
    s.created_ms = created;
    return s;
  };
  ShardMeta s0 = shard(0, 0, kds::kMaxHashKey, 1000);
  s0.closed_ms = 2000;
  s0.end_offset = 10;
  ShardMeta s1 = shard(1, 0, k - 1, 2000);
  s1.parent = 0;
  s1.closed_ms = 3000;
  s1.end_offset = 0;
  ShardMeta s2 = shard(2, k, kds::kMaxHashKey, 2000);
  s2.parent = 0;
  s2.closed_ms = 4000;
  s2.end_offset = 12345678901234ull;
  ShardMeta s3 = shard(3, 0, j - 1, 3000);
  s3.parent = 1;
  ShardMeta s4 = shard(4, j, k - 1, 3000);
  s4.parent = 1;
  s4.closed_ms = 4000;
  s4.end_offset = 7;
  ShardMeta s5 = shard(5, j, kds::kMaxHashKey, 4000);
  s5.parent = 4;
  s5.adjacent_parent = 2;
  meta.shards = {s0, s1, s2, s3, s4, s5};
  return meta;
}

void check_same(const StreamMeta& a, const StreamMeta& b) {
  CHECK(a.format_version == b.format_version);
  CHECK(a.name == b.name);
  CHECK(a.status == b.status);
  CHECK(a.created_ms == b.created_ms);
  CHECK(a.retention_hours == b.retention_hours);
  CHECK(a.segment_bytes == b.segment_bytes);
  CHECK(a.segment_max_age_ms == b.segment_max_age_ms);
  CHECK(a.next_shard_index == b.next_shard_index);
  REQUIRE(a.shards.size() == b.shards.size());
  for (size_t i = 0; i < a.shards.size(); ++i) {
    CAPTURE(i);
    const auto& x = a.shards[i];
    const auto& y = b.shards[i];
    CHECK(x.index == y.index);
    CHECK(x.range == y.range);
    CHECK(x.parent == y.parent);
    CHECK(x.adjacent_parent == y.adjacent_parent);
    CHECK(x.created_ms == y.created_ms);
    CHECK(x.closed_ms == y.closed_ms);
    CHECK(x.end_offset == y.end_offset);
  }
}

void check_rejected(const std::string& text, const char* why) {
  const std::string shown = why;
  CAPTURE(shown);
  auto parsed = StreamMeta::from_json(text, kPath);
  REQUIRE_FALSE(parsed.ok());
  CHECK(parsed.error().code() == kds::Errc::kCorruption);
  CHECK(parsed.error().message().rfind(std::string(kPath) + ": ", 0) == 0);
}

void check_rejected(const StreamMeta& meta, const char* why) {
  check_rejected(meta.to_json(), why);
}

std::string replace_once(std::string text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  REQUIRE(at != std::string::npos);
  text.replace(at, from.size(), to);
  return text;
}

}  // namespace

TEST_CASE("StreamMeta round trips through stream.json") {
  const StreamMeta meta = sample();
  const std::string json = meta.to_json();
  auto parsed = StreamMeta::from_json(json, kPath);
  REQUIRE(parsed.ok());
  check_same(*parsed, meta);
  CHECK(parsed->to_json() == json);

  // Hash keys are decimal strings, shard ids canonical; closed shards carry their end.
  CHECK(json.find("\"StartingHashKey\": \"170141183460469231731687303715884105728\"") != std::string::npos);
  CHECK(json.find("\"EndingHashKey\": \"340282366920938463463374607431768211455\"") != std::string::npos);
  CHECK(json.find("\"ShardId\": \"shardId-000000000005\"") != std::string::npos);
  CHECK(json.find("\"AdjacentParentShardId\": \"shardId-000000000002\"") != std::string::npos);
  CHECK(json.find("\"EndOffset\": 12345678901234") != std::string::npos);

  // A fresh stream too.
  StreamMeta fresh;
  fresh.name = "A-b_c.9";
  fresh.next_shard_index = 3;
  const auto ranges = kds::uniform_hash_ranges(3);
  for (uint32_t i = 0; i < 3; ++i) {
    ShardMeta s;
    s.index = i;
    s.range = ranges[i];
    fresh.shards.push_back(s);
  }
  auto fresh_parsed = StreamMeta::from_json(fresh.to_json(), kPath);
  REQUIRE(fresh_parsed.ok());
  check_same(*fresh_parsed, fresh);
}

TEST_CASE("StreamMeta queries") {
  const StreamMeta meta = sample();
  const auto open = meta.open_shards();
  REQUIRE(open.size() == 2);
  CHECK(open[0]->index == 3);
  CHECK(open[1]->index == 5);
  REQUIRE(meta.find_shard(4) != nullptr);
  CHECK(meta.find_shard(4)->index == 4);
  CHECK(meta.find_shard(6) == nullptr);
  CHECK(meta.shards[0].id() == "shardId-000000000000");
  CHECK(meta.shards[3].is_open());
  CHECK_FALSE(meta.shards[4].is_open());
  CHECK(meta.shards[2].starting_sequence_number() == kds::make_sequence_number(2, 0));
  REQUIRE(meta.shards[0].ending_sequence_number().has_value());
  CHECK(*meta.shards[0].ending_sequence_number() == kds::make_sequence_number(0, 9));
  // A closed shard without records ends at its starting number.
  REQUIRE(meta.shards[1].ending_sequence_number().has_value());
  CHECK(*meta.shards[1].ending_sequence_number() == kds::make_sequence_number(1, 0));
  CHECK_FALSE(meta.shards[5].ending_sequence_number().has_value());
}

TEST_CASE("from_json rejects damaged metadata as Corruption") {
  const u128 j = static_cast<u128>(1) << 100;

  StreamMeta meta = sample();
  meta.format_version = 2;
  check_rejected(meta, "format version 2");
  meta.format_version = 0;
  check_rejected(meta, "format version 0");

  meta = sample();
  meta.shards[5].range.start = j + 1;  // gap between 3 and 5
  check_rejected(meta, "gap between open shards");
  meta = sample();
  meta.shards[5].range.start = j - 1;  // 3 and 5 overlap by one key
  check_rejected(meta, "overlap between open shards");
  meta = sample();
  meta.shards[5].range.end = kds::kMaxHashKey - 1;
  check_rejected(meta, "open shards do not reach 2^128-1");
  meta = sample();
  meta.shards[3].range.start = 1;
  check_rejected(meta, "open shards do not start at 0");
  meta = sample();
  meta.shards[4].end_offset.reset();  // 4 open again: overlaps 5
  check_rejected(meta, "an open shard overlapping another");
  meta = sample();
  meta.shards[3].end_offset = 5;
  meta.shards[5].end_offset = 5;
  check_rejected(meta, "no open shard");
  meta = sample();
  meta.shards[3].range = {5, 4};
  check_rejected(meta, "empty range");
  // Two open shards that both cover the whole space: the cover check must not wrap past 2^128-1.
  meta = sample();
  meta.shards[0].end_offset.reset();
  meta.shards[0].closed_ms.reset();
  meta.shards[3].range = {0, kds::kMaxHashKey};
  meta.shards[5].end_offset = 1;
  check_rejected(meta, "two open shards covering everything");

  meta = sample();
  meta.shards[3].parent = 5;
  check_rejected(meta, "parent younger than the child");
  meta = sample();
  meta.shards[3].parent = 3;
  check_rejected(meta, "parent is the shard itself");
  meta = sample();
  meta.shards[5].adjacent_parent = 5;
  check_rejected(meta, "adjacent parent is the shard itself");
  meta = sample();
  meta.next_shard_index = 5;
  check_rejected(meta, "shard index not below NextShardIndex");
  meta = sample();
  std::swap(meta.shards[1], meta.shards[2]);
  check_rejected(meta, "shards out of index order");
  // A shard entry without its id (it was read as shard 0 through an empty optional before).
  std::string text = sample().to_json();
  const size_t id = text.find("\"ShardId\": \"shardId-000000000000\",");
  REQUIRE(id != std::string::npos);
  text.erase(id, std::string("\"ShardId\": \"shardId-000000000000\",").size());
  check_rejected(text, "a shard without ShardId");
  meta = sample();
  meta.segment_bytes = 100;
  check_rejected(meta, "segment size below the minimum");
  meta = sample();
  meta.segment_max_age_ms = 0;
  check_rejected(meta, "segment age zero");

  const std::string json = sample().to_json();
  check_rejected("", "empty");
  check_rejected("{", "truncated");
  check_rejected(json.substr(0, json.size() / 2), "half a file");
  check_rejected("not json", "garbage");
  check_rejected("[]", "array");
  check_rejected("{}", "no fields");
  check_rejected(std::string("\0\0\0\0", 4), "zeros");
  check_rejected(replace_once(json, "\"shardId-000000000003\"", "\"shardId-3\""), "non-canonical shard id");
  check_rejected(replace_once(json, "\"ShardId\": \"shardId-000000000003\"", "\"ShardId\": 3"),
                 "shard id a number");
  check_rejected(replace_once(json, "\"StartingHashKey\": \"0\"", "\"StartingHashKey\": \"-1\""),
                 "negative hash key");
  check_rejected(replace_once(json, "\"StartingHashKey\": \"0\"", "\"StartingHashKey\": 0"),
                 "hash key a number");
  check_rejected(replace_once(json, "\"EndingHashKey\": \"340282366920938463463374607431768211455\"",
                              "\"EndingHashKey\": \"340282366920938463463374607431768211456\""),
                 "hash key 2^128");
  check_rejected(replace_once(json, "\"RetentionPeriodHours\": 48", "\"RetentionPeriodHours\": \"48\""),
                 "retention a string");
  check_rejected(replace_once(json, "\"FormatVersion\": 1,", ""), "no version");
  // Numbers nlohmann would cast silently: floats (out of range, undefined behaviour) and wrapped integers.
  check_rejected(replace_once(json, "\"RetentionPeriodHours\": 48", "\"RetentionPeriodHours\": 48.5"),
                 "retention a float");
  check_rejected(replace_once(json, "\"RetentionPeriodHours\": 48", "\"RetentionPeriodHours\": 1e300"),
                 "retention past int64");
  check_rejected(
      replace_once(json, "\"RetentionPeriodHours\": 48", "\"RetentionPeriodHours\": 9000000000000000"),
      "retention hours whose milliseconds overflow");
  check_rejected(replace_once(json, "\"RetentionPeriodHours\": 48", "\"RetentionPeriodHours\": 23"),
                 "retention under Kinesis's minimum");
  check_rejected(replace_once(json, "\"NextShardIndex\": ", "\"NextShardIndex\": -"), "negative shard count");
  check_rejected(replace_once(json, "\"FormatVersion\": 1,", "\"FormatVersion\": 4294967297,"),
                 "version past int");
  check_rejected(replace_once(json, "\"CreatedMs\": ", "\"CreatedMs\": 1e30, \"Was\": "), "float time");
  check_rejected(replace_once(json, "\"SegmentBytes\": ", "\"SegmentBytes\": -"), "negative segment size");
}
