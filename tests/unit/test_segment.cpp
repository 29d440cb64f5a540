// Segment file names, the index codec and SegmentReader (segment.h).
#include <doctest/doctest.h>
#include <fcntl.h>

#include <cstring>
#include <string>
#include <vector>

#include "kds/file.h"
#include "kds/segment.h"
#include "temp_dir.h"
#include "test_util.h"

using kds::IndexEntry;

TEST_CASE("segment and index file names") {
  CHECK(kds::segment_file_name(0) == "00000000000000000000.log");
  CHECK(kds::segment_file_name(17) == "00000000000000000017.log");
  CHECK(kds::segment_file_name(UINT64_MAX) == "18446744073709551615.log");
  CHECK(kds::index_file_name(0) == "00000000000000000000.idx");
  CHECK(kds::index_file_name(123456789) == "00000000000123456789.idx");

  for (uint64_t base : {uint64_t{0}, uint64_t{1}, uint64_t{4096}, uint64_t{9999999999}, UINT64_MAX - 1, UINT64_MAX}) {
    CAPTURE(base);
    const auto parsed = kds::parse_segment_file_name(kds::segment_file_name(base));
    REQUIRE(parsed.has_value());
    CHECK(*parsed == base);
  }
}

TEST_CASE("parse_segment_file_name rejects other names") {
  for (const char* name : {"", "0.log", "00000000000000000000.idx", "00000000000000000000.lo",
                           "0000000000000000000a.log", "000000000000000000000.log", "0000000000000000000.log",
                           "00000000000000000000.log.tmp", "00000000000000000000log", "00000000000000000000.LOG",
                           "-0000000000000000001.log", "+0000000000000000001.log", " 0000000000000000001.log",
                           "99999999999999999999.log",  // above 2^64-1
                           "18446744073709551616.log", "writer.lock"}) {
    const std::string shown = name;
    CAPTURE(shown);
    CHECK_FALSE(kds::parse_segment_file_name(name).has_value());
  }
}

TEST_CASE("list_segments lists .log bases in ascending order and ignores everything else") {
  kds_test::TempDir tmp;
  for (const char* name : {"00000000000000000100.log", "00000000000000000000.log", "00000000000000000020.log",
                           "00000000000000000000.idx", "00000000000000000100.idx", "writer.lock", "junk.log",
                           "00000000000000000007.log.tmp"}) {
    kds_test::write_bytes(tmp.sub(name), "");
  }
  auto dir = kds::Dir::open(tmp.path(), false);
  REQUIRE(dir.ok());
  auto bases = kds::list_segments(*dir);
  REQUIRE(bases.ok());
  CHECK(*bases == std::vector<uint64_t>{0, 20, 100});
}

namespace {

std::string index_bytes(uint64_t base, const std::vector<IndexEntry>& entries) {
  std::string bytes = kds::encode_index_header(base);
  for (const auto& entry : entries) {
    char raw[kds::kIndexEntrySize];
    kds::encode_index_entry(base, entry, raw);
    bytes.append(raw, sizeof raw);
  }
  return bytes;
}

bool same(const std::vector<IndexEntry>& a, const std::vector<IndexEntry>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].offset != b[i].offset || a[i].position != b[i].position || a[i].arrival_ms != b[i].arrival_ms) {
      return false;
    }
  }
  return true;
}

}  // namespace

TEST_CASE("index codec") {
  const uint64_t base = 1000;
  const std::vector<IndexEntry> good = {{1000, 0, 50}, {1010, 4200, 60}, {1030, 9000, 60}, {1100, 20000, 75}};
  const uint64_t segment_size = 30000;

  const std::string header = kds::encode_index_header(base);
  REQUIRE(header.size() == kds::kIndexHeaderSize);
  CHECK(header.substr(0, 4) == "kdsI");

  SUBCASE("a good index decodes to its entries") {
    const std::string bytes = index_bytes(base, good);
    CHECK(bytes.size() == kds::kIndexHeaderSize + good.size() * kds::kIndexEntrySize);
    CHECK(same(kds::decode_index(bytes, base, segment_size), good));
    CHECK(kds::decode_index(header, base, segment_size).empty());
  }
  SUBCASE("a truncated trailing entry is ignored") {
    const std::string bytes = index_bytes(base, good);
    for (size_t cut = 1; cut < kds::kIndexEntrySize; ++cut) {
      CAPTURE(cut);
      CHECK(same(kds::decode_index(bytes.substr(0, bytes.size() - cut), base, segment_size),
                 std::vector<IndexEntry>(good.begin(), good.end() - 1)));
    }
  }
  SUBCASE("decoding stops at the first entry out of order") {
    auto entries = good;
    entries.insert(entries.begin() + 2, IndexEntry{1005, 5000, 60});  // offset goes back
    CHECK(same(kds::decode_index(index_bytes(base, entries), base, segment_size),
               std::vector<IndexEntry>(good.begin(), good.begin() + 2)));
    entries = good;
    entries[2].position = 4200;  // position does not increase
    CHECK(same(kds::decode_index(index_bytes(base, entries), base, segment_size),
               std::vector<IndexEntry>(good.begin(), good.begin() + 2)));
    entries = good;
    entries[3].arrival_ms = 59;  // arrival goes back
    CHECK(same(kds::decode_index(index_bytes(base, entries), base, segment_size),
               std::vector<IndexEntry>(good.begin(), good.begin() + 3)));
    entries = good;
    entries[1].offset = 1000;  // offset repeats
    CHECK(same(kds::decode_index(index_bytes(base, entries), base, segment_size),
               std::vector<IndexEntry>(good.begin(), good.begin() + 1)));
  }
  SUBCASE("entries at or past the end of the segment are dropped") {
    CHECK(same(kds::decode_index(index_bytes(base, good), base, 20000),
               std::vector<IndexEntry>(good.begin(), good.begin() + 3)));
    CHECK(kds::decode_index(index_bytes(base, good), base, 0).empty());
  }
  SUBCASE("the first entry must be the segment start") {
    CHECK(kds::decode_index(index_bytes(base, {{1000, 48, 50}, {1010, 4200, 60}}), base, segment_size).empty());
    CHECK(kds::decode_index(index_bytes(base, {{1001, 0, 50}, {1010, 4200, 60}}), base, segment_size).empty());
  }
  SUBCASE("a wrong header gives no entries") {
    // Wrong base.
    CHECK(kds::decode_index(index_bytes(999, {{999, 0, 50}, {1009, 4200, 60}}), base, segment_size).empty());
    CHECK(kds::decode_index(index_bytes(base, good), base + 1, segment_size).empty());
    // Wrong magic.
    std::string bytes = index_bytes(base, good);
    bytes[0] = 'X';
    CHECK(kds::decode_index(bytes, base, segment_size).empty());
    // Wrong version.
    bytes = index_bytes(base, good);
    bytes[4] = 2;
    CHECK(kds::decode_index(bytes, base, segment_size).empty());
    // Short header.
    CHECK(kds::decode_index(header.substr(0, 15), base, segment_size).empty());
    CHECK(kds::decode_index("", base, segment_size).empty());
  }
}

TEST_CASE("load_index reads <base>.idx and treats a missing file as empty") {
  kds_test::TempDir tmp;
  auto dir = kds::Dir::open(tmp.path(), false);
  REQUIRE(dir.ok());
  CHECK(kds::load_index(*dir, 0, 100000).empty());
  const std::vector<IndexEntry> entries = {{50, 0, 1}, {60, 5000, 2}};
  kds_test::write_bytes(tmp.sub(kds::index_file_name(50)), index_bytes(50, entries));
  CHECK(same(kds::load_index(*dir, 50, 100000), entries));
  CHECK(kds::load_index(*dir, 0, 100000).empty());
}

namespace {

struct SegmentFixture {
  kds_test::TempDir tmp;
  std::string path;
  std::vector<kds_test::RawBatch> batches;
  std::string bytes;

  // Writes a segment with base 100: batches of 1..3 records.
  SegmentFixture() {
    path = tmp.sub(kds::segment_file_name(100));
    uint64_t offset = 100;
    for (int i = 0; i < 6; ++i) {
      kds_test::Records records;
      for (int r = 0; r <= i % 3; ++r) records.push_back({"k" + std::to_string(i), std::string(40 + i, 'a')});
      bytes += kds_test::encode_batch(records, offset, 1000 + i);
      offset += records.size();
    }
    kds_test::write_bytes(path, bytes);
    batches = kds_test::walk_batches(bytes);
    REQUIRE(batches.size() == 6);
  }

  kds::SegmentReader open() const {
    auto dir = kds::Dir::open(tmp.path(), false);
    REQUIRE(dir.ok());
    auto fd = dir->open_file(kds::segment_file_name(100), O_RDONLY);
    REQUIRE(fd.ok());
    return kds::SegmentReader(std::move(fd).value(), path, 100);
  }
};

}  // namespace

TEST_CASE("SegmentReader reads, verifies and scans batches") {
  SegmentFixture f;
  kds::SegmentReader reader = f.open();
  auto size = reader.size();
  REQUIRE(size.ok());
  REQUIRE(*size == f.bytes.size());

  for (const auto& batch : f.batches) {
    kds::BatchHeader header;
    const char* data = nullptr;
    auto check = reader.read_batch(batch.position, *size, &header, &data);
    REQUIRE(check.ok());
    CHECK(*check == kds::BatchCheck::kOk);
    CHECK(header.first_offset == batch.header.first_offset);
    REQUIRE(data != nullptr);
    CHECK(std::memcmp(data, f.bytes.data() + batch.position, header.total_size()) == 0);
  }
  // Reading at the end, or with the file "shorter" than the batch, is incomplete.
  kds::BatchHeader header;
  const char* data = nullptr;
  auto at_end = reader.read_batch(*size, *size, &header, &data);
  REQUIRE(at_end.ok());
  CHECK(*at_end == kds::BatchCheck::kIncomplete);
  auto cut = reader.read_batch(f.batches[1].position, f.batches[2].position - 1, &header, &data);
  REQUIRE(cut.ok());
  CHECK(*cut == kds::BatchCheck::kIncomplete);

  auto run = kds::scan_run(reader, 0, *size, 100);
  REQUIRE(run.ok());
  CHECK(run->complete);
  CHECK(run->end_position == *size);
  CHECK(run->next_offset == f.batches.back().header.end_offset());
  CHECK(run->last_arrival_ms == 1005);

  // A run that expects a different offset stops at once.
  auto wrong = kds::scan_run(reader, 0, *size, 101);
  REQUIRE(wrong.ok());
  CHECK_FALSE(wrong->complete);
  CHECK(wrong->end_position == 0);
  CHECK(wrong->last_arrival_ms == -1);

  // From the middle.
  auto middle = kds::scan_run(reader, f.batches[3].position, *size, f.batches[3].header.first_offset);
  REQUIRE(middle.ok());
  CHECK(middle->complete);
  CHECK(middle->next_offset == f.batches.back().header.end_offset());
}

TEST_CASE("SegmentReader reports a bad checksum and finds the next valid batch") {
  SegmentFixture f;
  // Damage the payload of batch 2.
  kds_test::flip_bit_in_file(f.path, f.batches[2].position + kds::kBatchHeaderSize + 3, 5);
  kds::SegmentReader reader = f.open();
  const uint64_t size = f.bytes.size();

  kds::BatchHeader header;
  const char* data = nullptr;
  auto check = reader.read_batch(f.batches[2].position, size, &header, &data);
  REQUIRE(check.ok());
  CHECK(*check == kds::BatchCheck::kBadChecksum);

  auto run = kds::scan_run(reader, 0, size, 100);
  REQUIRE(run.ok());
  CHECK_FALSE(run->complete);
  CHECK(run->end_position == f.batches[2].position);
  CHECK(run->next_offset == f.batches[2].header.first_offset);

  auto next = reader.find_next_valid(f.batches[2].position, size, run->next_offset);
  REQUIRE(next.ok());
  REQUIRE(next->has_value());
  CHECK(**next == f.batches[3].position);

  // With a minimum offset past batch 4, the search skips to batch 5.
  next = reader.find_next_valid(0, size, f.batches[5].header.first_offset);
  REQUIRE(next.ok());
  REQUIRE(next->has_value());
  CHECK(**next == f.batches[5].position);

  // Nothing valid after the last batch.
  next = reader.find_next_valid(f.batches[5].position, size, 0);
  REQUIRE(next.ok());
  CHECK_FALSE(next->has_value());
}

TEST_CASE("scan_segment_tail finds the end of the valid run, using the index") {
  SegmentFixture f;
  auto dir = kds::Dir::open(f.tmp.path(), false);
  REQUIRE(dir.ok());
  // Without an index.
  auto tail = kds::scan_segment_tail(*dir, 100);
  REQUIRE(tail.ok());
  CHECK(tail->complete);
  CHECK(tail->end_position == f.bytes.size());
  CHECK(tail->next_offset == f.batches.back().header.end_offset());
  CHECK(tail->last_arrival_ms == 1005);

  // With an index pointing at batch 4 and a torn tail after the last batch.
  kds_test::write_bytes(f.tmp.sub(kds::index_file_name(100)),
                        index_bytes(100, {{100, 0, 1000}, {f.batches[4].header.first_offset, f.batches[4].position, 1004}}));
  kds_test::append_bytes(f.path, "kdsB\x01\x02");
  tail = kds::scan_segment_tail(*dir, 100);
  REQUIRE(tail.ok());
  CHECK_FALSE(tail->complete);
  CHECK(tail->end_position == f.bytes.size());
  CHECK(tail->next_offset == f.batches.back().header.end_offset());
}
