// Checking and repairing a stream (fsck.h): a clean stream reports nothing; damage is reported with its
// file and byte offset; the repair quarantines damaged bytes rather than dropping them, a torn tail
// included (the damage policy, damage.h, treats every byte it takes out of a log alike).
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <string>
#include <vector>

#include <fmt/format.h>

#include "kds/batch.h"
#include "kds/fsck.h"
#include "kds/segment.h"
#include "kds/store.h"
#include "stream_util.h"
#include "temp_dir.h"
#include "test_util.h"

namespace {

constexpr int64_t kT0 = 1600000000000;

struct Checked {
  kds::FsckTotals totals;
  std::vector<kds::FsckProblem> problems;
};

Checked fsck(const kds::Store& store, bool repair = false, bool gc = false) {
  Checked checked;
  kds::FsckOptions options;
  options.repair = repair;
  options.gc = gc;
  options.on_problem = [&](const kds::FsckProblem& problem) { checked.problems.push_back(problem); };
  REQUIRE(kds::fsck_stream(store, "s", options, &checked.totals).ok());
  CHECK(checked.totals.problems == checked.problems.size());
  return checked;
}

std::string problems_text(const Checked& checked) {
  std::string text;
  for (const auto& p : checked.problems)
    text += p.path + "@" + std::to_string(p.position) + ": " + p.what + "\n";
  return text;
}

// A one-shard stream of `batches` batches of 3 records each ("r<offset>"), one segment.
std::vector<std::string> fill(const kds::Store& store, kds_test::ClockGuard& clock, int batches) {
  kds_test::create_stream(store, "s", 1);
  std::vector<std::string> written;
  for (int b = 0; b < batches; ++b) {
    kds_test::Records records;
    for (int r = 0; r < 3; ++r) {
      written.push_back("r" + std::to_string(written.size()) + std::string(20, 'x'));
      records.emplace_back("key-" + std::to_string(r), written.back());
    }
    kds_test::put(store, "s", records);
    clock.advance(1);
  }
  return written;
}

}  // namespace

TEST_CASE("fsck: a clean stream reports nothing, and a repair of it changes nothing") {
  kds_test::TempDir tmp;
  kds_test::ClockGuard clock(kT0);
  const kds::Store store = kds_test::open_store(tmp);
  kds_test::create_stream(store, "s", 3);
  const auto ranges = kds::uniform_hash_ranges(3);
  uint64_t records = 0;
  for (int b = 0; b < 4; ++b) {  // each put: one batch in each shard
    kds_test::Records batch;
    for (int shard = 0; shard < 3; ++shard) {
      for (int r = 0; r <= shard; ++r)
        batch.emplace_back(kds_test::key_in(ranges[shard], r), "data");
    }
    records += batch.size();
    kds_test::put(store, "s", batch);
  }
  std::vector<std::string> segments;
  uint64_t bytes = 0;
  for (int shard = 0; shard < 3; ++shard) {
    const std::string path =
        tmp.sub(fmt::format("store/s.stream/shardId-{:012}/{}", shard, kds::segment_file_name(0)));
    segments.push_back(kds_test::read_bytes(path));
    bytes += segments.back().size();
  }

  for (const bool repair : {false, true}) {
    CAPTURE(repair);
    const Checked checked = fsck(store, repair, repair);
    CHECK_MESSAGE(checked.problems.empty(), problems_text(checked));
    CHECK(checked.totals.shards == 3);
    CHECK(checked.totals.segments == 3);
    CHECK(checked.totals.batches == 12);
    CHECK(checked.totals.records == records);
    CHECK(checked.totals.bytes == bytes);
    CHECK(checked.totals.problems == 0);
    CHECK(checked.totals.repaired == 0);
  }
  for (int shard = 0; shard < 3; ++shard) {
    const std::string path =
        tmp.sub(fmt::format("store/s.stream/shardId-{:012}/{}", shard, kds::segment_file_name(0)));
    CHECK(kds_test::read_bytes(path) == segments[static_cast<size_t>(shard)]);
  }
}

TEST_CASE("fsck: a flipped byte in a middle batch is reported with its file and offset, then quarantined") {
  kds_test::TempDir tmp;
  kds_test::ClockGuard clock(kT0);
  const kds::Store store = kds_test::open_store(tmp);
  const std::vector<std::string> written = fill(store, clock, 5);
  const std::string shard_dir = tmp.sub("store/s.stream/shardId-000000000000");
  const std::string segment = shard_dir + "/" + kds::segment_file_name(0);
  const std::string original = kds_test::read_bytes(segment);
  const auto batches = kds_test::walk_batches(original);
  REQUIRE(batches.size() == 5);
  REQUIRE(batches[2].header.first_offset == 6);
  const uint64_t position = batches[2].position;
  const uint64_t length = batches[3].position - position;
  kds_test::flip_bit_in_file(segment, position + kds::kBatchHeaderSize + 5, 3);
  const std::string damaged = kds_test::read_bytes(segment);
  std::vector<std::string> survivors = written;
  survivors.erase(survivors.begin() + 6, survivors.begin() + 9);

  // A reader skips the batch and reports it; the check reports it once, at the batch, and changes nothing.
  kds_test::RecordingReporter reporter;
  CHECK(kds_test::data_of(kds_test::read_shard(store, "s", 0, &reporter)) == survivors);
  REQUIRE(reporter.damages.size() == 1);
  CHECK(reporter.damages[0].path == segment);
  CHECK(reporter.damages[0].position == position);

  Checked checked = fsck(store);
  REQUIRE_MESSAGE(checked.problems.size() == 1, problems_text(checked));
  const kds::FsckProblem& problem = checked.problems[0];
  CHECK(problem.stream == "s");
  CHECK(problem.shard == "shardId-000000000000");
  CHECK(problem.path == segment);
  CHECK(problem.position == position);
  CHECK(problem.what == fmt::format("{} damaged bytes; records at offsets 6..8 lost", length));
  CHECK_FALSE(problem.repaired);
  CHECK(checked.totals.batches == 4);
  CHECK(checked.totals.records == 12);
  CHECK(checked.totals.repaired == 0);
  CHECK(kds_test::read_bytes(segment) == damaged);
  CHECK_FALSE(kds_test::exists(shard_dir + "/quarantine"));

  // The repair moves the damaged bytes, exactly, to the quarantine and leaves a lost-range marker.
  checked = fsck(store, /*repair=*/true);
  REQUIRE_MESSAGE(checked.problems.size() == 1, problems_text(checked));
  CHECK(checked.problems[0].position == position);
  CHECK(checked.problems[0].repaired);
  CHECK(checked.totals.repaired == 1);
  const std::string kept = fmt::format("{:020}-{}.bad", 0, position);
  CHECK(kds_test::entries(shard_dir + "/quarantine") == std::vector<std::string>{kept});
  CHECK(kds_test::read_bytes(shard_dir + "/quarantine/" + kept) == damaged.substr(position, length));
  const std::string repaired = kds_test::read_bytes(segment);
  CHECK(repaired.substr(0, position) == original.substr(0, position));
  const auto after = kds_test::walk_batches(repaired);
  REQUIRE(after.size() == 5);
  CHECK(after[2].header.lost_range());
  CHECK(after[2].header.first_offset == 6);
  CHECK(after[3].header.first_offset == 9);
  CHECK(repaired.substr(after[3].position) == original.substr(batches[3].position));

  // Readers pass the gap silently; a second check finds nothing; the next append continues the offsets.
  kds_test::RecordingReporter quiet;
  CHECK(kds_test::data_of(kds_test::read_shard(store, "s", 0, &quiet)) == survivors);
  CHECK(quiet.damages.empty());
  checked = fsck(store);
  CHECK_MESSAGE(checked.problems.empty(), problems_text(checked));
  const auto acks = kds_test::put(store, "s", {{"k", "after the repair"}});
  CHECK(acks[0].offset == 15);
}

TEST_CASE("fsck: a torn tail is reported where it starts, quarantined and truncated") {
  kds_test::TempDir tmp;
  kds_test::ClockGuard clock(kT0);
  const kds::Store store = kds_test::open_store(tmp);
  const std::vector<std::string> written = fill(store, clock, 3);
  const std::string shard_dir = tmp.sub("store/s.stream/shardId-000000000000");
  const std::string segment = shard_dir + "/" + kds::segment_file_name(0);
  const std::string original = kds_test::read_bytes(segment);
  const std::string next = kds_test::encode_batch({{"k", "never acknowledged"}}, 9, clock.now());
  kds_test::append_bytes(segment, next.substr(0, 30));

  // Readers take it for a write in flight: no report.
  kds_test::RecordingReporter reporter;
  CHECK(kds_test::data_of(kds_test::read_shard(store, "s", 0, &reporter)) == written);
  CHECK(reporter.damages.empty());

  Checked checked = fsck(store);
  REQUIRE_MESSAGE(checked.problems.size() == 1, problems_text(checked));
  CHECK(checked.problems[0].path == segment);
  CHECK(checked.problems[0].position == original.size());
  CHECK(checked.problems[0].what == "torn tail of 30 bytes (an append cut short)");
  CHECK_FALSE(checked.problems[0].repaired);
  CHECK(kds_test::size_of(segment) == original.size() + 30);

  checked = fsck(store, /*repair=*/true);
  REQUIRE_MESSAGE(checked.problems.size() == 1, problems_text(checked));
  CHECK(checked.problems[0].repaired);
  CHECK(kds_test::read_bytes(segment) == original);
  CHECK(kds_test::read_bytes(shard_dir + "/quarantine/" + kds::segment_file_name(0).substr(0, 20) + "-" +
                             std::to_string(original.size()) + ".bad") == next.substr(0, 30));
  checked = fsck(store);
  CHECK_MESSAGE(checked.problems.empty(), problems_text(checked));
  CHECK(kds_test::data_of(kds_test::read_shard(store, "s", 0)) == written);
  CHECK(kds_test::put(store, "s", {{"k", "next"}})[0].offset == 9);
}

TEST_CASE("fsck: leftovers and stray shard directories are reported, and removed only by a repair or --gc") {
  kds_test::TempDir tmp;
  kds_test::ClockGuard clock(kT0);
  const kds::Store store = kds_test::open_store(tmp);
  fill(store, clock, 1);
  const std::string stream_dir = tmp.sub("store/s.stream");
  kds_test::write_bytes(stream_dir + "/shardId-000000000000/00000000000000000000.log.repair", "half");
  REQUIRE(::mkdir((stream_dir + "/shardId-000000000004").c_str(), 0700) == 0);

  Checked checked = fsck(store);
  REQUIRE_MESSAGE(checked.problems.size() == 2, problems_text(checked));
  CHECK(checked.problems[0].path == stream_dir + "/shardId-000000000000/00000000000000000000.log.repair");
  CHECK(checked.problems[0].what == "leftover temporary file of an interrupted write");
  CHECK(checked.problems[1].path == stream_dir + "/shardId-000000000004");
  CHECK(checked.problems[1].what ==
        "shard directory not in stream.json (left by an interrupted reshard or expiry)");
  CHECK(kds_test::exists(stream_dir + "/shardId-000000000004"));

  checked = fsck(store, /*repair=*/false, /*gc=*/true);
  REQUIRE(checked.problems.size() == 2);
  CHECK(checked.problems[0].repaired);
  CHECK(checked.problems[1].repaired);
  CHECK_FALSE(kds_test::exists(stream_dir + "/shardId-000000000004"));
  CHECK_FALSE(kds_test::exists(stream_dir + "/shardId-000000000000/00000000000000000000.log.repair"));
  CHECK(fsck(store).problems.empty());
}

TEST_CASE("fsck: a damaged attributes.json is reported with its path and left as it is, even by a repair") {
  kds_test::TempDir tmp;
  kds_test::ClockGuard clock(kT0);
  const kds::Store store = kds_test::open_store(tmp);
  fill(store, clock, 1);
  const std::string path = tmp.sub("store/s.stream/attributes.json");
  kds_test::write_bytes(path, "{\"FormatVersion\":1,\"Tags\":[");
  for (bool repair : {false, true}) {
    Checked checked = fsck(store, repair);
    REQUIRE_MESSAGE(checked.problems.size() == 1, problems_text(checked));
    CHECK(checked.problems[0].path == path);
    CHECK(checked.problems[0].what.starts_with("not valid stream attributes: "));
    CHECK_FALSE(checked.problems[0].repaired);
  }
  CHECK(kds_test::read_bytes(path) == "{\"FormatVersion\":1,\"Tags\":[");
  kds_test::write_bytes(path, "{\"FormatVersion\":1,\"Tags\":{\"a\":\"b\"},\"Consumers\":[]}");
  CHECK(fsck(store).problems.empty());
}
