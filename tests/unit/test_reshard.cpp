// Resharding: SplitShard, MergeShards and UpdateShardCount, with Kinesis's ranges, lineage, shard indexes
// and error texts (reshard.h; kinesis.md §7 and §13).
#include <doctest/doctest.h>

#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "kds/hash_key.h"
#include "kds/reshard.h"
#include "kds/store.h"
#include "stream_util.h"
#include "temp_dir.h"
#include "test_util.h"

using kds_test::dec;

namespace {

constexpr const char* kMax = "340282366920938463463374607431768211455";

std::string range_text(const kds::ShardMeta& shard) {
  return "[" + dec(shard.range.start) + ", " + dec(shard.range.end) + "]";
}

const kds::ShardMeta& shard_of(const kds::Stream& stream, uint32_t index) {
  const kds::ShardMeta* shard = stream.meta().find_shard(index);
  REQUIRE(shard != nullptr);
  return *shard;
}

// Checks that a failed call left the stream as it was: same metadata, no new shard directory.
void check_unchanged(const kds::Store& store, const kds_test::TempDir& tmp, const std::string& json_before,
                     const std::vector<std::string>& dir_before) {
  CHECK(kds_test::open_stream(store, "s").meta().to_json() == json_before);
  CHECK(kds_test::entries(tmp.sub("store/s.stream")) == dir_before);
}

}  // namespace

TEST_CASE("reshard: split at the midpoint closes the parent and adds two children with the next indexes") {
  kds_test::TempDir tmp;
  kds_test::ClockGuard clock(1600000000000);
  const kds::Store store = kds_test::open_store(tmp);
  kds_test::create_stream(store, "s", 1);
  const kds_test::Records before = {{"a", "one"}, {"b", "two"}, {"c", "three"}};
  kds_test::put(store, "s", before);
  clock.advance(1000);

  auto split = kds::split_shard(store, "s", "shardId-000000000000", std::nullopt, nullptr);
  REQUIRE(split.ok());
  CHECK(split->lower == 1);
  CHECK(split->upper == 2);

  const kds::Stream stream = kds_test::open_stream(store, "s");
  CHECK(stream.meta().next_shard_index == 3);
  REQUIRE(stream.meta().shards.size() == 3);
  const kds::ShardMeta& parent = shard_of(stream, 0);
  CHECK_FALSE(parent.is_open());
  CHECK(parent.end_offset == std::optional<uint64_t>(3));
  CHECK(parent.closed_ms == std::optional<int64_t>(clock.now()));
  const kds::ShardMeta& lower = shard_of(stream, 1);
  const kds::ShardMeta& upper = shard_of(stream, 2);
  CHECK(range_text(lower) == "[0, 170141183460469231731687303715884105726]");
  CHECK(range_text(upper) == std::string("[170141183460469231731687303715884105727, ") + kMax + "]");
  for (const kds::ShardMeta* child : {&lower, &upper}) {
    CHECK(child->is_open());
    CHECK(child->parent == std::optional<uint32_t>(0));
    CHECK_FALSE(child->adjacent_parent.has_value());
    CHECK(child->created_ms == clock.now());
  }
  // The children's directories exist; the parent keeps its records.
  CHECK(kds_test::entries(tmp.sub("store/s.stream")) ==
        std::vector<std::string>{"control.lock", "shardId-000000000000", "shardId-000000000001",
                                 "shardId-000000000002", "stream.json"});
  CHECK(kds_test::data_of(kds_test::read_shard(store, "s", 0)) ==
        std::vector<std::string>{"one", "two", "three"});

  // New records go to the child whose range holds their key's MD5, starting at offset 0.
  const auto acks = kds_test::put(store, "s", {{"a", "four"}, {"b", "five"}, {"c", "six"}});
  const std::vector<std::string> keys = {"a", "b", "c"};
  for (size_t i = 0; i < acks.size(); ++i) {
    CAPTURE(i);
    const uint32_t want = lower.range.contains(kds::partition_key_hash(keys[i])) ? 1 : 2;
    CHECK(acks[i].shard_index == want);
  }
  CHECK(kds_test::read_shard(store, "s", 0).size() == 3);
  CHECK(kds_test::read_shard(store, "s", 1).size() + kds_test::read_shard(store, "s", 2).size() == 3);
}

TEST_CASE("reshard: split at an explicit key, and the bounds of NewStartingHashKey") {
  kds_test::TempDir tmp;
  const kds::Store store = kds_test::open_store(tmp);
  kds_test::create_stream(store, "s", 1);
  const std::string json_before = kds_test::open_stream(store, "s").meta().to_json();
  const auto dir_before = kds_test::entries(tmp.sub("store/s.stream"));

  const std::string tail =
      " used in SplitShard() on shard shardId-000000000000 in stream s under account "
      "000000000000 is not both greater than one plus the shard's StartingHashKey 0 and "
      "less than the shard's EndingHashKey " +
      std::string(kMax) + ".";
  // Below start + 2, at the end, and above the key space (shown as typed).
  for (const std::string& key :
       std::vector<std::string>{"0", "1", kMax, "340282366920938463463374607431768211456"}) {
    CAPTURE(key);
    auto split = kds::split_shard(store, "s", "0", key, nullptr);
    REQUIRE_FALSE(split.ok());
    CHECK(split.error().code() == kds::Errc::kInvalidArgument);
    CHECK(split.error().message() == "NewStartingHashKey " + key + tail);
    check_unchanged(store, tmp, json_before, dir_before);
  }
  // Not a decimal without leading zeros: ValidationException naming the member.
  for (const std::string& key :
       std::vector<std::string>{"01", "-1", "1e3", "", "1234567890123456789012345678901234567890"}) {
    CAPTURE(key);
    auto split = kds::split_shard(store, "s", "0", key, nullptr);
    REQUIRE_FALSE(split.ok());
    CHECK(split.error().code() == kds::Errc::kValidation);
    CHECK(split.error().message() ==
          "1 validation error detected: Value '" + key +
              "' at 'newStartingHashKey' failed to satisfy constraint: Member must "
              "satisfy regular expression pattern: 0|([1-9]\\d{0,38})");
    check_unchanged(store, tmp, json_before, dir_before);
  }

  // The minimal split seen on AWS: k = 2 gives [0, 1] and [2, max].
  auto split = kds::split_shard(store, "s", "0", "2", nullptr);
  REQUIRE(split.ok());
  CHECK(split->lower == 1);
  CHECK(split->upper == 2);
  kds::Stream stream = kds_test::open_stream(store, "s");
  CHECK(range_text(shard_of(stream, 1)) == "[0, 1]");
  CHECK(range_text(shard_of(stream, 2)) == std::string("[2, ") + kMax + "]");

  // [0, 1] holds two keys: too small to split at any key, the midpoint included.
  auto tiny = kds::split_shard(store, "s", "1", std::nullopt, nullptr);
  REQUIRE_FALSE(tiny.ok());
  CHECK(tiny.error().code() == kds::Errc::kInvalidArgument);
  CHECK(tiny.error().message() ==
        "NewStartingHashKey 0 used in SplitShard() on shard shardId-000000000001 in stream s under account "
        "000000000000 is not both greater than one plus the shard's StartingHashKey 0 and less than the "
        "shard's "
        "EndingHashKey 1.");

  // The highest key allowed is end - 1: the upper child gets exactly two keys.
  split = kds::split_shard(store, "s", "2", "340282366920938463463374607431768211454", nullptr);
  REQUIRE(split.ok());
  CHECK(split->lower == 3);
  CHECK(split->upper == 4);
  stream = kds_test::open_stream(store, "s");
  CHECK(range_text(shard_of(stream, 3)) == "[2, 340282366920938463463374607431768211453]");
  CHECK(range_text(shard_of(stream, 4)) ==
        std::string("[340282366920938463463374607431768211454, ") + kMax + "]");
  CHECK(shard_of(stream, 3).parent == std::optional<uint32_t>(2));
  CHECK(stream.meta().next_shard_index == 5);
}

TEST_CASE(
    "reshard: a closed parent, an unknown shard and an unknown stream are refused with Kinesis's texts") {
  kds_test::TempDir tmp;
  const kds::Store store = kds_test::open_store(tmp);
  kds_test::create_stream(store, "s", 2);
  REQUIRE(kds::split_shard(store, "s", "0", std::nullopt, nullptr).ok());
  const std::string json_before = kds_test::open_stream(store, "s").meta().to_json();
  const auto dir_before = kds_test::entries(tmp.sub("store/s.stream"));

  const std::string closed =
      "Shard shardId-000000000000 in stream s under account 000000000000 has already been "
      "merged or split, and thus is not eligible for merging or splitting.";
  auto again = kds::split_shard(store, "s", "0", std::nullopt, nullptr);
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().code() == kds::Errc::kInvalidArgument);
  CHECK(again.error().message() == closed);
  // Either side of a merge.
  for (const auto& [first, second] : {std::pair{"0", "2"}, std::pair{"1", "0"}}) {
    CAPTURE(first);
    auto merged = kds::merge_shards(store, "s", first, second, nullptr);
    REQUIRE_FALSE(merged.ok());
    CHECK(merged.error().code() == kds::Errc::kInvalidArgument);
    CHECK(merged.error().message() == closed);
  }
  check_unchanged(store, tmp, json_before, dir_before);

  // Unknown shards: the id is shown canonical when it parses, as typed when it does not.
  for (const auto& [given, shown] :
       {std::pair{"9", "shardId-000000000009"}, std::pair{"shardId-000000000009", "shardId-000000000009"},
        std::pair{"bogus", "bogus"}}) {
    CAPTURE(given);
    const std::string text =
        std::string("Could not find shard ") + shown + " in stream s under account 000000000000.";
    auto split = kds::split_shard(store, "s", given, std::nullopt, nullptr);
    REQUIRE_FALSE(split.ok());
    CHECK(split.error().code() == kds::Errc::kResourceNotFound);
    CHECK(split.error().message() == text);
    auto merged = kds::merge_shards(store, "s", "1", given, nullptr);
    REQUIRE_FALSE(merged.ok());
    CHECK(merged.error().code() == kds::Errc::kResourceNotFound);
    CHECK(merged.error().message() == text);
  }
  check_unchanged(store, tmp, json_before, dir_before);

  auto split = kds::split_shard(store, "nosuch", "0", std::nullopt, nullptr);
  REQUIRE_FALSE(split.ok());
  CHECK(split.error().code() == kds::Errc::kResourceNotFound);
  CHECK(split.error().message() == "Stream nosuch under account 000000000000 not found.");
  auto merged = kds::merge_shards(store, "nosuch", "0", "1", nullptr);
  REQUIRE_FALSE(merged.ok());
  CHECK(merged.error().message() == "Stream nosuch under account 000000000000 not found.");
}

TEST_CASE("reshard: merge of 0 and 1 in a 3-shard stream gives shard 3 over both ranges") {
  kds_test::TempDir tmp;
  kds_test::ClockGuard clock(1600000000000);
  const kds::Store store = kds_test::open_store(tmp);
  kds_test::create_stream(store, "s", 3);
  const auto ranges = kds::uniform_hash_ranges(3);
  const std::string k0 = kds_test::key_in(ranges[0]);
  const std::string k1 = kds_test::key_in(ranges[1]);
  const auto acks =
      kds_test::put(store, "s", {{k0, "to 0"}, {k1, "to 1"}, {kds_test::key_in(ranges[2]), "to 2"}});
  clock.advance(500);
  const std::string json_before = kds_test::open_stream(store, "s").meta().to_json();
  const auto dir_before = kds_test::entries(tmp.sub("store/s.stream"));

  const std::string not_adjacent =
      " in stream s under account 000000000000 are not an adjacent pair of shards "
      "eligible for merging";
  // Not adjacent, and adjacent but inverted (AWS rejects ShardToMerge = 1, Adjacent = 0).
  for (const auto& [first, second, shown] :
       {std::tuple{"0", "2", "Shards shardId-000000000000 and shardId-000000000002"},
        std::tuple{"1", "0", "Shards shardId-000000000001 and shardId-000000000000"},
        std::tuple{"2", "0", "Shards shardId-000000000002 and shardId-000000000000"},
        std::tuple{"1", "1", "Shards shardId-000000000001 and shardId-000000000001"}}) {
    CAPTURE(first);
    CAPTURE(second);
    auto merged = kds::merge_shards(store, "s", first, second, nullptr);
    REQUIRE_FALSE(merged.ok());
    CHECK(merged.error().code() == kds::Errc::kInvalidArgument);
    CHECK(merged.error().message() == shown + not_adjacent);
    check_unchanged(store, tmp, json_before, dir_before);
  }

  auto merged = kds::merge_shards(store, "s", "shardId-000000000000", "1", nullptr);
  REQUIRE(merged.ok());
  CHECK(*merged == 3);
  const kds::Stream stream = kds_test::open_stream(store, "s");
  CHECK(stream.meta().next_shard_index == 4);
  const kds::ShardMeta& child = shard_of(stream, 3);
  CHECK(range_text(child) == "[0, 226854911280625642308916404954512140969]");
  CHECK(child.parent == std::optional<uint32_t>(0));
  CHECK(child.adjacent_parent == std::optional<uint32_t>(1));
  CHECK(child.is_open());
  // Both parents closed at the same time, each at its end; shard 2 untouched.
  for (uint32_t index : {0u, 1u}) {
    CAPTURE(index);
    CHECK(shard_of(stream, index).end_offset == std::optional<uint64_t>(1));
    CHECK(shard_of(stream, index).closed_ms == std::optional<int64_t>(clock.now()));
  }
  CHECK(shard_of(stream, 2).is_open());
  CHECK(range_text(shard_of(stream, 2)) ==
        std::string("[226854911280625642308916404954512140970, ") + kMax + "]");
  REQUIRE(acks[0].shard_index == 0);
  REQUIRE(acks[1].shard_index == 1);
  CHECK(kds_test::data_of(kds_test::read_shard(store, "s", 0)) == std::vector<std::string>{"to 0"});
  CHECK(kds_test::data_of(kds_test::read_shard(store, "s", 1)) == std::vector<std::string>{"to 1"});

  // The keys of both parents now go to the child.
  const auto after = kds_test::put(store, "s", {{k0, "k0 again"}, {k1, "k1 again"}});
  CHECK(after[0].shard_index == 3);
  CHECK(after[1].shard_index == 3);
  CHECK(kds_test::data_of(kds_test::read_shard(store, "s", 3)) ==
        std::vector<std::string>{"k0 again", "k1 again"});

  // The child merges on with shard 2 into the whole key space.
  merged = kds::merge_shards(store, "s", "3", "2", nullptr);
  REQUIRE(merged.ok());
  CHECK(*merged == 4);
  CHECK(range_text(shard_of(kds_test::open_stream(store, "s"), 4)) == std::string("[0, ") + kMax + "]");
}

TEST_CASE("reshard: update_shard_count makes open shards of equal size and records the lineage") {
  kds_test::TempDir tmp;
  const kds::Store store = kds_test::open_store(tmp);

  SUBCASE("1 -> 3: two splits through an intermediate shard; records stay readable in the parent") {
    kds_test::create_stream(store, "s", 1);
    kds_test::Records records;
    for (int i = 0; i < 20; ++i)
      records.emplace_back("key-" + std::to_string(i), "record " + std::to_string(i));
    kds_test::put(store, "s", records);
    auto open = kds::update_shard_count(store, "s", 3, nullptr);
    REQUIRE(open.ok());
    CHECK(*open == std::vector<uint32_t>{1, 3, 4});
    const kds::Stream stream = kds_test::open_stream(store, "s");
    CHECK(stream.meta().next_shard_index == 5);
    const auto ranges = kds::uniform_hash_ranges(3);
    for (size_t i = 0; i < 3; ++i)
      CHECK(shard_of(stream, (*open)[i]).range == ranges[i]);
    CHECK(shard_of(stream, 0).end_offset == std::optional<uint64_t>(20));
    // Shard 2, [s, max], lived only inside the change: closed empty, parent of 3 and 4.
    CHECK(shard_of(stream, 2).end_offset == std::optional<uint64_t>(0));
    CHECK(shard_of(stream, 1).parent == std::optional<uint32_t>(0));
    CHECK(shard_of(stream, 2).parent == std::optional<uint32_t>(0));
    CHECK(shard_of(stream, 3).parent == std::optional<uint32_t>(2));
    CHECK(shard_of(stream, 4).parent == std::optional<uint32_t>(2));
    std::vector<std::string> want;
    for (const auto& [key, data] : records)
      want.push_back(data);
    CHECK(kds_test::data_of(kds_test::read_shard(store, "s", 0)) == want);
    // New records go to the open shard whose range holds their key.
    const auto acks = kds_test::put(store, "s", records);
    for (size_t i = 0; i < acks.size(); ++i) {
      CAPTURE(i);
      const kds::u128 hash = kds::partition_key_hash(records[i].first);
      const size_t at = ranges[0].contains(hash) ? 0 : ranges[1].contains(hash) ? 1 : 2;
      CHECK(acks[i].shard_index == (*open)[at]);
    }
  }

  SUBCASE("2 -> 4: one split per shard, six shards in all as on AWS") {
    kds_test::create_stream(store, "s", 2);
    auto open = kds::update_shard_count(store, "s", 4, nullptr);
    REQUIRE(open.ok());
    CHECK(*open == std::vector<uint32_t>{2, 3, 4, 5});
    const kds::Stream stream = kds_test::open_stream(store, "s");
    CHECK(stream.meta().shards.size() == 6);
    const auto ranges = kds::uniform_hash_ranges(4);
    for (size_t i = 0; i < 4; ++i) {
      CAPTURE(i);
      const kds::ShardMeta& shard = shard_of(stream, (*open)[i]);
      CHECK(shard.range == ranges[i]);
      CHECK(shard.parent == std::optional<uint32_t>(i < 2 ? 0 : 1));
      CHECK_FALSE(shard.adjacent_parent.has_value());
    }
  }

  SUBCASE("4 -> 2: one merge per pair, six shards in all as on AWS") {
    kds_test::create_stream(store, "s", 4);
    auto open = kds::update_shard_count(store, "s", 2, nullptr);
    REQUIRE(open.ok());
    CHECK(*open == std::vector<uint32_t>{4, 5});
    const kds::Stream stream = kds_test::open_stream(store, "s");
    CHECK(stream.meta().shards.size() == 6);
    const auto ranges = kds::uniform_hash_ranges(2);
    CHECK(shard_of(stream, 4).range == ranges[0]);
    CHECK(shard_of(stream, 5).range == ranges[1]);
    CHECK(shard_of(stream, 4).parent == std::optional<uint32_t>(0));
    CHECK(shard_of(stream, 4).adjacent_parent == std::optional<uint32_t>(1));
    CHECK(shard_of(stream, 5).parent == std::optional<uint32_t>(2));
    CHECK(shard_of(stream, 5).adjacent_parent == std::optional<uint32_t>(3));
  }

  SUBCASE("the same count changes nothing; a count below 1 is a ValidationException") {
    kds_test::create_stream(store, "s", 3);
    const std::string json_before = kds_test::open_stream(store, "s").meta().to_json();
    auto open = kds::update_shard_count(store, "s", 3, nullptr);
    REQUIRE(open.ok());
    CHECK(*open == std::vector<uint32_t>{0, 1, 2});
    CHECK(kds_test::open_stream(store, "s").meta().to_json() == json_before);
    auto zero = kds::update_shard_count(store, "s", 0, nullptr);
    REQUIRE_FALSE(zero.ok());
    CHECK(zero.error().code() == kds::Errc::kValidation);
    CHECK(zero.error().message() ==
          "1 validation error detected: Value '0' at 'targetShardCount' failed to "
          "satisfy constraint: Member must have value greater than or equal to 1");
    CHECK(kds_test::open_stream(store, "s").meta().to_json() == json_before);
  }
}
