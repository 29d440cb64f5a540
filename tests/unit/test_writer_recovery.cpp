// A writer that lost its state (writer.lock emptied or removed) rebuilds it from the log. It may cut a
// tail that never reached the disk, but it must never destroy valid data that follows damage, and the
// bytes it does cut are kept in the shard's quarantine directory (shard_writer.cpp: recover,
// mend_older_segments, reconcile).
#include <doctest/doctest.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "kds/segment.h"
#include "kds/shard_writer.h"
#include "shard_fixture.h"
#include "test_util.h"

using kds_test::RecordingReporter;
using kds_test::ShardFixture;

namespace {

constexpr int64_t kStart = 1600000000000;

// 30 batches in segments of 4 KiB, then the writer goes away and its state with it.
std::vector<uint64_t> fill_and_forget_state(ShardFixture& shard) {
  kds_test::ClockGuard clock(kStart);
  auto writer = shard.writer(4096);
  for (int i = 0; i < 30; ++i) {
    clock.advance(5);
    shard.append(*writer, kds_test::make_records(i));
  }
  writer.reset();
  REQUIRE(::unlink(shard.file(kds::kWriterLockName).c_str()) == 0);
  return shard.segments();
}

uint64_t file_size_of(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return static_cast<uint64_t>(st.st_size);
}

}  // namespace

TEST_CASE("recovery leaves damage in an older segment in place when valid batches follow it") {
  ShardFixture shard;
  const auto bases = fill_and_forget_state(shard);
  REQUIRE(bases.size() >= 3);
  const uint64_t older = bases[bases.size() - 2];
  const auto batches = kds_test::walk_batches(kds_test::read_bytes(shard.segment_path(older)));
  REQUIRE(batches.size() >= 3);
  const auto& damaged = batches[1];
  kds_test::flip_bit_in_file(shard.segment_path(older),
                             damaged.position + kds::kBatchHeaderSize + damaged.header.payload_size / 2, 3);
  const uint64_t size_before = file_size_of(shard.segment_path(older));

  RecordingReporter reporter;
  auto writer = shard.writer(4096, &reporter);
  shard.append(*writer, {{"new", "record"}});

  CHECK(file_size_of(shard.segment_path(older)) == size_before);
  CHECK(reporter.repairs.empty());
  REQUIRE(reporter.damages.size() == 1);
  CHECK(reporter.damages[0].path == shard.segment_path(older));
  CHECK(reporter.damages[0].position == damaged.position);
  // Everything but the damaged batch reads back, and the reader reports that batch.
  RecordingReporter read_reporter;
  auto reader = shard.reader(&read_reporter);
  REQUIRE(reader->seek_offset(0).ok());
  KDS_CHECK_RECORDS(kds_test::read_all(*reader),
                    kds_test::without(shard.model, damaged.header.first_offset, damaged.header.end_offset()));
  CHECK(read_reporter.damages.size() == 1);
}

TEST_CASE("recovery quarantines a damaged last batch of an older segment before cutting it") {
  ShardFixture shard;
  const auto bases = fill_and_forget_state(shard);
  REQUIRE(bases.size() >= 3);
  const uint64_t older = bases[bases.size() - 2];
  const std::string before = kds_test::read_bytes(shard.segment_path(older));
  const auto batches = kds_test::walk_batches(before);
  const auto& last = batches.back();
  kds_test::flip_bit_in_file(shard.segment_path(older),
                             last.position + kds::kBatchHeaderSize + last.header.payload_size / 2, 3);

  RecordingReporter reporter;
  auto writer = shard.writer(4096, &reporter);
  shard.append(*writer, {{"new", "record"}});

  // Two repairs: the cut (naming the copy) and the lost-range marker in its place.
  REQUIRE(reporter.repairs.size() == 2);
  const std::string kept = shard.file(fmt::format("quarantine/{:020}-{}.bad", older, last.position));
  CHECK(reporter.repairs[0].what.find(kept) != std::string::npos);
  CHECK(reporter.repairs[1].what.find("lost") != std::string::npos);
  // The quarantined copy holds exactly the bytes that were cut (with the flipped bit).
  const std::string quarantined = kds_test::read_bytes(kept);
  REQUIRE(quarantined.size() == before.size() - last.position);
  CHECK(quarantined.substr(0, kds::kBatchHeaderSize) == before.substr(last.position, kds::kBatchHeaderSize));
  // The lost offsets are marked, so readers skip them without reporting them again.
  RecordingReporter read_reporter;
  auto reader = shard.reader(&read_reporter);
  REQUIRE(reader->seek_offset(0).ok());
  KDS_CHECK_RECORDS(kds_test::read_all(*reader),
                    kds_test::without(shard.model, last.header.first_offset, last.header.end_offset()));
  CHECK(read_reporter.damages.empty());
}

TEST_CASE("recovery quarantines a torn tail of the newest segment before truncating it") {
  ShardFixture shard;
  const auto bases = fill_and_forget_state(shard);
  const std::string newest = shard.segment_path(bases.back());
  const std::string torn = "kdsB torn";
  {
    const std::string bytes = kds_test::read_bytes(newest) + torn;
    kds_test::write_bytes(newest, bytes);
  }
  RecordingReporter reporter;
  auto writer = shard.writer(4096, &reporter);
  shard.append(*writer, {{"new", "record"}});
  REQUIRE(reporter.repairs.size() == 1);
  const auto& repair = reporter.repairs[0];
  CHECK(kds_test::read_bytes(
            shard.file(fmt::format("quarantine/{:020}-{}.bad", bases.back(), repair.position))) == torn);
  auto reader = shard.reader();
  REQUIRE(reader->seek_offset(0).ok());
  KDS_CHECK_RECORDS(kds_test::read_all(*reader), shard.model);
}
