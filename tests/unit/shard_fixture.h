// A shard directory in a temporary store, with helpers to append through ShardWriter and read back
// through ShardReader, and a model of what the shard must hold.
#pragma once

#include <doctest/doctest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "kds/crc32c.h"
#include "kds/file.h"
#include "kds/segment.h"
#include "kds/shard_reader.h"
#include "kds/shard_writer.h"
#include "temp_dir.h"
#include "test_util.h"

namespace kds_test {

struct Got {
  uint64_t offset = 0;
  int64_t arrival_ms = 0;
  std::string key;
  std::string data;
};

inline bool operator==(const Got& a, const Got& b) {
  return a.offset == b.offset && a.arrival_ms == b.arrival_ms && a.key == b.key && a.data == b.data;
}

class ShardFixture {
 public:
  ShardFixture() {
    auto opened = kds::Dir::open(tmp_.sub("store"), true);
    REQUIRE(opened.ok());
    root_ = std::move(opened).value();
    REQUIRE(root_.make_dir("shard").ok());
    dir_path_ = root_.path_of("shard");
  }

  kds::Dir dir() const {
    auto opened = root_.open_dir("shard");
    REQUIRE(opened.ok());
    return std::move(opened).value();
  }
  const std::string& dir_path() const { return dir_path_; }
  std::string file(const std::string& name) const { return dir_path_ + "/" + name; }
  std::string segment_path(uint64_t base) const { return file(kds::segment_file_name(base)); }
  std::string index_path(uint64_t base) const { return file(kds::index_file_name(base)); }

  std::vector<uint64_t> segments() const {
    auto bases = kds::list_segments(dir());
    REQUIRE(bases.ok());
    return *bases;
  }

  std::unique_ptr<kds::ShardWriter> writer(uint64_t max_bytes, kds::Reporter* reporter = nullptr,
                                           int64_t max_age_ms = 3600 * 1000) const {
    return std::make_unique<kds::ShardWriter>(dir(), kds::SegmentPolicy{max_bytes, max_age_ms}, reporter, false);
  }
  std::unique_ptr<kds::ShardReader> reader(kds::Reporter* reporter = nullptr,
                                           std::optional<uint64_t> end_offset = std::nullopt) const {
    return std::make_unique<kds::ShardReader>(dir(), reporter, end_offset);
  }

  // Appends `records` as one batch; checks it got the offset the model expects and records it there.
  kds::AppendResult append(kds::ShardWriter& writer, const Records& records) {
    const kds::BatchBuilder batch = build(records);
    auto result = writer.append(batch);
    REQUIRE(result.ok());
    REQUIRE_FALSE(result->shard_closed);
    CHECK(result->first_offset == model.size());
    for (size_t i = 0; i < records.size(); ++i) {
      model.push_back({result->first_offset + i, result->arrival_ms, records[i].first, records[i].second});
    }
    return *result;
  }

  // Every record in the model, in order.
  std::vector<Got> model;

 private:
  TempDir tmp_;
  kds::Dir root_;
  std::string dir_path_;
};

// Reads until next_batch says there is no more; copies the records out.
inline std::vector<Got> read_all(kds::ShardReader& reader, uint32_t max_records = UINT32_MAX) {
  std::vector<Got> out;
  std::vector<kds::ReadRecord> batch;
  for (int guard = 0; guard < 1000000; ++guard) {
    auto more = reader.next_batch(&batch, max_records);
    REQUIRE(more.ok());
    if (!*more) break;
    REQUIRE_FALSE(batch.empty());
    REQUIRE(batch.size() <= max_records);
    for (const auto& record : batch) {
      out.push_back({record.offset, record.arrival_ms, std::string(record.key), std::string(record.data)});
    }
  }
  return out;
}

// The first record next_batch returns, if any.
inline std::optional<Got> read_first(kds::ShardReader& reader) {
  std::vector<kds::ReadRecord> batch;
  auto more = reader.next_batch(&batch, 1);
  REQUIRE(more.ok());
  if (!*more) return std::nullopt;
  REQUIRE(batch.size() == 1);
  return Got{batch[0].offset, batch[0].arrival_ms, std::string(batch[0].key), std::string(batch[0].data)};
}

// Deterministic records for batch `i`: 1..4 records, a few keys, data of varied length with NULs, some
// of it empty.
inline Records make_records(int i, size_t max_data = 600) {
  Records records;
  const int count = 1 + i % 4;
  for (int r = 0; r < count; ++r) {
    std::string key = "key-" + std::to_string((i * 7 + r) % 5);
    const size_t length = static_cast<size_t>(i * 37 + r * 11) % max_data;
    std::string data(length, '\0');
    for (size_t k = 0; k < length; ++k) data[k] = static_cast<char>((i * 31 + r * 17 + static_cast<int>(k)) % 256);
    records.emplace_back(std::move(key), std::move(data));
  }
  return records;
}

// Records of `all` except those with offsets in [from, to).
inline std::vector<Got> without(const std::vector<Got>& all, uint64_t from, uint64_t to) {
  std::vector<Got> kept;
  for (const auto& record : all) {
    if (record.offset < from || record.offset >= to) kept.push_back(record);
  }
  return kept;
}

// Index of the first difference between two record lists (their common length when one is a prefix).
inline size_t first_difference(const std::vector<Got>& a, const std::vector<Got>& b) {
  size_t i = 0;
  while (i < a.size() && i < b.size() && a[i] == b[i]) ++i;
  return i;
}

}  // namespace kds_test

// Compares two record lists, reporting the sizes and where they first differ.
#define KDS_CHECK_RECORDS(actual, expected)                                                \
  do {                                                                                     \
    const auto& kds_actual_ = (actual);                                                    \
    const auto& kds_expected_ = (expected);                                                \
    CHECK(kds_actual_.size() == kds_expected_.size());                                     \
    CHECK(kds_test::first_difference(kds_actual_, kds_expected_) == kds_expected_.size()); \
  } while (0)
