// A stream's metadata: its shards, their hash-key ranges and lineage, retention and segment settings.
// Stored as `stream.json` in the stream directory, human-readable, and only ever replaced atomically.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kds/hash_key.h"
#include "kds/shard_id.h"
#include "kds/status.h"

namespace kds {

inline constexpr int kStreamFormatVersion = 1;
inline constexpr const char* kStreamMetaName = "stream.json";
inline constexpr uint64_t kDefaultSegmentBytes = 64ull << 20;
inline constexpr uint64_t kMinSegmentBytes = 4096;
inline constexpr uint64_t kMaxSegmentBytes = 1ull << 30;
inline constexpr int64_t kDefaultSegmentMaxAgeMs = 3600 * 1000;

struct ShardMeta {
  uint32_t index = 0;
  HashKeyRange range;
  std::optional<uint32_t> parent;
  std::optional<uint32_t> adjacent_parent;
  int64_t created_ms = 0;
  std::optional<int64_t> closed_ms;
  std::optional<uint64_t> end_offset;  // closed shards: the offset after their last record
  // Closed shards: when their last record arrived (their close time when they hold none).
  std::optional<int64_t> last_arrival_ms;

  bool is_open() const { return !end_offset.has_value(); }
  std::string id() const { return shard_id_string(index); }
  u128 starting_sequence_number() const { return make_sequence_number(index, 0); }
  // For a closed shard: its last record's number (its starting number when it holds none).
  std::optional<u128> ending_sequence_number() const;
};

struct StreamMeta {
  int format_version = kStreamFormatVersion;
  std::string name;
  std::string status = "ACTIVE";
  int64_t created_ms = 0;
  int64_t retention_hours = 24;
  // Records that arrived before this are gone for good, whatever the retention period says later: when
  // the period changes, the old boundary is kept here so raising it never brings expired data back.
  int64_t trim_before_ms = 0;
  uint64_t max_shard_bytes = 0;  // per-shard size cap (Kafka's retention.bytes); 0 = none
  uint64_t segment_bytes = kDefaultSegmentBytes;
  int64_t segment_max_age_ms = kDefaultSegmentMaxAgeMs;
  int compression_level = 0;                  // zstd level for new batches; 0 = none
  std::string encryption_type = "NONE";       // "KMS" while new batches are encrypted (Kinesis's name)
  std::string key_fingerprint;                // the key new batches are encrypted with, when KMS
  std::vector<std::string> key_fingerprints;  // every key any batch of the stream was encrypted with
  int64_t max_record_kib = 1024;  // MaxRecordSizeInKiB: key bytes + data bytes of one record, 1024..10240
  uint32_t next_shard_index = 0;
  std::vector<ShardMeta> shards;  // ascending index

  const ShardMeta* find_shard(uint32_t index) const;
  size_t max_record_bytes() const { return static_cast<size_t>(max_record_kib) * 1024; }
  // Open shards in ascending order of starting hash key.
  std::vector<const ShardMeta*> open_shards() const;

  // Records that arrived before the returned time have expired at `now_ms`.
  int64_t expiry_boundary_ms(int64_t now_ms) const;
  // A closed shard all of whose records have expired (Kinesis stops listing it).
  bool shard_expired(const ShardMeta& shard, int64_t now_ms) const;

  std::string to_json() const;
  // Parses and checks metadata (version, ranges, lineage); `path` names the file in messages.
  static Result<StreamMeta> from_json(std::string_view text, std::string_view path);
};

}  // namespace kds
