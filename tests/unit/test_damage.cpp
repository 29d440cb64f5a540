// The damage policy (damage.h): classify_damage as a table of every situation docs/format.md §11 names,
// describe_damage's texts, and examine_run_end on segments cut and damaged byte by byte.
#include <doctest/doctest.h>
#include <fcntl.h>

#include <optional>
#include <string>
#include <vector>

#include "kds/damage.h"
#include "kds/file.h"
#include "kds/segment.h"
#include "temp_dir.h"
#include "test_util.h"

using kds::BatchStart;
using kds::Damage;
using kds::DamageKind;
using kds::RunEnd;

namespace {

constexpr auto kNo = std::nullopt;

struct Row {
  const char* situation;
  RunEnd end;
  DamageKind kind;
  uint64_t bytes_start, bytes_end;
  uint64_t lost_from, lost_end;
  uint64_t resume_position, resume_offset;
  const char* text;
};

}  // namespace

TEST_CASE("classify_damage: the table of docs/format.md section 11") {
  // A segment of 1000 bytes whose run stops at byte 400 expecting offset 50 (or ends cleanly at 1000).
  const std::vector<Row> rows = {
      {"whole newest segment of an open shard",
       {1000, 1000, 50, kNo, kNo, kNo},
       DamageKind::kNone,
       1000,
       1000,
       50,
       50,
       1000,
       50,
       ""},
      {"whole older segment, next starts where it ends",
       {1000, 1000, 50, kNo, 50, kNo},
       DamageKind::kNone,
       1000,
       1000,
       50,
       50,
       1000,
       50,
       ""},
      {"whole closed shard at its end offset",
       {1000, 1000, 50, kNo, kNo, 50},
       DamageKind::kNone,
       1000,
       1000,
       50,
       50,
       1000,
       50,
       ""},
      {"torn tail of an open shard",
       {400, 1000, 50, kNo, kNo, kNo},
       DamageKind::kTornTail,
       400,
       1000,
       50,
       50,
       1000,
       50,
       "torn tail of 600 bytes (an append cut short)"},
      {"torn tail of a closed shard that reached its end",
       {400, 1000, 50, kNo, kNo, 50},
       DamageKind::kTornTail,
       400,
       1000,
       50,
       50,
       1000,
       50,
       "torn tail of 600 bytes (an append cut short)"},
      {"damage then a valid batch",
       {400, 1000, 50, BatchStart{700, 60}, kNo, kNo},
       DamageKind::kDamageThenValid,
       400,
       700,
       50,
       60,
       700,
       60,
       "300 damaged bytes; records at offsets 50..59 lost"},
      {"damage then a valid batch, nothing missing",
       {400, 1000, 50, BatchStart{700, 50}, 90, kNo},
       DamageKind::kDamageThenValid,
       400,
       700,
       50,
       50,
       700,
       50,
       "300 damaged bytes"},
      {"a valid batch above the expected offset",
       {400, 1000, 50, BatchStart{400, 55}, kNo, kNo},
       DamageKind::kMissingBeforeBatch,
       400,
       400,
       50,
       55,
       400,
       55,
       "records at offsets 50..54 are missing before this batch"},
      {"damage at the end of an older segment",
       {400, 1000, 50, kNo, 80, kNo},
       DamageKind::kDamageAtEnd,
       400,
       1000,
       50,
       80,
       1000,
       80,
       "600 damaged bytes at the end; records at offsets 50..79 lost"},
      {"damage at the end of an older segment that overlaps the next",
       {400, 1000, 50, kNo, 40, kNo},
       DamageKind::kDamageAtEnd,
       400,
       1000,
       50,
       50,
       1000,
       50,
       "600 damaged bytes at the end"},
      {"damage at the end of a closed shard that ends early",
       {400, 1000, 50, kNo, kNo, 70},
       DamageKind::kDamageAtEnd,
       400,
       1000,
       50,
       70,
       1000,
       70,
       "600 damaged bytes at the end; records at offsets 50..69 lost"},
      {"a gap before the next segment",
       {1000, 1000, 50, kNo, 80, kNo},
       DamageKind::kGap,
       1000,
       1000,
       50,
       80,
       1000,
       80,
       "records at offsets 50..79 are missing before this segment"},
      {"the next segment starts inside this one",
       {1000, 1000, 50, kNo, 45, kNo},
       DamageKind::kOverlap,
       1000,
       1000,
       50,
       50,
       1000,
       45,
       "segment starts at offset 45, inside the previous segment (which ends at 50)"},
      {"a closed shard that ends early",
       {1000, 1000, 50, kNo, kNo, 70},
       DamageKind::kClosedShardShort,
       1000,
       1000,
       50,
       70,
       1000,
       70,
       "closed shard ends early; records at offsets 50..69 are missing"},
      {"a closed shard whose log goes past its end",
       {1000, 1000, 50, kNo, kNo, 40},
       DamageKind::kPastEnd,
       1000,
       1000,
       50,
       50,
       1000,
       40,
       "the log holds records up to offset 49, beyond the shard's recorded end 40"},
      {"a gap decides before a closed shard's end offset",
       {1000, 1000, 50, kNo, 60, 90},
       DamageKind::kGap,
       1000,
       1000,
       50,
       60,
       1000,
       60,
       "records at offsets 50..59 are missing before this segment"},
  };
  for (const Row& row : rows) {
    CAPTURE(row.situation);
    const Damage damage = kds::classify_damage(row.end);
    CHECK(damage.kind == row.kind);
    CHECK(damage.bytes_start == row.bytes_start);
    CHECK(damage.bytes_end == row.bytes_end);
    CHECK(damage.lost_from == row.lost_from);
    CHECK(damage.lost_end == row.lost_end);
    CHECK(damage.resume_position == row.resume_position);
    CHECK(damage.resume_offset == row.resume_offset);
    CHECK(kds::describe_damage(damage) == row.text);
  }
}

namespace {

// A segment with base 100 of four batches (offsets 100, 101..102, 103, 104..105) in a temporary directory.
struct Segment {
  kds_test::TempDir tmp;
  std::string path = tmp.sub(kds::segment_file_name(100));
  std::string bytes;
  std::vector<kds_test::RawBatch> batches;

  Segment() {
    uint64_t offset = 100;
    for (int i = 0; i < 4; ++i) {
      kds_test::Records records(1 + i % 2, {"key", "value " + std::to_string(i)});
      bytes += kds_test::encode_batch(records, offset, 1000 + i);
      offset += records.size();
    }
    batches = kds_test::walk_batches(bytes);
    REQUIRE(batches.size() == 4);
  }

  // Writes `content` as the segment and examines it at `position`, expecting `expected`.
  Damage examine(const std::string& content, uint64_t position, uint64_t expected,
                 std::optional<uint64_t> next_base, std::optional<uint64_t> end_offset = kNo) {
    kds_test::write_bytes(path, content);
    auto dir = kds::Dir::open(tmp.path(), false);
    REQUIRE(dir.ok());
    auto fd = dir->open_file(kds::segment_file_name(100), O_RDONLY);
    REQUIRE(fd.ok());
    kds::SegmentReader reader(std::move(fd).value(), path, 100);
    auto damage = kds::examine_run_end(reader, position, content.size(), expected, next_base, end_offset);
    REQUIRE(damage.ok());
    return *damage;
  }
  uint64_t at(size_t batch) const { return batches[batch].position; }
};

}  // namespace

TEST_CASE("examine_run_end: byte surgery on a segment") {
  Segment s;
  const uint64_t size = s.bytes.size();

  SUBCASE("a clean end") {
    CHECK(s.examine(s.bytes, size, 106, kNo).kind == DamageKind::kNone);
    CHECK(s.examine(s.bytes, size, 106, 106).kind == DamageKind::kNone);
    const Damage gap = s.examine(s.bytes, size, 106, 110);
    CHECK(gap.kind == DamageKind::kGap);
    CHECK(gap.lost_from == 106);
    CHECK(gap.lost_end == 110);
  }
  SUBCASE("half a batch at the end") {
    const std::string torn = s.bytes + s.bytes.substr(s.at(1), 20);
    const Damage damage = s.examine(torn, size, 106, kNo);
    CHECK(damage.kind == DamageKind::kTornTail);
    CHECK(damage.bytes_start == size);
    CHECK(damage.bytes_end == torn.size());
    CHECK_FALSE(damage.loses_offsets());
    // The same bytes in a segment that a newer one follows held records.
    const Damage older = s.examine(torn, size, 106, 107);
    CHECK(older.kind == DamageKind::kDamageAtEnd);
    CHECK(older.lost_from == 106);
    CHECK(older.lost_end == 107);
  }
  SUBCASE("a flipped bit in a middle batch") {
    std::string damaged = s.bytes;
    damaged[s.at(1) + kds::kBatchHeaderSize + 2] ^= 0x10;
    const Damage damage = s.examine(damaged, s.at(1), 101, kNo);
    CHECK(damage.kind == DamageKind::kDamageThenValid);
    CHECK(damage.bytes_start == s.at(1));
    CHECK(damage.bytes_end == s.at(2));
    CHECK(damage.lost_from == 101);
    CHECK(damage.lost_end == 103);
    CHECK(damage.resume_position == s.at(2));
    CHECK(damage.resume_offset == 103);
  }
  SUBCASE("a flipped bit in the last batch: a torn tail in the newest segment, damage in a closed one") {
    std::string damaged = s.bytes;
    damaged[s.at(3) + kds::kBatchHeaderSize + 2] ^= 0x10;
    CHECK(s.examine(damaged, s.at(3), 104, kNo).kind == DamageKind::kTornTail);
    const Damage closed = s.examine(damaged, s.at(3), 104, kNo, 106);
    CHECK(closed.kind == DamageKind::kDamageAtEnd);
    CHECK(closed.lost_from == 104);
    CHECK(closed.lost_end == 106);
  }
  SUBCASE("a batch cut out of the middle") {
    const std::string cut = s.bytes.substr(0, s.at(1)) + s.bytes.substr(s.at(2));
    const Damage damage = s.examine(cut, s.at(1), 101, kNo);
    CHECK(damage.kind == DamageKind::kMissingBeforeBatch);
    CHECK(damage.byte_count() == 0);
    CHECK(damage.lost_from == 101);
    CHECK(damage.lost_end == 103);
    CHECK(damage.resume_position == s.at(1));
  }
  SUBCASE("a batch repeated: the copy is passed over, not taken for the next") {
    const std::string repeated =
        s.bytes.substr(0, s.at(2)) + s.bytes.substr(s.at(1), s.at(2) - s.at(1)) + s.bytes.substr(s.at(2));
    const Damage damage = s.examine(repeated, s.at(2), 103, kNo);
    CHECK(damage.kind == DamageKind::kDamageThenValid);
    CHECK(damage.byte_count() == s.at(2) - s.at(1));
    CHECK_FALSE(damage.loses_offsets());
    CHECK(kds::describe_damage(damage) == std::to_string(s.at(2) - s.at(1)) + " damaged bytes");
  }
}
