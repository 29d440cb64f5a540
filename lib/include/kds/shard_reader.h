// Reading one shard's records in offset order, across its segments. Readers take no lock: they return
// only complete batches whose checksum verifies, and treat the rest as the damage policy (damage.h) says:
//   - An incomplete or failing batch at the end of the newest segment, with nothing valid after it, is a
//     write in flight or a torn tail: it ends the data for now, silently.
//   - Anything else that fails (damage followed by valid batches, damage at the end of an older segment,
//     damage before the recorded end of a closed shard) is corruption: reported to the Reporter with file,
//     position and the offsets lost, skipped, and reading continues with the next valid batch.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "kds/batch_payload.h"
#include "kds/cipher.h"
#include "kds/damage.h"
#include "kds/file.h"
#include "kds/report.h"
#include "kds/segment.h"
#include "kds/status.h"

namespace kds {

struct ReadRecord {
  uint64_t offset = 0;
  int64_t arrival_ms = 0;
  bool encrypted = false;  // stored encrypted (GetRecords' EncryptionType KMS)
  std::string_view key;    // valid until the next call on the reader
  std::string_view data;   // valid until the next call on the reader
};

// Where a reader starts: at an offset (the oldest record when it is older), after the newest record, or
// at the first record that arrived at or after a time.
struct ReadStart {
  enum class Kind { kOffset, kLatest, kTimestamp };
  Kind kind = Kind::kOffset;
  uint64_t offset = 0;
  int64_t timestamp_ms = 0;
};

class ShardReader {
 public:
  // `reporter` (may be null) must outlive the reader. `end_offset` is the offset after the last record of
  // a closed shard, when known, so damage before it is never mistaken for a torn tail.
  ShardReader(Dir shard, Reporter* reporter, std::optional<uint64_t> end_offset = std::nullopt);

  // Records that arrived before `boundary_ms` have expired: they are skipped wherever the reader is
  // positioned (retention is exact at read time, whatever the segment layout).
  void set_expiry(int64_t boundary_ms) { expire_before_ms_ = boundary_ms; }
  // Keys to decrypt encrypted batches with; `shard_index` is part of their associated data.
  void set_decryption(std::shared_ptr<const KeyRing> keys, uint32_t shard_index) {
    keys_ = std::move(keys);
    shard_index_ = shard_index;
  }

  // Positions at the first record whose offset is >= `offset` (the oldest record when `offset` is older).
  Status seek_offset(uint64_t offset);
  // Positions at the first record whose arrival time is >= `arrival_ms`.
  Status seek_timestamp(int64_t arrival_ms);
  // Positions after the last record now stored.
  Status seek_latest();
  Status seek(const ReadStart& start);

  // Puts in `records` (cleared first) the records of the next batch from the position on, at most
  // `max_records` of them. Returns false when no more data is stored now (a later call may find more).
  Result<bool> next_batch(std::vector<ReadRecord>* records, uint32_t max_records = UINT32_MAX);

  // The header of the next batch with records to return, skipping it without decoding (no key needed).
  Result<std::optional<BatchHeader>> next_header();

  // The offset the next returned record will have at least.
  uint64_t next_offset() const { return next_offset_; }
  // Every record below this offset has been returned or passed over (expired, damaged, before the
  // position): after a read that found nothing more, where the shard's stored records end for this reader.
  uint64_t passed_offset() const { return std::max(next_offset_, expected_offset_); }
  // The offset of the oldest stored record (after a seek; 0 for an empty shard).
  uint64_t first_stored_offset() const { return bases_.empty() ? 0 : bases_.front(); }

 private:
  Status refresh_segments();
  Status open_segment(size_t index);
  Result<bool> advance_segment();
  Result<bool> end_of_data();
  Result<bool> locate(BatchHeader* header, const char** bytes);
  void pass(const BatchHeader& header);
  Status position_in_segment(size_t index, uint64_t offset, int64_t min_arrival_ms);
  Result<std::optional<std::string_view>> open_payload(const BatchHeader& header, const char* bytes);
  void report_damage(const Damage& damage);
  void report_unreadable(const BatchHeader& header, std::string_view reason);

  Dir shard_;
  Reporter* reporter_;
  std::optional<uint64_t> end_offset_;
  std::vector<uint64_t> bases_;
  size_t segment_index_ = 0;
  SegmentReader segment_;
  uint64_t file_position_ = 0;
  uint64_t expected_offset_ = 0;        // first offset of the batch expected at file_position_
  uint64_t next_offset_ = 0;            // records below this offset are skipped
  int64_t min_arrival_ms_ = INT64_MIN;  // until the first record returned: skip those that arrived before
  int64_t expire_before_ms_ = INT64_MIN;
  std::shared_ptr<const KeyRing> keys_;
  uint32_t shard_index_ = 0;
  PayloadOpener payload_opener_;
  std::vector<RecordView> views_;
};

}  // namespace kds
