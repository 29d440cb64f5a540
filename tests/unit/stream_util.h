// Helpers for tests of whole streams: a store in a temporary directory, puts through the Producer, reads
// of one shard as kds-get reads it (retention, a closed shard's end), and the metadata as stored.
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "kds/hash_key.h"
#include "kds/metadata.h"
#include "kds/producer.h"
#include "kds/store.h"
#include "shard_fixture.h"
#include "temp_dir.h"
#include "test_util.h"

namespace kds_test {

inline kds::Store open_store(const TempDir& tmp) {
  auto store = kds::Store::open(tmp.sub("store"));
  REQUIRE(store.ok());
  return std::move(store).value();
}

inline void create_stream(const kds::Store& store, std::string_view name, int64_t shard_count,
                          uint64_t segment_bytes = kds::kDefaultSegmentBytes) {
  kds::StreamOptions options;
  options.shard_count = shard_count;
  options.segment_bytes = segment_bytes;
  REQUIRE(store.create_stream(name, options).ok());
}

// Puts `records` in order through a fresh Producer (routing by the keys' MD5); returns their acks.
inline std::vector<kds::RecordAck> put(const kds::Store& store, std::string_view stream,
                                       const Records& records) {
  kds::ProducerOptions options;
  options.sync = kds::SyncMode::kNone;
  auto producer = kds::Producer::open(store, stream, options, nullptr);
  REQUIRE(producer.ok());
  for (const auto& [key, data] : records)
    REQUIRE(producer->add(key, data).ok());
  std::vector<kds::RecordAck> acks;
  REQUIRE(producer->flush([&](const kds::RecordAck& ack) { acks.push_back(ack); }).ok());
  REQUIRE(acks.size() == records.size());
  return acks;
}

inline kds::Stream open_stream(const kds::Store& store, std::string_view name) {
  auto stream = store.open_stream(name);
  REQUIRE(stream.ok());
  return std::move(stream).value();
}

// Every record of one shard that a reader returns now.
inline std::vector<Got> read_shard(const kds::Store& store, std::string_view stream, uint32_t index,
                                   kds::Reporter* reporter = nullptr) {
  const kds::Stream opened = open_stream(store, stream);
  auto reader = opened.open_reader(index, reporter);
  REQUIRE(reader.ok());
  return read_all(*reader);
}

// The data of each record, in order.
inline std::vector<std::string> data_of(const std::vector<Got>& records) {
  std::vector<std::string> data;
  for (const auto& record : records)
    data.push_back(record.data);
  return data;
}

// The key "key-N" with the smallest N whose MD5 falls in `range`, after skipping `skip` such keys.
inline std::string key_in(const kds::HashKeyRange& range, int skip = 0) {
  for (int i = 0; i < 100000; ++i) {
    std::string key = "key-" + std::to_string(i);
    if (range.contains(kds::partition_key_hash(key)) && skip-- == 0) return key;
  }
  FAIL("no key found for the range");
  return {};
}

// Names in a directory, sorted.
inline std::vector<std::string> entries(const std::string& path) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(path)) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace kds_test
