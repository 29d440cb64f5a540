// Power loss: a fault-injection layer records what the file layer made durable; a simulated crash drops,
// zeroes or garbles everything else. Every record acknowledged under SyncMode::kBatch must survive, nothing
// that was never written may appear, and recovery must leave a shard that checks clean and accepts writes.
#include <doctest/doctest.h>

#include <deque>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "kds/fault_injection.h"
#include "kds/fsck.h"
#include "kds/producer.h"
#include "kds/shard_reader.h"
#include "kds/store.h"
#include "temp_dir.h"

namespace {

using kds::fault_injection::LostWrites;

struct Written {
  std::string key;
  std::string data;
};

struct DamageCollector : kds::Reporter {
  std::vector<std::string> damages;
  void damage(const kds::DamageReport& r) override { damages.push_back(r.path + ": " + r.what); }
  void repaired(const kds::DamageReport&) override {}
};

// Reads every record of the stream: sequence number -> (key, data). Damage goes to `reporter`.
std::map<kds::u128, Written> read_stream(const kds::Store& store, const std::string& name,
                                         kds::Reporter* reporter = nullptr) {
  std::map<kds::u128, Written> records;
  auto stream = store.open_stream(name);
  REQUIRE(stream.ok());
  for (const auto& shard : stream->meta().shards) {
    auto reader = stream->open_reader(shard.index, reporter);
    REQUIRE(reader.ok());
    REQUIRE(reader->seek_offset(0).ok());
    std::vector<kds::ReadRecord> batch;
    for (;;) {
      auto more = reader->next_batch(&batch);
      REQUIRE(more.ok());
      if (!*more) break;
      for (const auto& r : batch) {
        records[kds::make_sequence_number(shard.index, r.offset)] = {std::string(r.key), std::string(r.data)};
      }
    }
  }
  return records;
}

void run_power_loss(LostWrites mode, uint64_t seed, bool pipelined) {
  kds_test::TempDir dir;
  auto store = kds::Store::open(dir.sub("store"));
  REQUIRE(store.ok());
  kds::StreamOptions options;
  options.shard_count = 2;
  options.segment_bytes = 8192;  // several rolls in the run
  REQUIRE(store->create_stream("power", options).ok());

  std::mt19937_64 random(seed);
  std::map<kds::u128, Written> acknowledged;
  std::set<std::string> ever_written;  // data of every record handed to a producer
  int counter = 0;
  auto make_record = [&] {
    Written w{"key" + std::to_string(random() % 7),
              "record-" + std::to_string(counter++) + "-" + std::string(random() % 300, 'x')};
    ever_written.insert(w.data);
    return w;
  };

  kds::fault_injection::start_recording();
  // The durable producer's syncs run on its worker. With `pipelined`, flush() does not wait for them (as
  // kds-put does): acknowledgements come later, and the crash strikes while syncs may still be running.
  std::optional<kds::Producer> durable_producer;
  struct ReleaseSyncs {  // declared after the producer, so it runs first, also when a check throws
    ~ReleaseSyncs() { kds::fault_injection::hold_background_syncs(false); }
  } release_syncs;
  std::deque<Written> unacknowledged;
  const auto acknowledge = [&](const kds::RecordAck& ack) {
    REQUIRE_FALSE(unacknowledged.empty());
    acknowledged[ack.sequence_number()] = unacknowledged.front();
    unacknowledged.pop_front();
  };
  {
    kds::ProducerOptions durable;
    durable.sync = kds::SyncMode::kBatch;
    auto producer = kds::Producer::open(*store, "power", durable, nullptr);
    REQUIRE(producer.ok());
    durable_producer.emplace(std::move(producer).value());
    for (int round = 0; round < 30; ++round) {
      if (pipelined && round == 28) {
        // The last two commits are still outstanding at the crash: their records must not be acknowledged.
        REQUIRE(durable_producer->drain(acknowledge).ok());
        kds::fault_injection::hold_background_syncs(true);
      }
      for (int i = 0; i < 1 + static_cast<int>(random() % 20); ++i) {
        const Written w = make_record();
        REQUIRE(durable_producer->add(w.key, w.data).ok());
        unacknowledged.push_back(w);
      }
      REQUIRE(durable_producer->flush(acknowledge, !pipelined).ok());
      if (!pipelined) REQUIRE(unacknowledged.empty());
    }
    if (pipelined) {
      REQUIRE(durable_producer->poll_acks(acknowledge).ok());
    } else {
      durable_producer.reset();
    }
  }
  {
    // Then writes that are not synced: they may be lost, but must never come back altered.
    kds::ProducerOptions lazy;
    lazy.sync = kds::SyncMode::kNone;
    auto producer = kds::Producer::open(*store, "power", lazy, nullptr);
    REQUIRE(producer.ok());
    for (int round = 0; round < 10; ++round) {
      for (int i = 0; i < 10; ++i) {
        const Written w = make_record();
        REQUIRE(producer->add(w.key, w.data).ok());
      }
      REQUIRE(producer->flush({}).ok());
    }
  }
  REQUIRE(kds::fault_injection::crash(mode, seed).ok());
  kds::fault_injection::hold_background_syncs(false);
  if (pipelined) CHECK(unacknowledged.size() > 0);
  durable_producer.reset();  // its syncs after the crash no longer count

  // Recovery happens when the next writer opens each shard.
  {
    kds::ProducerOptions durable;
    auto producer = kds::Producer::open(*store, "power", durable, nullptr);
    REQUIRE(producer.ok());
    for (const char* key : {"a", "b", "e", "foo"}) {
      const Written w{key, std::string("after the crash ") + key};
      ever_written.insert(w.data);
      REQUIRE(producer->add(w.key, w.data).ok());
    }
    REQUIRE(producer->flush({}).ok());
  }

  DamageCollector collector;
  const auto stored = read_stream(*store, "power", &collector);
  // Offsets lost with unsynced writes are marked as such by recovery, so readers report nothing.
  CHECK_MESSAGE(collector.damages.empty(), (collector.damages.empty() ? "" : collector.damages.front()));
  for (const auto& [sequence, w] : acknowledged) {
    auto it = stored.find(sequence);
    REQUIRE_MESSAGE(it != stored.end(), "acknowledged record lost: " << kds::to_decimal(sequence));
    CHECK(it->second.key == w.key);
    CHECK(it->second.data == w.data);
  }
  std::set<std::string> seen;
  for (const auto& [sequence, w] : stored) {
    CHECK_MESSAGE(ever_written.count(w.data) == 1,
                  "a record that was never written: " << w.data.substr(0, 40));
    CHECK_MESSAGE(seen.insert(w.data).second, "a record stored twice: " << w.data.substr(0, 40));
  }
  kds::FsckTotals totals;
  kds::FsckOptions check;
  std::vector<std::string> problems;
  check.on_problem = [&](const kds::FsckProblem& p) { problems.push_back(p.path + ": " + p.what); };
  REQUIRE(kds::fsck_stream(*store, "power", check, &totals).ok());
  CHECK_MESSAGE(problems.empty(), (problems.empty() ? "" : problems.front()));
}

}  // namespace

TEST_CASE("power loss keeps every record acknowledged under --sync batch") {
  for (uint64_t seed = 1; seed <= 8; ++seed) {
    CAPTURE(seed);
    const bool pipelined = seed % 2 == 0;
    CAPTURE(pipelined);
    SUBCASE("unsynced writes dropped") {
      run_power_loss(LostWrites::kDropped, seed, pipelined);
    }
    SUBCASE("unsynced writes zeroed") {
      run_power_loss(LostWrites::kZeroed, seed, pipelined);
    }
    SUBCASE("unsynced writes garbled") {
      run_power_loss(LostWrites::kGarbled, seed, pipelined);
    }
  }
}

TEST_CASE("the power-loss simulation does lose unsynced writes") {
  // Without this, a recorder that saw nothing would make the test above pass vacuously.
  kds_test::TempDir dir;
  auto store = kds::Store::open(dir.sub("store"));
  REQUIRE(store.ok());
  REQUIRE(store->create_stream("lossy", {}).ok());
  kds::fault_injection::start_recording();
  kds::ProducerOptions lazy;
  lazy.sync = kds::SyncMode::kNone;
  {
    auto producer = kds::Producer::open(*store, "lossy", lazy, nullptr);
    REQUIRE(producer.ok());
    for (int i = 0; i < 100; ++i)
      REQUIRE(producer->add("k", "unsynced " + std::to_string(i)).ok());
    REQUIRE(producer->flush({}).ok());
  }
  CHECK(read_stream(*store, "lossy").size() == 100);
  REQUIRE(kds::fault_injection::crash(LostWrites::kDropped, 1).ok());
  CHECK(read_stream(*store, "lossy").empty());
}

TEST_CASE("interval mode: acknowledged at once, durable once the interval's sync has run") {
  kds_test::TempDir dir;
  auto store = kds::Store::open(dir.sub("store"));
  REQUIRE(store.ok());
  kds::StreamOptions two_shards;
  two_shards.shard_count = 2;
  REQUIRE(store->create_stream("interval", two_shards).ok());
  kds::fault_injection::start_recording();
  kds::ProducerOptions options;
  options.sync = kds::SyncMode::kInterval;
  options.sync_interval_ms = 3600 * 1000;  // no sync falls due by itself during the test
  std::map<kds::u128, std::string> acknowledged;
  {
    auto producer = kds::Producer::open(*store, "interval", options, nullptr);
    REQUIRE(producer.ok());
    for (int round = 0; round < 3; ++round) {
      std::vector<std::string> sent;
      for (int i = 0; i < 50; ++i) {
        sent.push_back("synced " + std::to_string(round) + "/" + std::to_string(i));
        REQUIRE(producer->add("k" + std::to_string(i % 9), sent.back()).ok());
      }
      size_t next = 0;
      REQUIRE(
          producer
              ->flush([&](const kds::RecordAck& ack) { acknowledged[ack.sequence_number()] = sent[next++]; })
              .ok());
      CHECK(next == sent.size());  // acknowledged when written
      CHECK(producer->ms_until_sync() > 0);
    }
    REQUIRE(producer->sync_written().ok());
    CHECK(producer->ms_until_sync() == -1);
    REQUIRE(producer->drain({}).ok());
    // Written after the last sync, acknowledged too, and not due for an hour: the producer syncs them as
    // it closes, so a power loss after that keeps them.
    for (int i = 0; i < 20; ++i)
      REQUIRE(producer->add("late", "late " + std::to_string(i)).ok());
    REQUIRE(producer->flush({}).ok());
  }
  REQUIRE(kds::fault_injection::crash(LostWrites::kGarbled, 7).ok());
  {
    auto producer = kds::Producer::open(*store, "interval", options, nullptr);  // recovers each shard
    REQUIRE(producer.ok());
    REQUIRE(producer->add("a", "after").ok());
    REQUIRE(producer->add("b", "after").ok());
    REQUIRE(producer->flush({}).ok());
  }
  const auto stored = read_stream(*store, "interval");
  for (const auto& [sequence, data] : acknowledged) {
    auto it = stored.find(sequence);
    REQUIRE_MESSAGE(it != stored.end(), "synced record lost: " << kds::to_decimal(sequence));
    CHECK(it->second.data == data);
  }
  CHECK(stored.size() == acknowledged.size() + 20 + 2);  // the late records were synced at the close
}
