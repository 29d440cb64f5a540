// Retention: the period's bounds, expiry that a raise does not undo, the per-shard size cap, and the
// clean-up of expired closed shards and unlisted shard directories (retention.h; kinesis.md §10).
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "kds/reshard.h"
#include "kds/retention.h"
#include "kds/segment.h"
#include "kds/store.h"
#include "stream_util.h"
#include "temp_dir.h"
#include "test_util.h"

namespace {

constexpr int64_t kT0 = 1600000000000;
constexpr int64_t kHour = 3600 * 1000;
constexpr int64_t kMinute = 60 * 1000;

std::vector<uint64_t> segments_of(const kds::Store& store, const char* stream, uint32_t shard) {
  auto dir = kds_test::open_stream(store, stream).open_shard_dir(shard);
  REQUIRE(dir.ok());
  auto bases = kds::list_segments(*dir);
  REQUIRE(bases.ok());
  return *bases;
}

// The indexes of the shards stream.json lists, e.g. "0 1 2".
std::string listed_shards(const kds::Store& store, const char* stream) {
  const kds::Stream opened = kds_test::open_stream(store, stream);
  std::string indexes;
  for (const auto& shard : opened.meta().shards) {
    indexes += (indexes.empty() ? "" : " ") + std::to_string(shard.index);
  }
  return indexes;
}

}  // namespace

TEST_CASE("retention: the period must be 24..8760 hours, with Kinesis's texts") {
  kds_test::TempDir tmp;
  const kds::Store store = kds_test::open_store(tmp);
  kds_test::create_stream(store, "s", 1);
  for (const int64_t hours : {23, 0, -5}) {
    CAPTURE(hours);
    const kds::Status status = kds::set_retention(store, "s", hours, 1024, nullptr);
    REQUIRE_FALSE(status.ok());
    CHECK(status.error().code() == kds::Errc::kInvalidArgument);
    CHECK(status.error().message() ==
          "Minimum allowed retention period is 24 hours. Requested retention period (" +
              std::to_string(hours) + " hours) is too short.");
  }
  for (const int64_t hours : {8761, 100000}) {
    CAPTURE(hours);
    const kds::Status status = kds::set_retention(store, "s", hours, std::nullopt, nullptr);
    REQUIRE_FALSE(status.ok());
    CHECK(status.error().code() == kds::Errc::kInvalidArgument);
    CHECK(status.error().message() ==
          "Maximum allowed retention period is 8760 hours. Requested retention period (" +
              std::to_string(hours) + " hours) is too long.");
  }
  // A refused change changes nothing, the size cap included.
  CHECK(kds_test::open_stream(store, "s").meta().retention_hours == 24);
  CHECK(kds_test::open_stream(store, "s").meta().max_shard_bytes == 0);

  REQUIRE(kds::set_retention(store, "s", 8760, std::nullopt, nullptr).ok());
  CHECK(kds_test::open_stream(store, "s").meta().retention_hours == 8760);
  REQUIRE(kds::set_retention(store, "s", 24, 1 << 20, nullptr).ok());
  CHECK(kds_test::open_stream(store, "s").meta().retention_hours == 24);
  CHECK(kds_test::open_stream(store, "s").meta().max_shard_bytes == 1 << 20);
  // Without a size the cap stays; 0 removes it.
  REQUIRE(kds::set_retention(store, "s", 25, std::nullopt, nullptr).ok());
  CHECK(kds_test::open_stream(store, "s").meta().retention_hours == 25);
  CHECK(kds_test::open_stream(store, "s").meta().max_shard_bytes == 1 << 20);
  REQUIRE(kds::set_retention(store, "s", 25, 0, nullptr).ok());
  CHECK(kds_test::open_stream(store, "s").meta().max_shard_bytes == 0);

  const kds::Status missing = kds::set_retention(store, "nosuch", 48, std::nullopt, nullptr);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code() == kds::Errc::kResourceNotFound);
  CHECK(missing.error().message() == "Stream nosuch under account 000000000000 not found.");
}

TEST_CASE("retention: raising the period does not bring expired records back, lowering it expires at once") {
  kds_test::TempDir tmp;
  kds_test::ClockGuard clock(kT0);
  const kds::Store store = kds_test::open_store(tmp);
  kds_test::create_stream(store, "s", 1);
  kds_test::put(store, "s", {{"k", "old"}});
  clock.advance(10 * kHour);
  kds_test::put(store, "s", {{"k", "middle"}});
  auto read = [&] { return kds_test::data_of(kds_test::read_shard(store, "s", 0)); };
  CHECK(read() == std::vector<std::string>{"old", "middle"});

  // 24 h and a minute after "old" arrived it has expired.
  clock.set(kT0 + 24 * kHour + kMinute);
  CHECK(read() == std::vector<std::string>{"middle"});

  REQUIRE(kds::set_retention(store, "s", 48, std::nullopt, nullptr).ok());
  const kds::StreamMeta meta = kds_test::open_stream(store, "s").meta();
  CHECK(meta.retention_hours == 48);
  CHECK(meta.trim_before_ms == kT0 + kMinute);
  CHECK(read() == std::vector<std::string>{"middle"});
  kds_test::put(store, "s", {{"k", "new"}});

  // 38 h after "middle" arrived: expired under 24 h, still readable under 48 h.
  clock.set(kT0 + 48 * kHour);
  CHECK(read() == std::vector<std::string>{"middle", "new"});
  // And gone 48 h after it arrived.
  clock.set(kT0 + 58 * kHour + kMinute);
  CHECK(read() == std::vector<std::string>{"new"});

  // Lowering to 24 h expires "new" (34 h old) at once, and the space is reclaimed: the newest segment,
  // all expired, is rolled and the old one deleted.
  REQUIRE(kds::set_retention(store, "s", 24, std::nullopt, nullptr).ok());
  CHECK(read().empty());
  CHECK(segments_of(store, "s", 0) == std::vector<uint64_t>{3});
  // The next record gets the next offset.
  const auto acks = kds_test::put(store, "s", {{"k", "after"}});
  CHECK(acks[0].offset == 3);
  CHECK(read() == std::vector<std::string>{"after"});
}

TEST_CASE("retention: the size cap deletes the oldest segments, never the newest") {
  kds_test::TempDir tmp;
  kds_test::ClockGuard clock(kT0);
  const kds::Store store = kds_test::open_store(tmp);
  kds_test::create_stream(store, "s", 1, kds::kMinSegmentBytes);
  std::vector<std::string> written;
  for (int i = 0; i < 30; ++i) {
    written.push_back("record " + std::to_string(i) + " " +
                      std::string(900, static_cast<char>('a' + i % 26)));
    kds_test::put(store, "s", {{"k", written.back()}});  // one batch each
    clock.advance(1);
  }
  const std::string dir = tmp.sub("store/s.stream/shardId-000000000000");
  const std::vector<uint64_t> bases = segments_of(store, "s", 0);
  REQUIRE(bases.size() >= 6);
  std::vector<uint64_t> sizes;
  uint64_t total = 0;
  for (uint64_t base : bases) {
    sizes.push_back(kds_test::size_of(dir + "/" + kds::segment_file_name(base)) +
                    kds_test::size_of(dir + "/" + kds::index_file_name(base)));
    total += sizes.back();
  }
  // A cap that the newest three segments fit under and the newest four do not.
  const size_t n = bases.size();
  const uint64_t cap = sizes[n - 1] + sizes[n - 2] + sizes[n - 3] + sizes[n - 4] - 1;
  REQUIRE(kds::set_retention(store, "s", 24, cap, nullptr).ok());
  const std::vector<uint64_t> kept(bases.end() - 3, bases.end());
  CHECK(segments_of(store, "s", 0) == kept);
  CHECK_FALSE(kds_test::exists(dir + "/" + kds::index_file_name(bases[n - 4])));
  // Readers start at the oldest segment left; what is left reads back exactly.
  const auto records = kds_test::read_shard(store, "s", 0);
  REQUIRE_FALSE(records.empty());
  CHECK(records.front().offset == kept.front());
  CHECK(records.back().offset == 29);
  CHECK(kds_test::data_of(records) ==
        std::vector<std::string>(written.begin() + static_cast<long>(kept.front()), written.end()));

  // A cap below the newest segment's size leaves the newest segment alone.
  REQUIRE(kds::set_retention(store, "s", 24, 1, nullptr).ok());
  CHECK(segments_of(store, "s", 0) == std::vector<uint64_t>{bases.back()});
  CHECK(kds_test::read_shard(store, "s", 0).back().data == written.back());
}

TEST_CASE("retention: collect_garbage removes closed shards whose records have all expired") {
  kds_test::TempDir tmp;
  kds_test::ClockGuard clock(kT0);
  const kds::Store store = kds_test::open_store(tmp);
  kds_test::create_stream(store, "s", 1);
  kds_test::put(store, "s", {{"k", "in the parent"}});
  clock.advance(kHour);
  REQUIRE(kds::split_shard(store, "s", "0", std::nullopt, nullptr).ok());  // children 1 and 2
  const kds::Stream split = kds_test::open_stream(store, "s");
  const kds::ShardMeta* lower = split.meta().find_shard(1);
  REQUIRE(lower != nullptr);
  const auto acks = kds_test::put(store, "s", {{kds_test::key_in(lower->range), "in shard 1"}});
  REQUIRE(acks[0].shard_index == 1);
  clock.advance(kHour);
  REQUIRE(kds::split_shard(store, "s", "1", std::nullopt, nullptr).ok());  // children 3 and 4
  const kds::Stream split_again = kds_test::open_stream(store, "s");
  const kds::ShardMeta* one = split_again.meta().find_shard(1);
  REQUIRE(one != nullptr);
  // A closed shard expires with its last record, not with its close.
  CHECK(one->last_arrival_ms == std::optional<int64_t>(kT0 + kHour));
  CHECK(one->closed_ms == std::optional<int64_t>(kT0 + 2 * kHour));
  const int64_t one_last = kT0 + kHour;
  const std::string stream_dir = tmp.sub("store/s.stream");

  // Nothing has expired yet.
  clock.set(kT0 + 24 * kHour - 1);
  REQUIRE(kds::collect_garbage(store, "s", nullptr).ok());
  CHECK(listed_shards(store, "s") == "0 1 2 3 4");

  // The parent's only record has expired: it goes from stream.json and from disk. A pass that must not
  // wait does nothing while another control operation holds the stream.
  clock.set(kT0 + 24 * kHour + 1);
  {
    kds::Stream stream = kds_test::open_stream(store, "s");
    auto control = stream.lock_control();
    REQUIRE(control.ok());
    REQUIRE(kds::collect_garbage(store, "s", nullptr, /*wait=*/false).ok());
    CHECK(listed_shards(store, "s") == "0 1 2 3 4");
  }
  REQUIRE(kds::collect_garbage(store, "s", nullptr, /*wait=*/false).ok());
  CHECK(listed_shards(store, "s") == "1 2 3 4");
  CHECK_FALSE(kds_test::exists(stream_dir + "/shardId-000000000000"));
  CHECK(kds_test::exists(stream_dir + "/shardId-000000000001"));

  // Shard 1 once its last record is past the period; open shards stay whatever their age.
  clock.set(one_last + 24 * kHour + 1);
  REQUIRE(kds::collect_garbage(store, "s", nullptr).ok());
  CHECK(listed_shards(store, "s") == "2 3 4");
  CHECK_FALSE(kds_test::exists(stream_dir + "/shardId-000000000001"));
  clock.set(kT0 + 1000 * kHour);
  REQUIRE(kds::collect_garbage(store, "s", nullptr).ok());
  CHECK(listed_shards(store, "s") == "2 3 4");
  CHECK(kds_test::entries(stream_dir) == std::vector<std::string>{"control.lock", "shardId-000000000002",
                                                                  "shardId-000000000003",
                                                                  "shardId-000000000004", "stream.json"});
}

TEST_CASE("retention: unlisted_shard_dirs names canonical shard directories stream.json does not list") {
  kds_test::TempDir tmp;
  const kds::Store store = kds_test::open_store(tmp);
  kds_test::create_stream(store, "s", 2);
  const std::string stream_dir = tmp.sub("store/s.stream");
  for (const char* name :
       {"shardId-000000000007", "shardId-000000000005", "shardId-7", "shardId-00000000000x", "notes"}) {
    REQUIRE(::mkdir((stream_dir + "/" + name).c_str(), 0700) == 0);
  }
  kds_test::write_bytes(stream_dir + "/shardId-000000000005/00000000000000000000.log", "leftover");

  const kds::Stream stream = kds_test::open_stream(store, "s");
  auto unlisted = kds::unlisted_shard_dirs(stream);
  REQUIRE(unlisted.ok());
  std::sort(unlisted->begin(), unlisted->end());
  CHECK(*unlisted == std::vector<std::string>{"shardId-000000000005", "shardId-000000000007"});

  // The clean-up removes them, with what is in them, and nothing else.
  REQUIRE(kds::collect_garbage(store, "s", nullptr).ok());
  CHECK(kds_test::entries(stream_dir) ==
        std::vector<std::string>{"control.lock", "notes", "shardId-000000000000", "shardId-000000000001",
                                 "shardId-00000000000x", "shardId-7", "stream.json"});
  unlisted = kds::unlisted_shard_dirs(kds_test::open_stream(store, "s"));
  REQUIRE(unlisted.ok());
  CHECK(unlisted->empty());
}
