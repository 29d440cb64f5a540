#include "kds/shard_reader.h"

#include <fcntl.h>

#include <algorithm>
#include <cerrno>

#include <fmt/format.h>

#include "kds/errors.h"

namespace kds {

ShardReader::ShardReader(Dir shard, Reporter* reporter, std::optional<uint64_t> end_offset)
    : shard_(std::move(shard)), reporter_(reporter), end_offset_(end_offset) {}

Status ShardReader::refresh_segments() {
  const uint64_t current = segment_.is_open() ? segment_.base() : UINT64_MAX;
  KDS_ASSIGN(bases_, list_segments(shard_));
  if (current != UINT64_MAX) {
    auto it = std::lower_bound(bases_.begin(), bases_.end(), current);
    segment_index_ = static_cast<size_t>(it - bases_.begin());
    if (it == bases_.end() || *it != current) {
      // Our segment was deleted (retention) while open: the descriptor still reads it; it comes before
      // everything listed now.
      bases_.insert(it, current);
    }
  }
  return {};
}

Status ShardReader::open_segment(size_t index) {
  const uint64_t base = bases_[index];
  KDS_ASSIGN(Fd fd, shard_.open_file(segment_file_name(base), O_RDONLY));
  segment_ = SegmentReader(std::move(fd), shard_.path_of(segment_file_name(base)), base);
  segment_index_ = index;
  return {};
}

Status ShardReader::position_in_segment(size_t index, uint64_t offset, int64_t min_arrival_ms) {
  KDS_TRY(open_segment(index));
  KDS_ASSIGN(uint64_t size, segment_.size());
  const auto entries = load_index(shard_, segment_.base(), size);
  // The last entry at or before the target that points at the batch it claims to.
  file_position_ = 0;
  expected_offset_ = segment_.base();
  // Entries are ordered by offset and by arrival, so "at or before the target" is a prefix.
  auto it = std::partition_point(entries.begin(), entries.end(), [&](const IndexEntry& entry) {
    return entry.offset <= offset && (min_arrival_ms == INT64_MIN || entry.arrival_ms < min_arrival_ms);
  });
  while (it != entries.begin()) {
    --it;
    BatchHeader header;
    const char* bytes = nullptr;
    KDS_ASSIGN(BatchCheck check, segment_.read_batch(it->position, size, &header, &bytes));
    if (check == BatchCheck::kOk && header.first_offset == it->offset &&
        header.arrival_ms == it->arrival_ms) {
      file_position_ = it->position;
      expected_offset_ = it->offset;
      break;
    }
  }
  next_offset_ = std::max(offset, segment_.base());
  min_arrival_ms_ = min_arrival_ms;
  return {};
}

Status ShardReader::seek_offset(uint64_t offset) {
  segment_ = SegmentReader();
  KDS_TRY(refresh_segments());
  if (bases_.empty()) {
    next_offset_ = expected_offset_ = offset;
    return {};
  }
  auto it = std::upper_bound(bases_.begin(), bases_.end(), offset);
  const size_t index = it == bases_.begin() ? 0 : static_cast<size_t>(it - bases_.begin()) - 1;
  auto status = position_in_segment(index, offset, INT64_MIN);
  if (!status.ok() && status.error().sys_errno() == ENOENT) return seek_offset(offset);  // deleted meanwhile
  return status;
}

Status ShardReader::seek_timestamp(int64_t arrival_ms) {
  segment_ = SegmentReader();
  KDS_TRY(refresh_segments());
  if (bases_.empty()) {
    next_offset_ = expected_offset_ = 0;
    min_arrival_ms_ = arrival_ms;
    return {};
  }
  // Arrival times never decrease within a shard: find the last segment whose first batch arrived before
  // the target; the first record at or after it is in that segment or later.
  size_t low = 0;
  size_t high = bases_.size();
  while (high - low > 1) {
    const size_t mid = (low + high) / 2;
    KDS_ASSIGN(Fd fd, shard_.open_file(segment_file_name(bases_[mid]), O_RDONLY));
    SegmentReader probe(std::move(fd), "", bases_[mid]);
    KDS_ASSIGN(uint64_t size, probe.size());
    BatchHeader header;
    const char* bytes = nullptr;
    KDS_ASSIGN(BatchCheck check, probe.read_batch(0, size, &header, &bytes));
    if (check == BatchCheck::kOk && header.arrival_ms < arrival_ms) {
      low = mid;
    } else {
      high = mid;
    }
  }
  KDS_TRY(position_in_segment(low, UINT64_MAX, arrival_ms));
  next_offset_ = segment_.base();
  return {};
}

Status ShardReader::seek_latest() {
  KDS_TRY(seek_offset(UINT64_MAX));
  std::vector<ReadRecord> ignored;
  // Walk to the end of what is stored; with the index this reads at most an interval and a batch.
  for (;;) {
    KDS_ASSIGN(bool more, next_batch(&ignored));
    if (!more) break;
  }
  next_offset_ = expected_offset_;
  return {};
}

Status ShardReader::seek(const ReadStart& start) {
  switch (start.kind) {
    case ReadStart::Kind::kOffset:
      return seek_offset(start.offset);
    case ReadStart::Kind::kLatest:
      return seek_latest();
    case ReadStart::Kind::kTimestamp:
      return seek_timestamp(start.timestamp_ms);
  }
  return {};
}

Result<std::optional<std::string_view>> ShardReader::open_payload(const BatchHeader& header,
                                                                  const char* bytes) {
  std::string_view payload;
  const auto outcome = payload_opener_.open(header, bytes, keys_.get(), shard_index_, &payload);
  if (outcome == PayloadOpener::Outcome::kNoKey) {
    return Error(
        Errc::kInvalidArgument,
        fmt::format("{} holds a batch (at byte {}) encrypted with the key whose fingerprint begins {}; {}",
                    segment_.path(), file_position_, stored_key_id(payload), kKeyNotGiven));
  }
  if (outcome != PayloadOpener::Outcome::kOk) {
    report_unreadable(header, PayloadOpener::failure(outcome));
    return std::optional<std::string_view>();
  }
  return std::optional<std::string_view>(payload);
}

// Every skipped byte and every lost offset is reported; a torn tail is not (a write in flight looks the
// same), nor two segments that overlap (nothing is lost: the records already returned are passed).
void ShardReader::report_damage(const Damage& damage) {
  if (reporter_ == nullptr || damage.kind == DamageKind::kTornTail) return;
  if (damage.byte_count() == 0 && !damage.loses_offsets()) return;
  const bool at_shard = !segment_.is_open();
  reporter_->damage({at_shard ? shard_.path() : segment_.path(), damage.bytes_start, damage.byte_count(),
                     describe_damage(damage)});
}

// A batch whose checksum holds but whose records cannot be read.
void ShardReader::report_unreadable(const BatchHeader& header, std::string_view reason) {
  if (reporter_ == nullptr) return;
  reporter_->damage({segment_.path(), file_position_, header.total_size(),
                     fmt::format("{}; records at offsets {}..{} skipped", reason, header.first_offset,
                                 header.end_offset() - 1)});
}

// The data ends cleanly here. A closed shard must end at its recorded end offset: records missing
// before it (a segment cut at a batch boundary, a lost shard directory) are reported once, as lost.
Result<bool> ShardReader::end_of_data() {
  if (!end_offset_) return false;
  const uint64_t size = segment_.is_open() ? file_position_ : 0;
  const uint64_t from = std::max(expected_offset_, next_offset_);
  const Damage damage = classify_damage({size, size, from, std::nullopt, std::nullopt, end_offset_});
  if (damage.kind == DamageKind::kClosedShardShort) {
    report_damage(damage);
    expected_offset_ = damage.resume_offset;
  }
  return false;
}

// Moves to the next segment once the current one is known to be complete; false if it is the newest.
Result<bool> ShardReader::advance_segment() {
  KDS_TRY(refresh_segments());
  if (segment_index_ + 1 >= bases_.size()) return false;
  // A newer segment exists, so no writer appends to this one; but it may have grown between our last look and
  // the roll, so only move on once we have read to its final size.
  KDS_ASSIGN(uint64_t size, segment_.size());
  if (size > file_position_) return true;
  const uint64_t next_base = bases_[segment_index_ + 1];
  auto opened = open_segment(segment_index_ + 1);
  if (!opened.ok()) {
    if (opened.error().sys_errno() != ENOENT) return opened.error();
    KDS_TRY(refresh_segments());
    return true;
  }
  Damage damage = classify_damage({size, size, expected_offset_, std::nullopt, next_base, std::nullopt});
  if (damage.kind == DamageKind::kGap) {
    damage.bytes_start = damage.bytes_end = 0;  // reported where the records should have been
    report_damage(damage);
  }
  file_position_ = 0;
  expected_offset_ = damage.resume_offset;
  return true;
}

Result<bool> ShardReader::next_batch(std::vector<ReadRecord>* records, uint32_t max_records) {
  records->clear();
  for (;;) {
    BatchHeader header;
    const char* bytes = nullptr;
    KDS_ASSIGN(bool found, locate(&header, &bytes));
    if (!found) return false;
    KDS_ASSIGN(auto opened, open_payload(header, bytes));
    const auto skip =
        static_cast<uint32_t>(std::max(next_offset_, header.first_offset) - header.first_offset);
    if (!opened || !decode_records(*opened, header.record_count, &views_, skip, max_records)) {
      if (opened) report_unreadable(header, kUndecodablePayload);
      pass(header);
      continue;
    }
    records->reserve(views_.size());
    for (size_t i = 0; i < views_.size(); ++i) {
      records->push_back({header.first_offset + skip + i, header.arrival_ms, header.encrypted(),
                          views_[i].key, views_[i].data});
    }
    next_offset_ = header.first_offset + skip + views_.size();
    if (next_offset_ == header.end_offset()) pass(header);
    return true;
  }
}

Result<std::optional<BatchHeader>> ShardReader::next_header() {
  BatchHeader header;
  const char* bytes = nullptr;
  KDS_ASSIGN(bool found, locate(&header, &bytes));
  if (!found) return std::optional<BatchHeader>();
  pass(header);
  next_offset_ = header.end_offset();
  return std::optional<BatchHeader>(header);
}

void ShardReader::pass(const BatchHeader& header) {
  file_position_ += header.total_size();
  expected_offset_ = header.end_offset();
}

// Moves to the next batch that has records to return (verified, in sequence, not expired, not before the
// position) and leaves file_position_ at it; false when no more data is stored now.
Result<bool> ShardReader::locate(BatchHeader* header, const char** bytes) {
  if (!segment_.is_open()) {
    KDS_TRY(refresh_segments());
    if (bases_.empty()) return end_of_data();
    KDS_TRY(position_in_segment(0, next_offset_, min_arrival_ms_));
  }
  for (;;) {
    KDS_ASSIGN(uint64_t size, segment_.size());
    if (file_position_ >= size) {
      KDS_ASSIGN(bool moved, advance_segment());
      if (!moved) return end_of_data();
      continue;
    }
    KDS_ASSIGN(BatchCheck check, segment_.read_batch(file_position_, size, header, bytes));
    if (check == BatchCheck::kOk && header->first_offset == expected_offset_) {
      if (header->end_offset() <= next_offset_ || header->arrival_ms < min_arrival_ms_ ||
          header->arrival_ms < expire_before_ms_ || header->lost_range()) {
        pass(*header);
        continue;
      }
      min_arrival_ms_ = INT64_MIN;  // arrival times never decrease: every later record qualifies too
      return true;
    }
    // Damage, a gap in the offsets, a torn tail, or a write in flight: the damage policy decides.
    KDS_TRY(refresh_segments());
    std::optional<uint64_t> next_base;
    if (segment_index_ + 1 < bases_.size()) next_base = bases_[segment_index_ + 1];
    KDS_ASSIGN(Damage damage,
               examine_run_end(segment_, file_position_, size, expected_offset_, next_base, end_offset_));
    if (damage.kind == DamageKind::kTornTail) return false;  // for now: a later read looks again
    report_damage(damage);
    file_position_ = damage.resume_position;
    expected_offset_ = damage.resume_offset;  // reported once: the move to the next segment finds no gap
    next_offset_ = std::max(next_offset_, expected_offset_);
  }
}

}  // namespace kds
