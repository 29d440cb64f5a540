// ShardWriter and ShardReader: appends across segments, reads, seeks, index loss, torn tails, corruption,
// and several writers on one shard (shard_writer.h, shard_reader.h).
#include <doctest/doctest.h>
#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <string>
#include <vector>

#include "kds/segment.h"
#include "kds/shard_reader.h"
#include "kds/shard_writer.h"
#include "shard_fixture.h"
#include "test_util.h"

using kds_test::Got;
using kds_test::RecordingReporter;
using kds_test::ShardFixture;

namespace {

constexpr int64_t kStart = 1600000000000;

// Appends `batches` batches, moving the clock by 5 ms only every third batch, so runs of batches share an
// arrival time (also across segment boundaries).
void fill(ShardFixture& shard, kds::ShardWriter& writer, kds_test::ClockGuard& clock, int batches,
          int first = 0) {
  for (int i = first; i < first + batches; ++i) {
    if (i % 3 == 0) clock.advance(5);
    const auto result = shard.append(writer, kds_test::make_records(i));
    CHECK(result.arrival_ms == clock.now());
  }
}

// The offset of the first record that arrived at or after `t`, or the end.
uint64_t first_at_or_after(const std::vector<Got>& model, int64_t t) {
  for (const auto& record : model) {
    if (record.arrival_ms >= t) return record.offset;
  }
  return model.size();
}

void check_seeks(ShardFixture& shard) {
  const auto& model = shard.model;
  auto reader = shard.reader();
  // Every offset.
  for (const auto& expected : model) {
    CAPTURE(expected.offset);
    REQUIRE(reader->seek_offset(expected.offset).ok());
    CHECK(reader->next_offset() == expected.offset);
    const auto got = kds_test::read_first(*reader);
    REQUIRE(got.has_value());
    CHECK(*got == expected);
  }
  // Past the end.
  for (uint64_t offset :
       {static_cast<uint64_t>(model.size()), static_cast<uint64_t>(model.size()) + 100, UINT64_MAX}) {
    REQUIRE(reader->seek_offset(offset).ok());
    CHECK_FALSE(kds_test::read_first(*reader).has_value());
  }
  // Every arrival time, and just before and after it.
  std::vector<int64_t> times = {0, kStart, model.back().arrival_ms + 1};
  for (const auto& record : model) {
    times.push_back(record.arrival_ms - 1);
    times.push_back(record.arrival_ms);
    times.push_back(record.arrival_ms + 1);
  }
  std::sort(times.begin(), times.end());
  times.erase(std::unique(times.begin(), times.end()), times.end());
  for (int64_t t : times) {
    CAPTURE(t);
    REQUIRE(reader->seek_timestamp(t).ok());
    const uint64_t expected = first_at_or_after(model, t);
    const auto got = kds_test::read_first(*reader);
    if (expected == model.size()) {
      CHECK_FALSE(got.has_value());
    } else {
      REQUIRE(got.has_value());
      CHECK(*got == model[expected]);
    }
  }
  // Latest.
  REQUIRE(reader->seek_latest().ok());
  CHECK(reader->next_offset() == model.size());
  CHECK_FALSE(kds_test::read_first(*reader).has_value());
}

}  // namespace

TEST_CASE("records appended across segments read back dense, identical and in arrival order") {
  for (uint64_t max_bytes : {uint64_t{4096}, uint64_t{16384}}) {
    CAPTURE(max_bytes);
    ShardFixture shard;
    kds_test::ClockGuard clock(kStart);
    RecordingReporter reporter;
    auto writer = shard.writer(max_bytes, &reporter);
    fill(shard, *writer, clock, 60);
    const uint64_t n = shard.model.size();

    // Segments rolled, none grew past the limit, and each is named after its first record.
    const auto bases = shard.segments();
    CHECK(bases.size() >= (max_bytes == 4096 ? 8u : 2u));
    for (uint64_t base : bases) {
      CAPTURE(base);
      const std::string bytes = kds_test::read_bytes(shard.segment_path(base));
      CHECK(bytes.size() <= max_bytes);
      const auto batches = kds_test::walk_batches(bytes);
      REQUIRE_FALSE(batches.empty());
      CHECK(batches.front().header.first_offset == base);
      CHECK(batches.back().position + batches.back().header.total_size() == bytes.size());
      // Index entries point at batches with the offsets and arrival times they claim.
      const auto entries = kds::load_index(shard.dir(), base, bytes.size());
      REQUIRE_FALSE(entries.empty());
      for (const auto& entry : entries) {
        auto it = std::find_if(batches.begin(), batches.end(),
                               [&](const kds_test::RawBatch& b) { return b.position == entry.position; });
        REQUIRE(it != batches.end());
        CHECK(it->header.first_offset == entry.offset);
        CHECK(it->header.arrival_ms == entry.arrival_ms);
      }
      if (max_bytes == 16384 && bytes.size() > 3 * kds::kIndexInterval) CHECK(entries.size() >= 2);
    }

    // Read everything, from a fresh reader without a seek, with a seek, and one record at a time.
    auto fresh = shard.reader(&reporter);
    KDS_CHECK_RECORDS(kds_test::read_all(*fresh), shard.model);
    auto reader = shard.reader(&reporter);
    REQUIRE(reader->seek_offset(0).ok());
    const auto all = kds_test::read_all(*reader);
    KDS_CHECK_RECORDS(all, shard.model);
    for (size_t i = 1; i < all.size(); ++i)
      CHECK(all[i].arrival_ms >= all[i - 1].arrival_ms);
    REQUIRE(reader->seek_offset(0).ok());
    KDS_CHECK_RECORDS(kds_test::read_all(*reader, 1), shard.model);
    REQUIRE(reader->seek_offset(0).ok());
    KDS_CHECK_RECORDS(kds_test::read_all(*reader, 3), shard.model);
    CHECK(reader->first_stored_offset() == 0);

    // A reader at the end sees the next append.
    CHECK(reader->next_offset() == n);
    fill(shard, *writer, clock, 2, 60);
    KDS_CHECK_RECORDS(
        kds_test::read_all(*reader),
        std::vector<Got>(shard.model.begin() + static_cast<std::ptrdiff_t>(n), shard.model.end()));
    CHECK(reporter.damages.empty());
    CHECK(reporter.repairs.empty());
  }
}

TEST_CASE("seeks by offset, by timestamp and to the latest record land exactly") {
  for (uint64_t max_bytes : {uint64_t{4096}, uint64_t{16384}}) {
    CAPTURE(max_bytes);
    ShardFixture shard;
    kds_test::ClockGuard clock(kStart);
    auto writer = shard.writer(max_bytes);
    fill(shard, *writer, clock, 50);
    check_seeks(shard);

    // seek_latest, then new records are the only ones returned.
    auto reader = shard.reader();
    REQUIRE(reader->seek_latest().ok());
    const size_t before = shard.model.size();
    clock.advance(10);
    shard.append(*writer, {{"late", "record"}});
    const auto got = kds_test::read_all(*reader);
    REQUIRE(got.size() == 1);
    CHECK(got[0] == shard.model[before]);
  }
}

TEST_CASE("seek_timestamp across many segments rolled by age") {
  ShardFixture shard;
  kds_test::ClockGuard clock(kStart);
  auto writer = shard.writer(1 << 20, nullptr, 1000);
  for (int i = 0; i < 24; ++i) {
    clock.advance(i % 2 == 0 ? 1500 : 300);  // a new segment about every other batch
    shard.append(*writer, kds_test::make_records(i, 50));
  }
  CHECK(shard.segments().size() >= 10);
  check_seeks(shard);
}

TEST_CASE("arrival times never go backwards, even when the clock does") {
  ShardFixture shard;
  kds_test::ClockGuard clock(kStart);
  auto writer = shard.writer(4096);
  shard.append(*writer, {{"k", "1"}});
  clock.set(kStart - 50000);
  const auto second = shard.append(*writer, {{"k", "2"}});
  CHECK(second.arrival_ms == kStart);
  // A second writer (another process) with the clock still behind also keeps the order.
  auto other = shard.writer(4096);
  const auto third = shard.append(*other, {{"k", "3"}});
  CHECK(third.arrival_ms == kStart);
  clock.set(kStart + 10);
  const auto fourth = shard.append(*writer, {{"k", "4"}});
  CHECK(fourth.arrival_ms == kStart + 10);
  auto reader = shard.reader();
  KDS_CHECK_RECORDS(kds_test::read_all(*reader), shard.model);
}

TEST_CASE("reads and seeks work without index files, and appends continue") {
  ShardFixture shard;
  kds_test::ClockGuard clock(kStart);
  auto writer = shard.writer(16384);
  fill(shard, *writer, clock, 50);
  writer.reset();
  const auto bases = shard.segments();
  REQUIRE(bases.size() >= 2);
  for (uint64_t base : bases) {
    REQUIRE(kds_test::exists(shard.index_path(base)));
    REQUIRE(::unlink(shard.index_path(base).c_str()) == 0);
  }
  RecordingReporter reporter;
  auto reader = shard.reader(&reporter);
  KDS_CHECK_RECORDS(kds_test::read_all(*reader), shard.model);
  check_seeks(shard);

  SUBCASE("with the writer state intact") {
    auto next = shard.writer(16384, &reporter);
    fill(shard, *next, clock, 30, 50);
  }
  SUBCASE("with the writer state lost too") {
    REQUIRE(::unlink(shard.file(kds::kWriterLockName).c_str()) == 0);
    auto next = shard.writer(16384, &reporter);
    fill(shard, *next, clock, 30, 50);
  }
  auto again = shard.reader(&reporter);
  KDS_CHECK_RECORDS(kds_test::read_all(*again), shard.model);
  check_seeks(shard);
  CHECK(reporter.damages.empty());
  CHECK(reporter.repairs.empty());
}

TEST_CASE("index entries that disagree with their batch are not trusted") {
  ShardFixture shard;
  kds_test::ClockGuard clock(kStart);
  auto writer = shard.writer(1 << 20);
  for (int i = 0; i < 40; ++i) {
    clock.advance(10);
    shard.append(*writer, kds_test::make_records(i));
  }
  writer.reset();
  REQUIRE(shard.segments() == std::vector<uint64_t>{0});
  const std::string log = kds_test::read_bytes(shard.segment_path(0));
  const auto batches = kds_test::walk_batches(log);
  REQUIRE(batches.size() == 40);

  // An index whose entries point into the middle of batches or claim offsets they do not have.
  std::string index = kds::encode_index_header(0);
  auto add = [&](uint64_t offset, uint64_t position, int64_t arrival) {
    char entry[kds::kIndexEntrySize];
    kds::encode_index_entry(0, {offset, position, arrival}, entry);
    index.append(entry, sizeof entry);
  };
  add(0, 0, batches[0].header.arrival_ms);
  add(batches[10].header.first_offset + 1, batches[10].position,
      batches[10].header.arrival_ms);  // wrong offset
  add(batches[20].header.first_offset, batches[20].position + 7,
      batches[20].header.arrival_ms);  // wrong position
  kds_test::write_bytes(shard.index_path(0), index);
  check_seeks(shard);
}

TEST_CASE(
    "an index entry whose arrival time disagrees with its batch must not make seek_timestamp skip records") {
  // segment.h: "every entry is checked against the batch it points to before it is used, and a missing or
  // inconsistent index only makes lookups scan". An entry that under-states its batch's arrival would
  // make seek_timestamp start after records it should return, so its arrival time is checked too.
  ShardFixture shard;
  kds_test::ClockGuard clock(kStart);
  auto writer = shard.writer(1 << 20);
  for (int i = 0; i < 40; ++i) {
    clock.advance(10);
    shard.append(*writer, kds_test::make_records(i));
  }
  writer.reset();
  const std::string log = kds_test::read_bytes(shard.segment_path(0));
  const auto batches = kds_test::walk_batches(log);
  REQUIRE(batches.size() == 40);
  // Entries: batch 0 and batch 30, the latter claiming batch 10's arrival time (still non-decreasing, so
  // decode_index keeps it).
  std::string index = kds::encode_index_header(0);
  for (const auto& [batch, arrival] : {std::pair{batches[0], batches[0].header.arrival_ms},
                                       std::pair{batches[30], batches[10].header.arrival_ms}}) {
    char entry[kds::kIndexEntrySize];
    kds::encode_index_entry(0, {batch.header.first_offset, batch.position, arrival}, entry);
    index.append(entry, sizeof entry);
  }
  kds_test::write_bytes(shard.index_path(0), index);
  REQUIRE(kds::load_index(shard.dir(), 0, log.size()).size() == 2);

  auto reader = shard.reader();
  const int64_t target = batches[20].header.arrival_ms;
  REQUIRE(reader->seek_timestamp(target).ok());
  const auto got = kds_test::read_first(*reader);
  REQUIRE(got.has_value());
  CHECK(got->offset == batches[20].header.first_offset);  // actual: batches[30]'s first offset
}

namespace {

// Appends 20 batches with 4 KiB segments and returns the newest segment's base and size.
struct TornSetup {
  uint64_t base = 0;
  uint64_t size = 0;
};
TornSetup write_for_torn_tail(ShardFixture& shard, kds_test::ClockGuard& clock, kds::ShardWriter& writer) {
  fill(shard, writer, clock, 20);
  const auto bases = shard.segments();
  REQUIRE(bases.size() >= 2);
  TornSetup setup{bases.back(), kds_test::size_of(shard.segment_path(bases.back()))};
  REQUIRE(setup.size > 0);
  return setup;
}

}  // namespace

TEST_CASE("a torn tail is invisible to readers and truncated by the next append") {
  struct Tail {
    const char* name;
    std::string bytes;
  };
  // A prefix of what would have been the next batch.
  const std::string next_batch = kds_test::encode_batch(kds_test::make_records(99), 50, kStart + 1000);
  const std::vector<Tail> tails = {
      {"garbage", std::string(100, '\xab')},
      {"half a batch", next_batch.substr(0, next_batch.size() / 2)},
      {"header only", next_batch.substr(0, kds::kBatchHeaderSize)},
      {"part of the header", next_batch.substr(0, 20)},
      {"three magic bytes", "kds"},
      {"one byte", "k"},
      {"zeros (a preallocated tail)", std::string(4096, '\0')},
      {"a whole batch with a bad checksum",
       [&] {
         std::string damaged = next_batch;
         damaged.back() = static_cast<char>(damaged.back() ^ 1);
         return damaged;
       }()},
  };
  for (const auto& tail : tails) {
    for (const bool same_writer : {false, true}) {
      const std::string shown = tail.name;
      CAPTURE(shown);
      CAPTURE(same_writer);
      ShardFixture shard;
      kds_test::ClockGuard clock(kStart);
      RecordingReporter writer_reporter;
      auto writer = shard.writer(4096, &writer_reporter);
      const TornSetup setup = write_for_torn_tail(shard, clock, *writer);
      // A reader already at the end before the tail appears.
      RecordingReporter early_reporter;
      auto early = shard.reader(&early_reporter);
      KDS_CHECK_RECORDS(kds_test::read_all(*early), shard.model);

      kds_test::append_bytes(shard.segment_path(setup.base), tail.bytes);

      // (i) Readers return every complete record and report nothing.
      RecordingReporter reader_reporter;
      auto reader = shard.reader(&reader_reporter);
      KDS_CHECK_RECORDS(kds_test::read_all(*reader), shard.model);
      CHECK(kds_test::read_all(*early).empty());
      REQUIRE(reader->seek_latest().ok());
      CHECK(reader->next_offset() == shard.model.size());
      CHECK(reader_reporter.damages.empty());
      CHECK(reader_reporter.repairs.empty());
      CHECK(early_reporter.damages.empty());

      // (ii) The next append truncates the tail, says so, and continues the offsets.
      RecordingReporter next_reporter;
      std::unique_ptr<kds::ShardWriter> next;
      if (!same_writer) next = shard.writer(4096, &next_reporter);
      RecordingReporter& reporter = same_writer ? writer_reporter : next_reporter;
      const uint64_t n = shard.model.size();
      const auto appended = shard.append(same_writer ? *writer : *next, {{"after", "the tail"}});
      CHECK(appended.first_offset == n);
      REQUIRE(reporter.repairs.size() == 1);
      CHECK(reporter.repairs[0].path == shard.segment_path(setup.base));
      CHECK(reporter.repairs[0].position == setup.size);
      CHECK(reporter.repairs[0].length == tail.bytes.size());
      CHECK(reporter.damages.empty());
      // Nothing of the tail is left: the segment is the old bytes plus the new batch.
      const auto bases = shard.segments();
      const uint64_t new_size = kds_test::size_of(shard.segment_path(setup.base));
      if (bases.back() == setup.base) {
        CHECK(new_size == setup.size + kds::kBatchHeaderSize + 1 + 5 + 1 + 8);
      } else {
        CHECK(new_size == setup.size);
      }
      auto after = shard.reader(&reader_reporter);
      KDS_CHECK_RECORDS(kds_test::read_all(*after), shard.model);
      KDS_CHECK_RECORDS(kds_test::read_all(*early), std::vector<Got>{shard.model.back()});
      CHECK(reader_reporter.damages.empty());
    }
  }
}

TEST_CASE("a writer that died after writing: its complete batches are adopted, its torn tail truncated") {
  ShardFixture shard;
  kds_test::ClockGuard clock(kStart);
  RecordingReporter reporter;
  auto writer = shard.writer(1 << 20, &reporter);
  fill(shard, *writer, clock, 5);
  const std::string stale_state = kds_test::read_bytes(shard.file(kds::kWriterLockName));
  fill(shard, *writer, clock, 3, 5);
  writer.reset();
  // The state file still describes the log before the last three batches, as if the writer had died
  // before updating it; then a fourth append was cut short.
  kds_test::write_bytes(shard.file(kds::kWriterLockName), stale_state);
  const uint64_t complete = kds_test::size_of(shard.segment_path(0));
  const std::string torn =
      kds_test::encode_batch({{"x", "torn"}}, shard.model.size(), kStart + 999).substr(0, 30);
  kds_test::append_bytes(shard.segment_path(0), torn);

  auto next = shard.writer(1 << 20, &reporter);
  const uint64_t n = shard.model.size();
  const auto result = shard.append(*next, {{"y", "after recovery"}});
  CHECK(result.first_offset == n);
  REQUIRE(reporter.repairs.size() == 1);
  CHECK(reporter.repairs[0].position == complete);
  CHECK(reporter.repairs[0].length == torn.size());
  CHECK(reporter.damages.empty());
  auto reader = shard.reader();
  KDS_CHECK_RECORDS(kds_test::read_all(*reader), shard.model);
  // Arrival times stay ordered: the new batch is not older than the adopted ones.
  CHECK(result.arrival_ms >= shard.model[shard.model.size() - 2].arrival_ms);
}

namespace {

struct Located {
  uint64_t base = 0;
  kds_test::RawBatch batch;
};

// The batches of segment `base`, found by walking the file.
std::vector<kds_test::RawBatch> batches_of(const ShardFixture& shard, uint64_t base) {
  return kds_test::walk_batches(kds_test::read_bytes(shard.segment_path(base)));
}

void corrupt_payload(const ShardFixture& shard, uint64_t base, const kds_test::RawBatch& batch) {
  kds_test::flip_bit_in_file(shard.segment_path(base),
                             batch.position + kds::kBatchHeaderSize + batch.header.payload_size / 2, 3);
}

void check_damage(const kds::DamageReport& report, const ShardFixture& shard, uint64_t base,
                  const kds_test::RawBatch& batch) {
  CHECK(report.path == shard.segment_path(base));
  CHECK(report.position == batch.position);
  CHECK(report.length == batch.header.total_size());
  CHECK(report.what.find(fmt::format("{}..{}", batch.header.first_offset, batch.header.end_offset() - 1)) !=
        std::string::npos);
}

bool has_report(const std::vector<kds::DamageReport>& reports, const ShardFixture& shard, uint64_t base,
                const kds_test::RawBatch& batch) {
  const std::string lost = fmt::format("{}..{}", batch.header.first_offset, batch.header.end_offset() - 1);
  return std::any_of(reports.begin(), reports.end(), [&](const kds::DamageReport& report) {
    return report.path == shard.segment_path(base) && report.position == batch.position &&
           report.length == batch.header.total_size() && report.what.find(lost) != std::string::npos;
  });
}

}  // namespace

TEST_CASE("corruption in older segments is reported and skipped, and reading continues") {
  ShardFixture shard;
  kds_test::ClockGuard clock(kStart);
  auto writer = shard.writer(4096);
  fill(shard, *writer, clock, 50);
  const auto bases = shard.segments();
  REQUIRE(bases.size() >= 6);

  // Three damaged batches in three older segments, none next to another: the first batch of segment 1,
  // a middle one of segment 2, the last one of segment 3.
  const auto seg1 = batches_of(shard, bases[1]);
  const auto seg2 = batches_of(shard, bases[2]);
  const auto seg3 = batches_of(shard, bases[3]);
  REQUIRE(seg1.size() >= 2);
  REQUIRE(seg2.size() >= 3);
  REQUIRE(seg3.size() >= 2);
  const std::vector<Located> damaged = {
      {bases[1], seg1[0]}, {bases[2], seg2[seg2.size() / 2]}, {bases[3], seg3.back()}};
  for (const auto& d : damaged)
    corrupt_payload(shard, d.base, d.batch);

  std::vector<Got> expected = shard.model;
  for (const auto& d : damaged) {
    expected = kds_test::without(expected, d.batch.header.first_offset, d.batch.header.end_offset());
  }
  REQUIRE(expected.size() < shard.model.size());

  RecordingReporter reporter;
  auto reader = shard.reader(&reporter);
  REQUIRE(reader->seek_offset(0).ok());
  KDS_CHECK_RECORDS(kds_test::read_all(*reader), expected);
  // Each damaged batch is reported with its file, position, length and lost offsets. (That nothing else
  // is reported is the separate test below.)
  for (const auto& d : damaged) {
    CAPTURE(d.batch.header.first_offset);
    CHECK(has_report(reporter.damages, shard, d.base, d.batch));
  }
  CHECK(reporter.damages.size() >= damaged.size());
  CHECK(reporter.repairs.empty());

  // A seek into a damaged batch lands on the next record that survives.
  for (const auto& d : damaged) {
    CAPTURE(d.batch.header.first_offset);
    RecordingReporter seek_reporter;
    auto seeker = shard.reader(&seek_reporter);
    REQUIRE(seeker->seek_offset(d.batch.header.first_offset).ok());
    const auto got = kds_test::read_first(*seeker);
    REQUIRE(got.has_value());
    CHECK(got->offset == d.batch.header.end_offset());
    CHECK(has_report(seek_reporter.damages, shard, d.base, d.batch));
  }

  // Appends are not disturbed by damage in old segments.
  RecordingReporter writer_reporter;
  auto next = shard.writer(4096, &writer_reporter);
  shard.append(*next, {{"new", "record"}});
  CHECK(writer_reporter.damages.empty());
  CHECK(writer_reporter.repairs.empty());
}

TEST_CASE("damage at the end of an older segment is reported once, naming its own file") {
  // The damaged tail of an older segment costs the offsets up to the next segment's base; moving on to
  // that segment must not report the same offsets again against the next segment, which is intact.
  ShardFixture shard;
  kds_test::ClockGuard clock(kStart);
  auto writer = shard.writer(4096);
  fill(shard, *writer, clock, 30);
  const auto bases = shard.segments();
  REQUIRE(bases.size() >= 3);
  const auto seg1 = batches_of(shard, bases[1]);
  REQUIRE(seg1.size() >= 2);
  corrupt_payload(shard, bases[1], seg1.back());
  RecordingReporter reporter;
  auto reader = shard.reader(&reporter);
  KDS_CHECK_RECORDS(
      kds_test::read_all(*reader),
      kds_test::without(shard.model, seg1.back().header.first_offset, seg1.back().header.end_offset()));
  for (const auto& report : reporter.damages) {
    CAPTURE(report.path);
    CAPTURE(report.position);
    CAPTURE(report.what);
    CHECK(report.path == shard.segment_path(bases[1]));
  }
  REQUIRE(reporter.damages.size() == 1);
  check_damage(reporter.damages[0], shard, bases[1], seg1.back());
}

TEST_CASE("records missing between segments are reported as lost") {
  for (const bool remove_segment : {false, true}) {
    CAPTURE(remove_segment);
    ShardFixture shard;
    kds_test::ClockGuard clock(kStart);
    auto writer = shard.writer(4096);
    fill(shard, *writer, clock, 40);
    writer.reset();
    const auto bases = shard.segments();
    REQUIRE(bases.size() >= 4);
    uint64_t lost_from = 0;
    const uint64_t lost_to = bases[2];
    if (remove_segment) {
      // A segment in the middle disappeared.
      lost_from = bases[1];
      REQUIRE(::unlink(shard.segment_path(bases[1]).c_str()) == 0);
      REQUIRE(::unlink(shard.index_path(bases[1]).c_str()) == 0);
    } else {
      // An older segment lost its last batch, cut cleanly at a batch boundary.
      const auto seg1 = batches_of(shard, bases[1]);
      REQUIRE(seg1.size() >= 2);
      lost_from = seg1.back().header.first_offset;
      REQUIRE(::truncate(shard.segment_path(bases[1]).c_str(), static_cast<off_t>(seg1.back().position)) ==
              0);
    }
    RecordingReporter reporter;
    auto reader = shard.reader(&reporter);
    REQUIRE(reader->seek_offset(0).ok());
    KDS_CHECK_RECORDS(kds_test::read_all(*reader), kds_test::without(shard.model, lost_from, lost_to));
    REQUIRE(reporter.damages.size() == 1);
    CHECK(reporter.damages[0].what.find(fmt::format("{}..{}", lost_from, lost_to - 1)) != std::string::npos);
  }
}

TEST_CASE("corruption in the newest segment followed by valid batches is reported, never truncated") {
  enum class State { kIntact, kLost, kStale };
  for (const State state : {State::kIntact, State::kLost, State::kStale}) {
    CAPTURE(static_cast<int>(state));
    ShardFixture shard;
    kds_test::ClockGuard clock(kStart);
    auto writer = shard.writer(1 << 20);
    // The writer state after each append, to play back a stale one later. Append until at least two
    // batches follow the last index entry.
    std::vector<std::string> states;
    std::vector<kds_test::RawBatch> batches;
    size_t v = 0;
    for (int i = 0; i < 200; ++i) {
      fill(shard, *writer, clock, 1, i);
      states.push_back(kds_test::read_bytes(shard.file(kds::kWriterLockName)));
      batches = batches_of(shard, 0);
      const auto entries = kds::load_index(shard.dir(), 0, kds_test::size_of(shard.segment_path(0)));
      REQUIRE_FALSE(entries.empty());
      // The victim is the first batch after the last index entry, so that recovery without a state (which
      // starts at the last index entry that verifies) has to scan over it.
      v = 0;
      while (v < batches.size() && batches[v].position <= entries.back().position)
        ++v;
      if (entries.size() >= 2 && v + 1 < batches.size()) break;
    }
    writer.reset();
    REQUIRE(shard.segments() == std::vector<uint64_t>{0});
    REQUIRE(batches.size() == states.size());
    REQUIRE(v >= 1);
    REQUIRE(v + 1 < batches.size());
    const kds_test::RawBatch victim = batches[v];
    const std::string stale_state = states[v - 1];  // written before the victim was
    corrupt_payload(shard, 0, victim);
    const uint64_t size = kds_test::size_of(shard.segment_path(0));
    const auto expected =
        kds_test::without(shard.model, victim.header.first_offset, victim.header.end_offset());

    RecordingReporter reader_reporter;
    auto reader = shard.reader(&reader_reporter);
    KDS_CHECK_RECORDS(kds_test::read_all(*reader), expected);
    REQUIRE(reader_reporter.damages.size() == 1);
    check_damage(reader_reporter.damages[0], shard, 0, victim);

    if (state == State::kLost) REQUIRE(::unlink(shard.file(kds::kWriterLockName).c_str()) == 0);
    if (state == State::kStale) kds_test::write_bytes(shard.file(kds::kWriterLockName), stale_state);

    RecordingReporter writer_reporter;
    auto next = shard.writer(1 << 20, &writer_reporter);
    const uint64_t n = shard.model.size();
    const auto appended = shard.append(*next, {{"after", "damage"}});
    CHECK(appended.first_offset == n);
    CHECK(writer_reporter.repairs.empty());
    if (state != State::kIntact) {
      // Recovery scanned over the damage: it says so, and keeps what follows.
      REQUIRE(writer_reporter.damages.size() == 1);
      CHECK(writer_reporter.damages[0].path == shard.segment_path(0));
      CHECK(writer_reporter.damages[0].position == victim.position);
      CHECK(writer_reporter.damages[0].length == victim.header.total_size());
    }
    CHECK(kds_test::size_of(shard.segment_path(0)) == size + kds::kBatchHeaderSize + 1 + 5 + 1 + 6);

    RecordingReporter after_reporter;
    auto after = shard.reader(&after_reporter);
    KDS_CHECK_RECORDS(kds_test::read_all(*after),
                      kds_test::without(shard.model, victim.header.first_offset, victim.header.end_offset()));
    CHECK(after_reporter.damages.size() == 1);
  }
}

TEST_CASE(
    "a damaged last batch of the newest segment looks like a torn tail until a valid batch follows it") {
  ShardFixture shard;
  kds_test::ClockGuard clock(kStart);
  auto writer = shard.writer(1 << 20);
  fill(shard, *writer, clock, 6);
  const auto batches = batches_of(shard, 0);
  const kds_test::RawBatch last = batches.back();
  corrupt_payload(shard, 0, last);
  const auto before_last = kds_test::without(shard.model, last.header.first_offset, last.header.end_offset());

  RecordingReporter reporter;
  auto reader = shard.reader(&reporter);
  KDS_CHECK_RECORDS(kds_test::read_all(*reader), before_last);
  CHECK(reporter.damages.empty());

  // The writer's state says the batch is complete, so it appends after it instead of truncating it.
  RecordingReporter writer_reporter;
  auto next = shard.writer(1 << 20, &writer_reporter);
  const auto appended = shard.append(*next, {{"k", "v"}});
  CHECK(appended.first_offset == last.header.end_offset());
  CHECK(writer_reporter.repairs.empty());
  // Now the damage has valid data after it: it is corruption.
  KDS_CHECK_RECORDS(kds_test::read_all(*reader), std::vector<Got>{shard.model.back()});
  REQUIRE(reporter.damages.size() == 1);
  check_damage(reporter.damages[0], shard, 0, last);
}

// Six batches in one segment, and the writer gone; returns the last batch.
kds_test::RawBatch write_six_batches(ShardFixture& shard) {
  kds_test::ClockGuard clock(kStart);
  auto writer = shard.writer(1 << 20);
  fill(shard, *writer, clock, 6);
  writer.reset();
  return batches_of(shard, 0).back();
}

TEST_CASE("a closed shard's end offset turns a damaged tail into reported damage") {
  ShardFixture shard;
  const kds_test::RawBatch last = write_six_batches(shard);
  corrupt_payload(shard, 0, last);
  RecordingReporter reporter;
  auto reader = shard.reader(&reporter, shard.model.size());
  KDS_CHECK_RECORDS(kds_test::read_all(*reader),
                    kds_test::without(shard.model, last.header.first_offset, last.header.end_offset()));
  REQUIRE(reporter.damages.size() == 1);
  CHECK(reporter.damages[0].position == last.position);
  CHECK(reporter.damages[0].path == shard.segment_path(0));
}

TEST_CASE(
    "a closed shard that ends early at a batch boundary, or lost all its files, reports the missing "
    "records") {
  for (const bool remove_all : {false, true}) {
    CAPTURE(remove_all);
    ShardFixture shard;
    const kds_test::RawBatch last = write_six_batches(shard);
    uint64_t lost_from = last.header.first_offset;
    if (remove_all) {
      lost_from = 0;
      REQUIRE(::unlink(shard.segment_path(0).c_str()) == 0);
      (void)::unlink(shard.index_path(0).c_str());
    } else {
      REQUIRE(::truncate(shard.segment_path(0).c_str(), static_cast<off_t>(last.position)) == 0);
    }
    RecordingReporter reporter;
    auto reader = shard.reader(&reporter, shard.model.size());
    KDS_CHECK_RECORDS(kds_test::read_all(*reader),
                      kds_test::without(shard.model, lost_from, shard.model.size()));
    REQUIRE(reporter.damages.size() == 1);
    CHECK(reporter.damages[0].what.find(fmt::format("{}..{}", lost_from, shard.model.size() - 1)) !=
          std::string::npos);
    // Reported once: reading on finds nothing more to report.
    CHECK(kds_test::read_all(*reader).empty());
    CHECK(reporter.damages.size() == 1);
    // An open shard (no end offset) simply ends there.
    RecordingReporter open_reporter;
    auto open_reader = shard.reader(&open_reporter);
    (void)kds_test::read_all(*open_reader);
    CHECK(open_reporter.damages.empty());
  }
}

TEST_CASE("two writers on one shard (as two processes) keep offsets dense and unique") {
  ShardFixture shard;
  kds_test::ClockGuard clock(kStart);
  RecordingReporter reporter;
  auto a = shard.writer(4096, &reporter);
  auto b = shard.writer(4096, &reporter);
  // A pattern of turns, with runs long enough that each writer rolls segments the other must adopt.
  const std::string turns = "abbaaabababbbbbaaaaaabbabaabbbabaaaaaaaabbbbbbbbba";
  for (size_t i = 0; i < turns.size(); ++i) {
    clock.advance(static_cast<int64_t>(i % 3));
    kds::ShardWriter& w = turns[i] == 'a' ? *a : *b;
    const auto result = shard.append(w, kds_test::make_records(static_cast<int>(i)));
    CHECK(w.state().next_offset == shard.model.size());
    (void)result;
  }
  CHECK(shard.segments().size() >= 4);
  auto reader = shard.reader(&reporter);
  const auto all = kds_test::read_all(*reader);
  KDS_CHECK_RECORDS(all, shard.model);
  CHECK(reporter.damages.empty());
  CHECK(reporter.repairs.empty());

  // lock() brings a third writer's state up to date without appending.
  auto c = shard.writer(4096);
  auto locked = c->lock();
  REQUIRE(locked.ok());
  CHECK(locked->next_offset == shard.model.size());
  CHECK(locked->segment_base == shard.segments().back());
  c->unlock();
}

TEST_CASE("the fence runs under the lock and can close the shard or abort the append") {
  ShardFixture shard;
  kds_test::ClockGuard clock(kStart);
  auto writer = shard.writer(4096);
  shard.append(*writer, {{"k", "first"}});
  const kds::BatchBuilder batch = kds_test::build({{"k", "second"}});
  kds::PreparedBatch prepared;
  prepared.payload = batch.payload();
  prepared.record_count = batch.record_count();
  prepared.raw_size = static_cast<uint32_t>(batch.payload().size());
  using Decision = kds::Result<kds::FenceDecision>;

  auto closed = writer->append(prepared, [] { return Decision(kds::FenceDecision{false, nullptr}); });
  REQUIRE(closed.ok());
  CHECK(closed->shard_closed);
  auto aborted =
      writer->append(prepared, [] { return Decision(kds::Error(kds::Errc::kResourceNotFound, "gone")); });
  REQUIRE_FALSE(aborted.ok());
  CHECK(aborted.error().code() == kds::Errc::kResourceNotFound);
  auto open = writer->append(prepared, [] { return Decision(kds::FenceDecision{}); });
  REQUIRE(open.ok());
  CHECK_FALSE(open->shard_closed);
  CHECK(open->first_offset == 1);

  auto reader = shard.reader();
  const auto all = kds_test::read_all(*reader);
  REQUIRE(all.size() == 2);
  CHECK(all[1].data == "second");
}

TEST_CASE("writer state codec") {
  kds::WriterState state;
  state.segment_base = 100;
  state.end_position = 4000;
  state.next_offset = 123;
  state.last_arrival_ms = kStart;
  state.segment_first_arrival_ms = kStart - 10;
  state.index_entries = 2;
  state.last_indexed_position = 3000;
  const std::string bytes = kds::encode_writer_state(state);
  REQUIRE(bytes.size() == kds::kWriterStateSize);
  const auto decoded = kds::decode_writer_state(bytes);
  REQUIRE(decoded.has_value());
  CHECK(*decoded == state);
  for (size_t i = 0; i < bytes.size(); ++i) {
    std::string damaged = bytes;
    damaged[i] = static_cast<char>(damaged[i] ^ 0x10);
    CAPTURE(i);
    CHECK_FALSE(kds::decode_writer_state(damaged).has_value());
  }
  CHECK_FALSE(kds::decode_writer_state(bytes.substr(0, kds::kWriterStateSize - 1)).has_value());
  CHECK_FALSE(kds::decode_writer_state("").has_value());
  kds::WriterState backwards = state;
  backwards.next_offset = 99;  // below the segment base
  CHECK_FALSE(kds::decode_writer_state(kds::encode_writer_state(backwards)).has_value());
}

TEST_CASE("an empty shard reads as empty") {
  ShardFixture shard;
  auto reader = shard.reader();
  CHECK(kds_test::read_all(*reader).empty());
  REQUIRE(reader->seek_offset(5).ok());
  CHECK(kds_test::read_all(*reader).empty());
  REQUIRE(reader->seek_latest().ok());
  CHECK(kds_test::read_all(*reader).empty());
  REQUIRE(reader->seek_timestamp(kStart).ok());
  CHECK(kds_test::read_all(*reader).empty());
  CHECK(reader->first_stored_offset() == 0);
}

TEST_CASE(
    "take_unsynced: nothing before an append, one shared descriptor per segment, another after a roll") {
  ShardFixture shard;
  kds_test::ClockGuard clock(kStart);
  auto writer = shard.writer(4096);
  auto none = writer->take_unsynced();
  REQUIRE(none.ok());
  CHECK_FALSE(none->has_value());

  int next = 0;
  shard.append(*writer, kds_test::make_records(next++));
  auto first = writer->take_unsynced();
  REQUIRE(first.ok());
  REQUIRE(first->has_value());
  CHECK((*first)->path == shard.segment_path(0));
  struct stat st {};
  REQUIRE(::fstat((*first)->fd->get(), &st) == 0);
  CHECK((*first)->ino == st.st_ino);
  CHECK((*first)->dev == st.st_dev);
  auto taken = writer->take_unsynced();  // handed over: counted as synced
  REQUIRE(taken.ok());
  CHECK_FALSE(taken->has_value());

  shard.append(*writer, kds_test::make_records(next++));
  auto second = writer->take_unsynced();
  REQUIRE(second.ok());
  REQUIRE(second->has_value());
  CHECK((*second)->fd == (*first)->fd);  // no new duplicate per commit

  while (shard.segments().size() < 2)
    shard.append(*writer, kds_test::make_records(next++));
  auto third = writer->take_unsynced();
  REQUIRE(third.ok());
  REQUIRE(third->has_value());
  CHECK((*third)->fd != (*first)->fd);
  CHECK((*third)->path == shard.segment_path(shard.segments().back()));
  REQUIRE(::fstat((*third)->fd->get(), &st) == 0);
  CHECK((*third)->ino == st.st_ino);
  CHECK((*third)->ino != (*first)->ino);
}
