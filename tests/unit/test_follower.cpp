// Following a stream: new records as they arrive, in arrival order across shards, and across splits and
// merges with every parent drained before its children, so each key's records keep their order
// (follower.h; kinesis.md §7.4).
#include <doctest/doctest.h>

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "kds/follower.h"
#include "kds/hash_key.h"
#include "kds/reshard.h"
#include "kds/store.h"
#include "stream_util.h"
#include "temp_dir.h"
#include "test_util.h"

namespace {

constexpr int64_t kT0 = 1600000000000;

struct Delivered {
  uint32_t shard = 0;
  uint64_t offset = 0;
  int64_t arrival_ms = 0;
  std::string key;
  std::string data;
};

kds::StreamFollower open_follower(const kds::Store& store, std::set<uint32_t> scope,
                                  bool follow_children = true) {
  kds::FollowPlan plan;
  plan.scope = std::move(scope);
  plan.follow_children = follow_children;
  auto follower = kds::StreamFollower::open(kds_test::open_stream(store, "s"), std::move(plan), nullptr);
  REQUIRE(follower.ok());
  return std::move(follower).value();
}

// Delivers everything available. wait(0) takes the pending change events, or, with none, marks every
// shard and the metadata as possibly changed (the timed fallback), so no real time passes.
std::vector<Delivered> pump(kds::StreamFollower& follower) {
  std::vector<Delivered> out;
  for (int round = 0; round < 3; ++round) {
    auto stop = follower.wait(0);
    REQUIRE(stop.ok());
    CHECK_FALSE(*stop);
    auto count = follower.deliver_available([&](uint32_t shard, const kds::ReadRecord& record) {
      out.push_back(
          {shard, record.offset, record.arrival_ms, std::string(record.key), std::string(record.data)});
      return true;
    });
    REQUIRE(count.ok());
  }
  return out;
}

std::vector<std::string> data_of(const std::vector<Delivered>& records) {
  std::vector<std::string> data;
  for (const auto& record : records)
    data.push_back(record.data);
  return data;
}

// Puts one record per key, "<key>/<round>", moving the clock by 1 ms before each.
std::vector<kds::RecordAck> put_round(const kds::Store& store, kds_test::ClockGuard& clock,
                                      const std::vector<std::string>& keys, int round) {
  std::vector<kds::RecordAck> acks;
  for (const auto& key : keys) {
    clock.advance(1);
    const auto ack = kds_test::put(store, "s", {{key, key + "/" + std::to_string(round)}});
    acks.push_back(ack[0]);
  }
  return acks;
}

// Each key's records come in round order, and no record comes twice.
void check_per_key_order(const std::vector<Delivered>& delivered, int rounds, size_t keys) {
  CHECK(delivered.size() == static_cast<size_t>(rounds) * keys);
  std::map<std::string, int> next_round;
  for (const auto& record : delivered) {
    CAPTURE(record.data);
    CHECK(record.data == record.key + "/" + std::to_string(next_round[record.key]++));
  }
  CHECK(next_round.size() == keys);
}

}  // namespace

TEST_CASE("follower: delivers the records present, then each new one once, in arrival order across shards") {
  kds_test::TempDir tmp;
  kds_test::ClockGuard clock(kT0);
  const kds::Store store = kds_test::open_store(tmp);
  kds_test::create_stream(store, "s", 2);
  const auto ranges = kds::uniform_hash_ranges(2);
  const std::vector<std::string> keys = {kds_test::key_in(ranges[0]), kds_test::key_in(ranges[1])};
  // Alternate between the shards, so arrival order interleaves them.
  auto acks = put_round(store, clock, keys, 0);
  auto more = put_round(store, clock, keys, 1);
  acks.insert(acks.end(), more.begin(), more.end());

  // The last 3 records by arrival start at offset 0 of shard 1 and offset 1 of shard 0.
  auto starts = kds::last_records_start(kds_test::open_stream(store, "s"), {0, 1}, 3);
  REQUIRE(starts.ok());
  CHECK(*starts == std::map<uint32_t, uint64_t>{{0, 1}, {1, 0}});

  kds::StreamFollower follower = open_follower(store, {0, 1});
  auto got = pump(follower);
  CHECK(data_of(got) ==
        std::vector<std::string>{keys[0] + "/0", keys[1] + "/0", keys[0] + "/1", keys[1] + "/1"});
  REQUIRE(got.size() == 4);
  for (size_t i = 0; i < got.size(); ++i) {
    CAPTURE(i);
    CHECK(got[i].shard == acks[i].shard_index);
    CHECK(got[i].offset == acks[i].offset);
    CHECK(got[i].arrival_ms == kT0 + static_cast<int64_t>(i) + 1);
    CHECK(got[i].key == keys[i % 2]);
  }
  CHECK(pump(follower).empty());

  acks = put_round(store, clock, keys, 2);
  got = pump(follower);
  CHECK(data_of(got) == std::vector<std::string>{keys[0] + "/2", keys[1] + "/2"});
  REQUIRE(got.size() == 2);
  CHECK(got[0].offset == 2);
  CHECK(got[1].offset == 2);
  CHECK(pump(follower).empty());
  CHECK_FALSE(follower.finished());

  // A follower that starts after the newest record sees only later ones.
  kds::FollowPlan plan;
  plan.scope = {0, 1};
  plan.starts[0] = kds::ReadStart{kds::ReadStart::Kind::kLatest, 0, 0};
  plan.starts[1] = kds::ReadStart{kds::ReadStart::Kind::kLatest, 0, 0};
  auto latest = kds::StreamFollower::open(kds_test::open_stream(store, "s"), plan, nullptr);
  REQUIRE(latest.ok());
  CHECK(pump(*latest).empty());
  put_round(store, clock, {keys[1]}, 3);
  CHECK(data_of(pump(*latest)) == std::vector<std::string>{keys[1] + "/3"});
  CHECK(data_of(pump(follower)) == std::vector<std::string>{keys[1] + "/3"});
}

TEST_CASE("follower: follows a split, draining the parent before the children") {
  kds_test::TempDir tmp;
  kds_test::ClockGuard clock(kT0 + 100000);
  const kds::Store store = kds_test::open_store(tmp);
  kds_test::create_stream(store, "s", 1);
  std::vector<std::string> keys;
  for (int i = 0; i < 6; ++i)
    keys.push_back("key-" + std::to_string(i));
  put_round(store, clock, keys, 0);

  kds::StreamFollower follower = open_follower(store, {0});
  CHECK(data_of(pump(follower)).size() == keys.size());
  // Round 1 waits in the parent when it is split; round 2 goes to the children and carries earlier
  // arrival times (the clock goes back), so only lineage, not arrival order, keeps it after round 1.
  put_round(store, clock, keys, 1);
  auto split = kds::split_shard(store, "s", "0", std::nullopt, nullptr);
  REQUIRE(split.ok());
  clock.set(kT0);
  const auto acks = put_round(store, clock, keys, 2);
  const kds::Stream stream = kds_test::open_stream(store, "s");
  for (size_t i = 0; i < keys.size(); ++i) {
    CAPTURE(i);
    CHECK(stream.meta().find_shard(acks[i].shard_index)->parent == std::optional<uint32_t>(0));
  }

  const auto got = pump(follower);
  REQUIRE(got.size() == 2 * keys.size());
  for (size_t i = 0; i < got.size(); ++i) {
    CAPTURE(i);
    if (i < keys.size()) {
      CHECK(got[i].shard == 0);
      CHECK(got[i].data == keys[i] + "/1");
    } else {
      CHECK((got[i].shard == split->lower || got[i].shard == split->upper));
      CHECK(got[i].data == keys[i - keys.size()] + "/2");
    }
  }
  // Among the children, arrival order.
  for (size_t i = keys.size() + 1; i < got.size(); ++i)
    CHECK(got[i - 1].arrival_ms <= got[i].arrival_ms);
  CHECK(pump(follower).empty());
  CHECK_FALSE(follower.finished());

  // A follower given the whole lineage at once waits for the parent too.
  kds::StreamFollower all = open_follower(store, {0, 1, 2});
  const auto everything = pump(all);
  check_per_key_order(everything, 3, keys.size());
  REQUIRE(everything.size() == 3 * keys.size());
  for (size_t i = 0; i < everything.size(); ++i) {
    CAPTURE(i);
    CHECK((i < 2 * keys.size() ? everything[i].shard == 0 : everything[i].shard != 0));
  }
}

TEST_CASE("follower: follows a merge, draining both parents before the child, each key in order") {
  kds_test::TempDir tmp;
  kds_test::ClockGuard clock(kT0 + 100000);
  const kds::Store store = kds_test::open_store(tmp);
  kds_test::create_stream(store, "s", 2);
  const auto ranges = kds::uniform_hash_ranges(2);
  const std::vector<std::string> keys = {kds_test::key_in(ranges[0]), kds_test::key_in(ranges[1]),
                                         kds_test::key_in(ranges[0], 1)};
  put_round(store, clock, keys, 0);
  kds::StreamFollower follower = open_follower(store, {0, 1});
  CHECK(pump(follower).size() == keys.size());
  put_round(store, clock, keys, 1);
  auto merged = kds::merge_shards(store, "s", "0", "1", nullptr);
  REQUIRE(merged.ok());
  REQUIRE(*merged == 2);
  clock.set(kT0);
  const auto acks = put_round(store, clock, keys, 2);
  for (const auto& ack : acks)
    CHECK(ack.shard_index == 2);

  const auto got = pump(follower);
  REQUIRE(got.size() == 2 * keys.size());
  for (size_t i = 0; i < got.size(); ++i) {
    CAPTURE(i);
    CHECK(got[i].shard == (i < keys.size() ? (got[i].key == keys[1] ? 1u : 0u) : 2u));
    CHECK(got[i].data == got[i].key + (i < keys.size() ? "/1" : "/2"));
  }
  CHECK(data_of(got) == std::vector<std::string>{keys[0] + "/1", keys[1] + "/1", keys[2] + "/1",
                                                 keys[0] + "/2", keys[1] + "/2", keys[2] + "/2"});

  // The whole lineage at once: the same order.
  kds::StreamFollower all = open_follower(store, {0, 1, 2});
  check_per_key_order(pump(all), 3, keys.size());

  // Without following children, a follower of the parents finishes once both are drained.
  kds::StreamFollower parents = open_follower(store, {0, 1}, /*follow_children=*/false);
  CHECK_FALSE(parents.finished());
  const auto from_parents = pump(parents);
  CHECK(from_parents.size() == 2 * keys.size());
  for (const auto& record : from_parents)
    CHECK(record.shard != 2);
  CHECK(parents.finished());
}
