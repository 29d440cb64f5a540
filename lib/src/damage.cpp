// The damage policy (damage.h, docs/format.md §11).
#include "kds/damage.h"

#include <algorithm>

#include <fmt/format.h>

namespace kds {

namespace {

// Invalid bytes run to the end of the segment. They are a torn tail only where an append may have been
// cut short and nothing is known to be missing: the newest segment of an open shard, or of a closed one
// that reached its end offset. Anywhere else the offsets had to go on, so the bytes held records.
Damage classify_bytes_to_end(const RunEnd& end, Damage damage) {
  damage.bytes_end = end.segment_size;
  const std::optional<uint64_t> must_reach = end.next_segment_base ? end.next_segment_base : end.end_offset;
  if (!must_reach || *must_reach <= end.expected_offset) {
    damage.kind = end.next_segment_base ? DamageKind::kDamageAtEnd : DamageKind::kTornTail;
    return damage;
  }
  damage.kind = DamageKind::kDamageAtEnd;
  damage.lost_end = damage.resume_offset = *must_reach;
  return damage;
}

// The segment's run ends at its last byte; only its offsets can be wrong.
Damage classify_clean_end(const RunEnd& end, Damage damage) {
  const uint64_t expected = end.expected_offset;
  if (end.next_segment_base) {
    const uint64_t next_base = *end.next_segment_base;
    if (next_base == expected) return damage;
    damage.kind = next_base > expected ? DamageKind::kGap : DamageKind::kOverlap;
    if (next_base > expected) damage.lost_end = next_base;
    damage.resume_offset = next_base;  // the next segment's offsets start there, whatever came before
    return damage;
  }
  if (!end.end_offset || *end.end_offset == expected) return damage;
  if (*end.end_offset < expected) {
    damage.kind = DamageKind::kPastEnd;
    damage.resume_offset = *end.end_offset;  // where the shard should have ended; the walk is over
    return damage;
  }
  damage.kind = DamageKind::kClosedShardShort;
  damage.lost_end = damage.resume_offset = *end.end_offset;
  return damage;
}

std::string lost_suffix(const Damage& damage, std::string_view verb) {
  if (!damage.loses_offsets()) return "";
  return fmt::format("; records at offsets {}..{} {}", damage.lost_from, damage.lost_end - 1, verb);
}

}  // namespace

Damage classify_damage(const RunEnd& end) {
  Damage damage;
  damage.bytes_start = damage.bytes_end = end.position;
  damage.lost_from = damage.lost_end = end.expected_offset;
  damage.resume_position = end.segment_size;
  damage.resume_offset = end.expected_offset;
  if (end.position >= end.segment_size) {
    damage.bytes_start = damage.bytes_end = end.segment_size;
    return classify_clean_end(end, damage);
  }
  if (!end.next_valid) return classify_bytes_to_end(end, damage);
  const BatchStart next = *end.next_valid;
  damage.bytes_end = damage.resume_position = next.position;
  damage.lost_end = damage.resume_offset = std::max(end.expected_offset, next.first_offset);
  if (next.position > end.position) {
    damage.kind = DamageKind::kDamageThenValid;
  } else if (damage.loses_offsets()) {
    damage.kind = DamageKind::kMissingBeforeBatch;
  }
  return damage;
}

std::string describe_damage(const Damage& damage) {
  switch (damage.kind) {
    case DamageKind::kNone:
      return "";
    case DamageKind::kMissingBeforeBatch:
      return fmt::format("records at offsets {}..{} are missing before this batch", damage.lost_from,
                         damage.lost_end - 1);
    case DamageKind::kDamageThenValid:
      return fmt::format("{} damaged bytes{}", damage.byte_count(), lost_suffix(damage, "lost"));
    case DamageKind::kTornTail:
      return fmt::format("torn tail of {} bytes (an append cut short)", damage.byte_count());
    case DamageKind::kDamageAtEnd:
      return fmt::format("{} damaged bytes at the end{}", damage.byte_count(), lost_suffix(damage, "lost"));
    case DamageKind::kGap:
      return fmt::format("records at offsets {}..{} are missing before this segment", damage.lost_from,
                         damage.lost_end - 1);
    case DamageKind::kOverlap:
      return fmt::format("segment starts at offset {}, inside the previous segment (which ends at {})",
                         damage.resume_offset, damage.lost_from);
    case DamageKind::kClosedShardShort:
      return fmt::format("closed shard ends early; records at offsets {}..{} are missing", damage.lost_from,
                         damage.lost_end - 1);
    case DamageKind::kPastEnd:
      return fmt::format("the log holds records up to offset {}, beyond the shard's recorded end {}",
                         damage.lost_from - 1, damage.resume_offset);
  }
  return "";
}

Result<Damage> examine_run_end(SegmentReader& reader, uint64_t position, uint64_t segment_size,
                               uint64_t expected_offset, std::optional<uint64_t> next_segment_base,
                               std::optional<uint64_t> end_offset) {
  RunEnd end{position, segment_size, expected_offset, std::nullopt, next_segment_base, end_offset};
  if (position < segment_size) {
    BatchHeader header;
    const char* bytes = nullptr;
    KDS_ASSIGN(BatchCheck check, reader.read_batch(position, segment_size, &header, &bytes));
    if (check == BatchCheck::kOk && header.first_offset >= expected_offset) {
      end.next_valid = BatchStart{position, header.first_offset};
    } else {
      KDS_ASSIGN(auto next, reader.find_next_valid(position, segment_size, expected_offset));
      if (next) {
        KDS_ASSIGN(BatchCheck found, reader.read_batch(*next, segment_size, &header, &bytes));
        (void)found;  // find_next_valid verified it
        end.next_valid = BatchStart{*next, header.first_offset};
      }
    }
  }
  return classify_damage(end);
}

}  // namespace kds
