// The producer: routing by MD5 or explicit hash key, batching per shard, acknowledgements in add order
// (producer.h).
#include <doctest/doctest.h>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "kds/background_syncer.h"
#include "kds/compress_worker.h"
#include "kds/fault_injection.h"
#include "kds/group_commit.h"
#include "kds/hash_key.h"
#include "kds/producer.h"
#include "kds/reshard.h"
#include "kds/shard_reader.h"
#include "kds/store.h"
#include "kds/validate.h"
#include "shard_fixture.h"
#include "temp_dir.h"
#include "test_util.h"

namespace {

struct Added {
  std::string key;
  std::string data;
};

uint32_t expected_shard(kds::u128 hash, uint32_t n) {
  const auto ranges = kds::uniform_hash_ranges(n);
  for (uint32_t i = 0; i < n; ++i) {
    if (ranges[i].contains(hash)) return i;
  }
  FAIL("no range contains the hash");
  return n;
}

std::vector<kds_test::Got> read_shard(const kds::Stream& stream, uint32_t index, kds::Reporter* reporter) {
  auto dir = stream.open_shard_dir(index);
  REQUIRE(dir.ok());
  kds::ShardReader reader(std::move(dir).value(), reporter);
  return kds_test::read_all(reader);
}

kds::Store make_store(const kds_test::TempDir& tmp, const char* name, int64_t shard_count,
                      int compression = 0) {
  auto store = kds::Store::open(tmp.sub("store"));
  REQUIRE(store.ok());
  kds::StreamOptions options;
  options.shard_count = shard_count;
  options.compression_level = compression;
  options.segment_bytes = kds::kMinSegmentBytes;  // small segments: appends roll often
  REQUIRE(store->create_stream(name, options).ok());
  return std::move(store).value();
}

}  // namespace

TEST_CASE("producer routes by MD5, acknowledges in add order, and offsets are dense per shard") {
  for (const auto& [sync, compression] : {std::pair{kds::SyncMode::kNone, 0},
                                          {kds::SyncMode::kBatch, 0},
                                          {kds::SyncMode::kNone, 1},
                                          {kds::SyncMode::kBatch, 3}}) {
    CAPTURE(static_cast<int>(sync));
    CAPTURE(compression);
    kds_test::TempDir tmp;
    kds_test::ClockGuard clock(1600000000000);
    const kds::Store store = make_store(tmp, "p", 4, compression);
    kds_test::RecordingReporter reporter;
    kds::ProducerOptions options;
    options.sync = sync;
    options.batch_bytes = 700;  // several batches per shard and flush
    auto producer = kds::Producer::open(store, "p", options, &reporter);
    REQUIRE(producer.ok());

    // The keys of kinesis.md §4 with their shard for N = 4, and more keys.
    const std::map<std::string, uint32_t> table = {{"a", 0},   {"b", 2},       {"e", 3},       {"1", 3},
                                                   {"foo", 2}, {"user-42", 1}, {"\xc3\xbc", 3}};
    std::vector<std::string> keys;
    for (const auto& [key, shard] : table)
      keys.push_back(key);
    for (int i = 0; i < 13; ++i)
      keys.push_back("key-" + std::to_string(i));

    std::vector<Added> added;
    std::vector<kds::RecordAck> acks;
    std::map<uint32_t, uint64_t> next_offset;  // per shard
    const int rounds = sync == kds::SyncMode::kNone ? 3 : 1;
    for (int round = 0; round < rounds; ++round) {
      const size_t first = added.size();
      for (int i = 0; i < 250; ++i) {
        const std::string& key = keys[static_cast<size_t>(i * 7 + round) % keys.size()];
        std::string data = key + "#" + std::to_string(round) + "/" + std::to_string(i);
        if (i % 10 == 0) data.clear();
        if (i % 17 == 0) data += std::string("\0\x01\xff", 3);
        if (i % 10 != 0) data += std::string(static_cast<size_t>(i % 60), 'p');
        REQUIRE(kds::Producer::check_record(key, data.size()).ok());
        REQUIRE(producer->add(key, data).ok());
        added.push_back({key, data});
        clock.advance(1);
      }
      CHECK_FALSE(producer->empty());
      const size_t before = acks.size();
      REQUIRE(producer->flush([&](const kds::RecordAck& ack) { acks.push_back(ack); }).ok());
      CHECK(producer->empty());
      REQUIRE(acks.size() == added.size());
      // Acks in add order: ack i belongs to record i, on the shard MD5 routing gives, at the next offset
      // of that shard.
      for (size_t i = first; i < added.size(); ++i) {
        CAPTURE(i);
        const kds::RecordAck& ack = acks[before + (i - first)];
        const uint32_t shard = expected_shard(kds::partition_key_hash(added[i].key), 4);
        CHECK(ack.shard_index == shard);
        if (auto it = table.find(added[i].key); it != table.end()) CHECK(ack.shard_index == it->second);
        CHECK(ack.offset == next_offset[shard]);
        next_offset[shard] = ack.offset + 1;
        CHECK(ack.sequence_number() == kds::make_sequence_number(ack.shard_index, ack.offset));
      }
    }
    CHECK(next_offset.size() == 4);  // every shard got records

    // Each shard holds exactly its acknowledged records, in add order (so per key in order).
    auto stream = store.open_stream("p");
    REQUIRE(stream.ok());
    std::map<std::pair<uint32_t, uint64_t>, size_t> by_position;
    for (size_t i = 0; i < acks.size(); ++i)
      by_position[{acks[i].shard_index, acks[i].offset}] = i;
    for (uint32_t shard = 0; shard < 4; ++shard) {
      CAPTURE(shard);
      const auto records = read_shard(*stream, shard, &reporter);
      CHECK(records.size() == next_offset[shard]);
      int64_t last_arrival = 0;
      size_t last_index = 0;
      for (const auto& record : records) {
        CAPTURE(record.offset);
        auto it = by_position.find({shard, record.offset});
        REQUIRE(it != by_position.end());
        CHECK(record.key == added[it->second].key);
        CHECK(record.data == added[it->second].data);
        CHECK(record.arrival_ms >= last_arrival);
        if (record.offset > 0) CHECK(it->second > last_index);
        last_arrival = record.arrival_ms;
        last_index = it->second;
      }
    }
    if (sync == kds::SyncMode::kNone && compression == 0) {
      // Small segments and several batches: every shard rolled.
      for (uint32_t shard = 0; shard < 4; ++shard) {
        auto dir = stream->open_shard_dir(shard);
        REQUIRE(dir.ok());
        auto bases = kds::list_segments(*dir);
        REQUIRE(bases.ok());
        CHECK(bases->size() >= 2);
      }
    }
    CHECK(reporter.damages.empty());
    CHECK(reporter.repairs.empty());
  }
}

TEST_CASE("explicit hash keys route directly") {
  kds_test::TempDir tmp;
  const kds::Store store = make_store(tmp, "e", 4);
  kds::ProducerOptions options;
  options.sync = kds::SyncMode::kNone;
  auto producer = kds::Producer::open(store, "e", options, nullptr);
  REQUIRE(producer.ok());
  const auto ranges = kds::uniform_hash_ranges(4);
  // The key "a" would go to shard 0 by MD5; the explicit hash wins.
  const std::vector<std::pair<kds::u128, uint32_t>> cases = {{0, 0},
                                                             {ranges[0].end, 0},
                                                             {ranges[1].start, 1},
                                                             {ranges[1].end, 1},
                                                             {ranges[2].start, 2},
                                                             {ranges[3].start - 1, 2},
                                                             {ranges[3].start, 3},
                                                             {kds::kMaxHashKey, 3}};
  for (const auto& [hash, shard] : cases)
    REQUIRE(producer->add("a", kds_test::dec(hash), hash).ok());
  std::vector<kds::RecordAck> acks;
  REQUIRE(producer->flush([&](const kds::RecordAck& ack) { acks.push_back(ack); }).ok());
  REQUIRE(acks.size() == cases.size());
  for (size_t i = 0; i < cases.size(); ++i) {
    CAPTURE(i);
    CHECK(acks[i].shard_index == cases[i].second);
  }
  auto stream = store.open_stream("e");
  REQUIRE(stream.ok());
  const auto shard2 = read_shard(*stream, 2, nullptr);
  REQUIRE(shard2.size() == 2);
  CHECK(shard2[0].key == "a");
  CHECK(shard2[0].data == kds_test::dec(ranges[2].start));
  CHECK(shard2[1].data == kds_test::dec(ranges[3].start - 1));
}

TEST_CASE("producer checks and flush pressure") {
  CHECK(kds::Producer::check_record("k", 10).ok());
  CHECK(kds::Producer::check_record("k", 1024 * 1024 - 1).ok());
  for (const auto& [key, size] : {std::pair<std::string, size_t>{"", 1},
                                  {std::string(257, 'k'), 1},
                                  {"k", 1024 * 1024},
                                  {"\xff", 1},
                                  {"", 1024 * 1024 + 1}}) {
    CAPTURE(key.size());
    const kds::Status status = kds::Producer::check_record(key, size);
    REQUIRE_FALSE(status.ok());
    CHECK(status.error().code() == kds::Errc::kValidation);
  }

  kds_test::TempDir tmp;
  const kds::Store store = make_store(tmp, "w", 2);
  kds::ProducerOptions options;
  options.sync = kds::SyncMode::kNone;
  options.pending_bytes = 1000;
  auto producer = kds::Producer::open(store, "w", options, nullptr);
  REQUIRE(producer.ok());
  CHECK(producer->empty());
  CHECK_FALSE(producer->wants_flush());
  // add() checks as check_record does, each time, whether or not the key was seen before; a rejected
  // record changes nothing.
  for (int round = 0; round < 2; ++round) {
    for (const auto& [key, size] : {std::pair<std::string, size_t>{"", 1},
                                    {std::string(257, 'k'), 1},
                                    {"k", 1024 * 1024},
                                    {"\xff", 1},
                                    {"k\xc3", 1}}) {
      CAPTURE(round);
      CAPTURE(key.size());
      const kds::Status status = producer->add(key, std::string(size, 'x'));
      REQUIRE_FALSE(status.ok());
      CHECK(status.error().code() == kds::Errc::kValidation);
      const kds::Status explicit_status = producer->add(key, std::string(size, 'x'), kds::u128{0});
      REQUIRE_FALSE(explicit_status.ok());
      CHECK(explicit_status.error().code() == kds::Errc::kValidation);
    }
    CHECK(producer->empty());
  }
  REQUIRE(producer->add("k", std::string(500, 'x')).ok());
  CHECK_FALSE(producer->wants_flush());
  REQUIRE(producer->add("k", std::string(500, 'x')).ok());
  CHECK(producer->wants_flush());
  REQUIRE(producer->flush(nullptr).ok());
  CHECK_FALSE(producer->wants_flush());
  CHECK(producer->empty());
  CHECK(producer->stream().name() == "w");

  auto missing = kds::Producer::open(store, "nope", options, nullptr);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code() == kds::Errc::kResourceNotFound);
}

// Adds `count` records over `keys` keys to stream `name`, calls `reshard` halfway, flushes, and checks that
// every record is stored once, where its ack says, in a shard whose range holds its key's MD5; that records
// added after the reshard went to open shards; and that each key's records are in add order (later
// offsets in the same shard, or a move from a closed shard to another).
// Runs once with batches compressed on the worker and once inline (a subcase each).
void check_reshard_meanwhile(const kds::Store& store, const char* name, int keys, int count,
                             const std::function<void()>& reshard) {
  kds::ProducerOptions options;
  SUBCASE("batches compressed on the worker") {
    options.compress_on_worker = true;
  }
  SUBCASE("batches compressed inline") {
    options.compress_on_worker = false;
  }
  bool grouped = false;
  SUBCASE("records added one at a time") {}
  SUBCASE("records added in groups (add_many), the routes changing within one") {
    grouped = true;
  }
  options.sync = kds::SyncMode::kNone;
  options.batch_bytes = 600;  // many compressed batches per shard: written, sealed or filling at the reshard
  auto producer = kds::Producer::open(store, name, options, nullptr);
  REQUIRE(producer.ok());
  std::vector<Added> added;
  for (int i = 0; i < count; ++i)
    added.push_back(
        {"key-" + std::to_string(i % keys), "record " + std::to_string(i) + std::string(40, 'z')});
  for (int i = 0; i < count;) {
    if (i == count / 2) reshard();
    const int end = grouped ? std::min(i + 23, i < count / 2 ? count / 2 : count) : i + 1;
    std::vector<kds::Producer::Input> inputs;
    for (int j = i; j < end; ++j)
      inputs.push_back({added[j].key, added[j].data, std::nullopt});
    size_t queued = 0;
    REQUIRE(producer->add_many(inputs, &queued).ok());
    REQUIRE(queued == inputs.size());
    i = end;
  }
  std::vector<kds::RecordAck> acks;
  REQUIRE(producer->flush([&](const kds::RecordAck& ack) { acks.push_back(ack); }).ok());
  REQUIRE(acks.size() == added.size());

  auto stream = store.open_stream(name);
  REQUIRE(stream.ok());
  std::map<std::pair<uint32_t, uint64_t>, std::string> stored;
  for (const kds::ShardMeta& shard : stream->meta().shards) {
    for (const auto& record : read_shard(*stream, shard.index, nullptr))
      stored[{shard.index, record.offset}] = record.data;
  }
  CHECK(stored.size() == added.size());
  std::map<std::string, std::pair<uint32_t, uint64_t>> last_position;  // per key: where its last record went
  for (size_t i = 0; i < acks.size(); ++i) {
    CAPTURE(i);
    const std::pair<uint32_t, uint64_t> position{acks[i].shard_index, acks[i].offset};
    CHECK(stored[position] == added[i].data);
    const kds::ShardMeta* shard = stream->meta().find_shard(acks[i].shard_index);
    REQUIRE(shard != nullptr);
    // Routed by the key's MD5 under the routes current when it was stored (remembered routes are redone).
    CHECK(shard->range.contains(kds::partition_key_hash(added[i].key)));
    if (static_cast<int>(i) >= count / 2) CHECK(shard->is_open());
    auto [it, first] = last_position.try_emplace(added[i].key, position);
    if (!first) {
      const bool moved_on =
          !stream->meta().find_shard(it->second.first)->is_open() && position.first != it->second.first;
      CHECK((position.first == it->second.first ? position.second > it->second.second : moved_on));
      it->second = position;
    }
  }
}

TEST_CASE("records queued for a shard that is split meanwhile go to the children, in order, once") {
  kds_test::TempDir tmp;
  const kds::Store store = make_store(tmp, "r", 1, 1);
  check_reshard_meanwhile(store, "r", 5, 200,
                          [&] { REQUIRE(kds::split_shard(store, "r", "0", std::nullopt, nullptr).ok()); });
}

TEST_CASE("records queued for two shards that are merged meanwhile keep each key's order") {
  kds_test::TempDir tmp;
  const kds::Store store = make_store(tmp, "m", 2, 1);
  check_reshard_meanwhile(store, "m", 9, 300,
                          [&] { REQUIRE(kds::merge_shards(store, "m", "0", "1", nullptr).ok()); });
}

TEST_CASE("the compression worker completes jobs in order, each one frame of its input") {
  std::vector<std::string> inputs;
  for (int i = 0; i < 20; ++i)
    inputs.push_back(std::string(1000 + i * 100, static_cast<char>('a' + i)) + std::to_string(i));
  std::vector<kds::CompressWorker::Job> jobs(inputs.size());
  {
    kds::CompressWorker worker;
    for (size_t i = 0; i < inputs.size(); ++i) {
      jobs[i].input = inputs[i];
      jobs[i].level = i % 2 == 0 ? 1 : -5;  // a level change between jobs
      worker.submit(&jobs[i]);
    }
    worker.wait(&jobs.back());
    // Done in order: the last done means every earlier one is too.
    for (size_t i = 0; i + 1 < jobs.size(); ++i)
      worker.wait(&jobs[i]);
  }
  kds::Decompressor decompressor;
  for (size_t i = 0; i < inputs.size(); ++i) {
    CAPTURE(i);
    REQUIRE(jobs[i].status.ok());
    CHECK(jobs[i].output.size() < inputs[i].size());
    std::string output;
    REQUIRE(decompressor.decompress(jobs[i].output, inputs[i].size(), &output));
    CHECK(output == inputs[i]);
  }
  // Destroying a worker with jobs still queued finishes them first.
  kds::CompressWorker::Job last;
  last.input = inputs[0];
  last.level = 3;
  {
    kds::CompressWorker worker;
    worker.submit(&last);
  }
  std::string output;
  CHECK(decompressor.decompress(last.output, inputs[0].size(), &output));
}

TEST_CASE("the background syncer completes commits in order and keeps the first failure") {
  kds_test::TempDir tmp;
  const std::string path = tmp.sub("file");
  kds::Fd file(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  REQUIRE(file.valid());
  REQUIRE(::write(file.get(), "x", 1) == 1);
  kds::BackgroundSyncer syncer;
  REQUIRE(syncer.wake_fd() >= 0);
  auto dup_of = [&] { return kds::BackgroundSyncer::File{kds::Fd(::dup(file.get())), path}; };
  std::vector<kds::BackgroundSyncer::File> two;
  two.push_back(dup_of());
  two.push_back(dup_of());
  CHECK(syncer.submit(std::move(two)) == 1);
  CHECK(syncer.submit({}) == 2);
  syncer.wait(2);
  CHECK(syncer.progress().done == 2);
  CHECK(syncer.progress().failure.ok());
  pollfd woken{syncer.wake_fd(), POLLIN, 0};
  CHECK(::poll(&woken, 1, 0) == 1);
  syncer.clear_wake();
  CHECK(::poll(&woken, 1, 0) == 0);

  std::vector<kds::BackgroundSyncer::File> bad;
  bad.push_back({kds::Fd(), "/nowhere"});  // fdatasync(-1) fails: EBADF
  CHECK(syncer.submit(std::move(bad)) == 3);
  std::vector<kds::BackgroundSyncer::File> good;
  good.push_back(dup_of());
  CHECK(syncer.submit(std::move(good)) == 4);
  syncer.wait(4);
  const kds::BackgroundSyncer::Progress progress = syncer.progress();
  CHECK(progress.failed_commit == 3);
  REQUIRE_FALSE(progress.failure.ok());
  CHECK(progress.failure.error().message().find("/nowhere") != std::string::npos);
}

TEST_CASE("batch mode without waiting: every record acknowledged once, in add order, by later calls") {
  kds_test::TempDir tmp;
  const kds::Store store = make_store(tmp, "q", 3);
  kds::ProducerOptions options;
  options.sync = kds::SyncMode::kBatch;
  options.batch_bytes = 500;
  auto producer = kds::Producer::open(store, "q", options, nullptr);
  REQUIRE(producer.ok());
  REQUIRE(producer->ack_wake_fd() >= 0);
  std::vector<Added> added;
  std::vector<kds::RecordAck> acks;
  const auto on_ack = [&](const kds::RecordAck& ack) { acks.push_back(ack); };
  for (int round = 0; round < 40; ++round) {
    for (int i = 0; i < 1 + round % 7; ++i) {
      Added record{"k" + std::to_string((round * 7 + i) % 11), "r" + std::to_string(added.size())};
      REQUIRE(producer->add(record.key, record.data).ok());
      added.push_back(std::move(record));
    }
    REQUIRE(producer->flush(on_ack, false).ok());
    CHECK(acks.size() <= added.size());
    if (round % 5 == 0) REQUIRE(producer->poll_acks(on_ack).ok());
  }
  REQUIRE(producer->drain(on_ack).ok());
  CHECK_FALSE(producer->acks_waiting());
  REQUIRE(acks.size() == added.size());
  auto stream = store.open_stream("q");
  REQUIRE(stream.ok());
  std::map<std::pair<uint32_t, uint64_t>, std::string> stored;
  for (uint32_t shard = 0; shard < 3; ++shard) {
    for (const auto& record : read_shard(*stream, shard, nullptr))
      stored[{shard, record.offset}] = record.data;
  }
  CHECK(stored.size() == added.size());
  std::map<uint32_t, uint64_t> next_offset;
  for (size_t i = 0; i < acks.size(); ++i) {
    CAPTURE(i);
    CHECK(stored[{acks[i].shard_index, acks[i].offset}] == added[i].data);
    CHECK(acks[i].offset == next_offset[acks[i].shard_index]++);  // in order within each shard
  }
}

TEST_CASE("the background syncer carries out a waiting caller's commit itself, never ahead of another") {
  kds_test::TempDir tmp;
  const std::string path = tmp.sub("file");
  kds::Fd file(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  REQUIRE(file.valid());
  auto one_file = [&] {
    std::vector<kds::BackgroundSyncer::File> files;
    files.push_back({kds::Fd(::dup(file.get())), path});
    return files;
  };
  kds::BackgroundSyncer syncer;
  CHECK(syncer.commit_and_wait(one_file()) == 1);
  CHECK(syncer.progress().done == 1);

  struct ReleaseSyncs {
    ~ReleaseSyncs() { kds::fault_injection::hold_background_syncs(false); }
  } release;
  kds::fault_injection::hold_background_syncs(true);
  CHECK(syncer.submit(one_file()) == 2);  // the worker holds it
  std::atomic<uint64_t> waited{0};
  std::thread caller([&] { waited = syncer.commit_and_wait(one_file()); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  CHECK(waited == 0);  // queued behind commit 2, not carried out beside it
  CHECK(syncer.progress().done == 1);
  kds::fault_injection::hold_background_syncs(false);
  caller.join();
  CHECK(waited == 3);
  CHECK(syncer.progress().done == 3);
  CHECK(syncer.progress().failure.ok());
}

TEST_CASE(
    "group commit: concurrent commits of the same files share rounds, and a failed round fails its commits") {
  kds_test::TempDir tmp;
  std::vector<std::string> paths;
  std::vector<kds::Fd> files;
  for (int i = 0; i < 3; ++i) {
    paths.push_back(tmp.sub("file" + std::to_string(i)));
    files.emplace_back(::open(paths.back().c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    REQUIRE(files.back().valid());
  }
  std::atomic<int> failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 50; ++round) {
        std::vector<kds::SyncFile> mine;
        for (size_t i = 0; i < files.size(); ++i) {
          if ((t + round + static_cast<int>(i)) % 2 == 0) continue;
          if (::write(files[i].get(), "x", 1) != 1) ++failed;
          mine.push_back({kds::Fd(::dup(files[i].get())), paths[i]});
        }
        if (!kds::group_commit(std::move(mine)).ok()) ++failed;
      }
    });
  }
  for (auto& thread : threads)
    thread.join();
  CHECK(failed == 0);

  std::vector<kds::SyncFile> bad;
  bad.push_back({kds::Fd(), "/nowhere"});  // fdatasync(-1) fails: EBADF
  const kds::Status status = kds::group_commit(std::move(bad));
  REQUIRE_FALSE(status.ok());
  CHECK(status.error().message().find("/nowhere") != std::string::npos);
  std::vector<kds::SyncFile> good;
  good.push_back({kds::Fd(::dup(files[0].get())), paths[0]});
  CHECK(kds::group_commit(std::move(good)).ok());  // a later round of other files is not failed by it
}

TEST_CASE("group commit: a round of more files than helper threads syncs each, and reports a failure") {
  kds_test::TempDir tmp;
  std::vector<std::string> paths;
  std::vector<kds::Fd> files;
  for (int i = 0; i < 12; ++i) {
    paths.push_back(tmp.sub("many" + std::to_string(i)));
    files.emplace_back(::open(paths.back().c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    REQUIRE(files.back().valid());
  }
  kds::fault_injection::start_recording();
  std::vector<kds::SyncFile> round;
  for (size_t i = 0; i < files.size(); ++i) {
    REQUIRE(kds::pwrite_full(files[i].get(), "record", 6, 0, paths[i]).ok());
    if (i == 5) round.push_back({kds::Fd(), "/nowhere"});  // fdatasync(-1) fails: EBADF
    round.push_back({kds::Fd(::dup(files[i].get())), paths[i]});
  }
  const kds::Status status = kds::group_commit(std::move(round));
  REQUIRE_FALSE(status.ok());
  CHECK(status.error().message().find("/nowhere") != std::string::npos);
  // A power loss now keeps what every good file's sync made durable, the failed one notwithstanding.
  REQUIRE(kds::fault_injection::crash(kds::fault_injection::LostWrites::kDropped, 1).ok());
  for (const std::string& path : paths)
    CHECK(kds_test::read_bytes(path) == "record");
}

TEST_CASE("add_many routes distinct keys as add() does, in add order, and stops at the first bad record") {
  kds_test::TempDir tmp;
  auto store = kds::Store::open(tmp.sub("store"));
  REQUIRE(store.ok());
  kds::StreamOptions stream_options;
  stream_options.shard_count = 5;
  REQUIRE(store->create_stream("one", stream_options).ok());
  REQUIRE(store->create_stream("many", stream_options).ok());
  kds::ProducerOptions options;
  options.sync = kds::SyncMode::kNone;
  options.batch_bytes = 4096;
  auto one = kds::Producer::open(*store, "one", options, nullptr);
  auto many = kds::Producer::open(*store, "many", options, nullptr);
  REQUIRE(one.ok());
  REQUIRE(many.ok());
  std::vector<std::string> keys, data;
  for (int i = 0; i < 20000; ++i) {
    keys.push_back(i % 3 == 0 ? "user-" + std::to_string(i % 40) : "req-" + std::to_string(i));
    data.push_back("record " + std::to_string(i));
  }
  std::vector<kds::Producer::Input> inputs;
  for (size_t i = 0; i < keys.size(); ++i) {
    REQUIRE(one->add(keys[i], data[i], i % 101 == 0 ? std::optional<kds::u128>(i) : std::nullopt).ok());
    inputs.push_back({keys[i], data[i], i % 101 == 0 ? std::optional<kds::u128>(i) : std::nullopt});
  }
  size_t added = 0;
  REQUIRE(many->add_many(inputs, &added).ok());
  CHECK(added == inputs.size());
  std::vector<kds::RecordAck> acks_one, acks_many;
  REQUIRE(one->flush([&](const kds::RecordAck& ack) { acks_one.push_back(ack); }).ok());
  REQUIRE(many->flush([&](const kds::RecordAck& ack) { acks_many.push_back(ack); }).ok());
  REQUIRE(acks_one.size() == acks_many.size());
  size_t differing = 0;
  for (size_t i = 0; i < acks_one.size(); ++i)
    differing +=
        acks_one[i].shard_index != acks_many[i].shard_index || acks_one[i].offset != acks_many[i].offset;
  CHECK(differing == 0);

  // add()'s checks in add()'s order: the size before the key; the first bad record stops the group.
  const std::string big(kds::kMaxRecordDataBytes, 'd');
  struct Case {
    std::vector<kds::Producer::Input> records;
    size_t added;
  };
  const std::vector<Case> cases = {
      {{{"a", "x", {}}, {"b", "x", {}}, {"", "x", {}}, {"c", "x", {}}}, 2},
      {{{"a", "x", {}}, {"", big + "d", {}}}, 1},                      // too big, and no key
      {{{"a", "x", {}}, {"", "x", kds::u128{5}}, {"b", "x", {}}}, 1},  // explicit hash, no key
      {{{"a", "x", {}}, {"b", "x", {}}, {"k", big, {}}}, 2},           // key and data over 1 MiB
  };
  for (const Case& c : cases) {
    const kds::Status status = many->add_many(c.records, &added);
    REQUIRE_FALSE(status.ok());
    CHECK(status.error().code() == kds::Errc::kValidation);
    CHECK(added == c.added);
  }
}
