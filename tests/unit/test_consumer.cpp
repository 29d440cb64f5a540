// Consumer applications (consumer_state.h, consumer.h): the state file's format and damage, application
// names, how leases are shared and handed over, lineage, and a worker's batches and checkpoints.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "kds/clock.h"
#include "kds/consumer.h"
#include "kds/consumer_state.h"
#include "kds/lease_renewer.h"
#include "kds/reshard.h"
#include "kds/store.h"
#include "stream_util.h"
#include "temp_dir.h"
#include "test_util.h"

namespace {

constexpr int64_t kLeaseMs = 3000;

kds_test::Records numbered(int count, const std::string& key = "k") {
  kds_test::Records records;
  for (int i = 0; i < count; ++i)
    records.push_back({key, std::to_string(i)});
  return records;
}

std::map<std::string, size_t> holdings(const kds::AppState& state, int64_t now_ms) {
  std::map<std::string, size_t> count;
  for (const auto& [index, progress] : state.shards) {
    if (progress.leased(now_ms)) ++count[progress.owner];
  }
  return count;
}

}  // namespace

TEST_CASE("application names: KCL's characters, 1 to 255 of them, never . or ..") {
  struct Row {
    std::string name;
    bool ok;
  };
  const Row rows[] = {
      {"a", true},
      {"my-app_1.v2", true},
      {std::string(255, 'x'), true},
      {"", false},
      {std::string(256, 'x'), false},
      {".", false},
      {"..", false},
      {"a/b", false},
      {"a b", false},
      {"é", false},
      {"a\n", false},
      {"...", true},
  };
  for (const auto& row : rows) {
    CAPTURE(row.name);
    auto status = kds::check_app_name(row.name);
    CHECK(status.ok() == row.ok);
    if (!status.ok()) CHECK(status.error().code() == kds::Errc::kValidation);
  }
}

TEST_CASE("an application's state survives its file, and a damaged file is reported by name") {
  kds::AppState state;
  state.app = "a";
  state.created_ms = 1600000000000;
  state.shards[0] = {12, false, "host:1", 1600000003000, "host:2"};
  state.shards[3] = {40, true, "", 0, ""};
  state.workers["host:1"] = 1600000003000;
  const std::string text = state.to_json();
  auto back = kds::AppState::from_json(text, "apps/a.json");
  REQUIRE(back.ok());
  CHECK(back->to_json() == text);
  CHECK(back->shards.at(0).wanted_by == "host:2");
  CHECK(back->shards.at(3).finished);

  const char* damaged[] = {
      "",
      "{}",
      R"({"FormatVersion": 2, "AppName": "a", "CreatedMs": 1, "Shards": [], "Workers": {}})",
      R"({"FormatVersion": 1, "AppName": "a", "CreatedMs": 1, "Shards": [{"ShardId": "shard-x", "NextOffset": 0}], "Workers": {}})",
      R"({"FormatVersion": 1, "AppName": "a", "CreatedMs": 1, "Shards": [{"ShardId": "shardId-000000000000", "NextOffset": -1}], "Workers": {}})",
      R"({"FormatVersion": 1, "AppName": "a", "CreatedMs": 1, "Shards": [{"ShardId": "shardId-000000000000", "NextOffset": 1}, {"ShardId": "shardId-000000000000", "NextOffset": 2}], "Workers": {}})",
      R"({"FormatVersion": 1, "AppName": "a", "CreatedMs": 1, "Shards": [], "Workers": {"w": "soon"}})",
  };
  for (const char* bad : damaged) {
    CAPTURE(bad);
    auto parsed = kds::AppState::from_json(bad, "apps/a.json");
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().code() == kds::Errc::kCorruption);
    CHECK(parsed.error().message().starts_with("apps/a.json: "));
  }
}

TEST_CASE("change_app_state writes atomically, deletes, and lists applications") {
  kds_test::TempDir tmp;
  auto store = kds_test::open_store(tmp);
  kds_test::create_stream(store, "s", 2);
  auto stream = kds_test::open_stream(store, "s");
  CHECK(kds::list_apps(stream)->empty());
  for (const char* app : {"b", "a"}) {
    REQUIRE(kds::change_app_state(stream, app, [&](std::optional<kds::AppState>& state) -> kds::Status {
              CHECK_FALSE(state.has_value());
              auto fresh = kds::new_app_state(stream, app, {}, 1);
              REQUIRE(fresh.ok());
              state = *fresh;
              return {};
            }).ok());
  }
  CHECK(*kds::list_apps(stream) == std::vector<std::string>{"a", "b"});
  // A change that fails writes nothing.
  auto refused = kds::change_app_state(stream, "a", [](std::optional<kds::AppState>& state) -> kds::Status {
    state->shards[0].next_offset = 99;
    return kds::Error(kds::Errc::kResourceInUse, "no");
  });
  CHECK_FALSE(refused.ok());
  CHECK((*kds::read_app_state(stream, "a"))->shards.at(0).next_offset == 0);
  REQUIRE(kds::change_app_state(stream, "a", [](std::optional<kds::AppState>& state) -> kds::Status {
            state.reset();
            return {};
          }).ok());
  CHECK(*kds::list_apps(stream) == std::vector<std::string>{"b"});
  CHECK_FALSE(kds::read_app_state(stream, "a")->has_value());
}

TEST_CASE("a new application starts where it was told, each shard on its own") {
  kds_test::TempDir tmp;
  auto store = kds_test::open_store(tmp);
  kds_test::create_stream(store, "s", 1);
  kds_test::put(store, "s", numbered(7));
  auto stream = kds_test::open_stream(store, "s");
  auto horizon = kds::new_app_state(stream, "a", {}, 1);
  REQUIRE(horizon.ok());
  CHECK(horizon->shards.at(0).next_offset == 0);
  kds::ReadStart latest;
  latest.kind = kds::ReadStart::Kind::kLatest;
  auto at_end = kds::new_app_state(stream, "a", latest, 1);
  REQUIRE(at_end.ok());
  CHECK(at_end->shards.at(0).next_offset == 7);
  CHECK_FALSE(at_end->shards.at(0).finished);
}

TEST_CASE(
    "leases: workers share the shards evenly, hand one over between batches, and take a dead worker's") {
  kds_test::TempDir tmp;
  auto store = kds_test::open_store(tmp);
  kds_test::create_stream(store, "s", 4);
  auto stream = kds_test::open_stream(store, "s");
  kds::AppState state = *kds::new_app_state(stream, "a", {}, 0);
  int64_t now = 1000;

  auto a = kds::plan_leases(state, stream.meta(), "A", now, kLeaseMs);
  CHECK(a.size() == 4);
  // B joins: its share is 2, nothing is free, so it asks A, which hands one over at its next heartbeat.
  size_t free = 99;
  auto b = kds::plan_leases(state, stream.meta(), "B", now, kLeaseMs, &free);
  CHECK(b.empty());
  CHECK(free == 0);
  for (int round = 0; round < 4; ++round) {
    now += 500;
    a = kds::plan_leases(state, stream.meta(), "A", now, kLeaseMs);
    b = kds::plan_leases(state, stream.meta(), "B", now, kLeaseMs);
  }
  CHECK(a.size() == 2);
  CHECK(b.size() == 2);
  for (const auto& [index, progress] : a)
    CHECK_FALSE(b.contains(index));
  CHECK(holdings(state, now) == std::map<std::string, size_t>{{"A", 2}, {"B", 2}});

  // A stops heartbeating: once its leases and heartbeat expire, B holds everything.
  now += kLeaseMs + 1;
  b = kds::plan_leases(state, stream.meta(), "B", now, kLeaseMs);
  CHECK(b.size() == 4);
  CHECK_FALSE(state.workers.contains("A"));
  // Before that, a live lease is never taken.
  kds::AppState other = state;
  auto c = kds::plan_leases(other, stream.meta(), "C", now, kLeaseMs);
  CHECK(c.empty());
}

TEST_CASE("leases: a child shard is given out only once its parents are finished") {
  kds_test::TempDir tmp;
  auto store = kds_test::open_store(tmp);
  kds_test::create_stream(store, "s", 1);
  kds_test::put(store, "s", numbered(3));
  REQUIRE(kds::split_shard(store, "s", "shardId-000000000000", std::nullopt, nullptr).ok());
  auto stream = kds_test::open_stream(store, "s");
  kds::AppState state = *kds::new_app_state(stream, "a", {}, 0);
  auto held = kds::plan_leases(state, stream.meta(), "A", 10, kLeaseMs);
  CHECK(held.size() == 1);
  CHECK(held.contains(0));
  state.shards[0].finished = true;
  held = kds::plan_leases(state, stream.meta(), "A", 20, kLeaseMs);
  CHECK(held.size() == 2);
  CHECK(held.contains(1));
  CHECK(held.contains(2));
}

TEST_CASE("a worker processes batches of consecutive records, checkpoints each, and resumes after them") {
  kds_test::TempDir tmp;
  auto store = kds_test::open_store(tmp);
  kds_test::create_stream(store, "s", 1);
  kds_test::put(store, "s", numbered(25));
  kds::ConsumerOptions options;
  options.app = "a";
  options.worker = "test:1";
  options.batch_size = 10;
  options.until_caught_up = true;
  auto never = [] { return false; };
  std::vector<std::string> warnings;
  auto warn = [&](const std::string& text) { warnings.push_back(text); };

  std::vector<std::vector<std::string>> batches;
  auto collect = [&](const kds::ConsumerBatch& batch, size_t* done) -> kds::Status {
    std::vector<std::string> data;
    for (const auto& record : batch.records)
      data.emplace_back(record.data);
    batches.push_back(data);
    *done = batch.records.size();
    return {};
  };
  {
    kds::ConsumerWorker worker(kds_test::open_stream(store, "s"), options, nullptr);
    REQUIRE(worker.run(collect, never, warn).ok());
  }
  REQUIRE(batches.size() == 3);
  CHECK(batches[0].front() == "0");
  CHECK(batches[1].front() == "10");
  CHECK(batches[2] == std::vector<std::string>{"20", "21", "22", "23", "24"});
  auto stream = kds_test::open_stream(store, "s");
  auto state = *kds::read_app_state(stream, "a");
  REQUIRE(state.has_value());
  CHECK(state->shards.at(0).next_offset == 25);
  CHECK(state->shards.at(0).owner.empty());  // released on return
  CHECK(state->workers.empty());

  // A batch processed in part: what was done is checkpointed, the error ends the run.
  kds_test::put(store, "s", numbered(5, "j"));
  batches.clear();
  {
    kds::ConsumerWorker worker(kds_test::open_stream(store, "s"), options, nullptr);
    auto failed = worker.run(
        [&](const kds::ConsumerBatch& batch, size_t* done) -> kds::Status {
          CHECK(batch.records.front().offset == 25);
          *done = 2;
          return kds::Error(kds::Errc::kIo, "COMMAND failed");
        },
        never, warn);
    CHECK_FALSE(failed.ok());
  }
  CHECK((*kds::read_app_state(stream, "a"))->shards.at(0).next_offset == 27);
  {
    kds::ConsumerWorker worker(kds_test::open_stream(store, "s"), options, nullptr);
    REQUIRE(worker.run(collect, never, warn).ok());
  }
  REQUIRE(batches.size() == 1);
  CHECK(batches[0] == std::vector<std::string>{"2", "3", "4"});
  CHECK(warnings.empty());
}

TEST_CASE("a lease renewer renews only while its worker is busy, and never after busy() returns") {
  std::atomic<int> renewals{0};
  kds::LeaseRenewer renewer([&] { ++renewals; }, 20);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CHECK(renewals.load() == 0);  // not busy: the worker renews at its own heartbeats
  renewer.busy([] { std::this_thread::sleep_for(std::chrono::milliseconds(300)); });
  const int during = renewals.load();
  CHECK(during >= 2);  // every 20 ms of a 300 ms batch; loose, for a loaded machine
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CHECK(renewals.load() == during);
}
