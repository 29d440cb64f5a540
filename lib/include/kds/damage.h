// The damage policy: what it means when a segment's run of valid, consecutive batches stops. One
// decision for every part that walks a shard's log — the reader (shard_reader.h), writer recovery
// (src/shard_recovery.cpp) and kds-fsck (shard_check.h) — so that they agree on what is a torn tail
// and what is damage, which offsets are lost and where reading goes on. What each part then does
// about it (skip, truncate, report, repair) is its own, and is tabled in docs/format.md §11.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "kds/segment.h"
#include "kds/status.h"

namespace kds {

enum class DamageKind {
  kNone,                // the run ends at the end of the segment, where the next segment (if any) starts
  kMissingBeforeBatch,  // a valid batch whose first offset is above the expected one, no bytes between
  kDamageThenValid,     // bytes that are not the expected batch, then a valid batch in the same segment
  kTornTail,            // such bytes to the end of the newest segment of a shard that may still grow
  kDamageAtEnd,         // such bytes to the end of a segment that must go on: a newer segment, or a
                        // closed shard's end offset not yet reached
  kGap,                 // a clean end below the next segment's base
  kOverlap,             // a clean end above the next segment's base
  kClosedShardShort,    // a clean end of the newest segment below a closed shard's end offset
  kPastEnd,             // a clean end of the newest segment above a closed shard's end offset (which
                        // the verdict's resume_offset holds)
};

// A valid batch: where it is and the offset it starts at.
struct BatchStart {
  uint64_t position = 0;
  uint64_t first_offset = 0;
};

// What a walker knows where a segment's valid run stops.
struct RunEnd {
  uint64_t position = 0;         // where the run stops: the first byte not part of it
  uint64_t segment_size = 0;     // bytes in the segment (position == segment_size: a clean end)
  uint64_t expected_offset = 0;  // the offset the next batch should start at
  // The first valid batch at or after `position` that starts at or above `expected_offset`, if any.
  std::optional<BatchStart> next_valid;
  std::optional<uint64_t> next_segment_base;  // nullopt when this is the newest segment
  std::optional<uint64_t> end_offset;         // a closed shard's end offset, when the walker knows it
};

// The verdict: which bytes are in question, which offsets can no longer be read, and where the walk
// goes on. Offsets and positions are half-open ranges.
struct Damage {
  DamageKind kind = DamageKind::kNone;
  uint64_t bytes_start = 0;
  uint64_t bytes_end = 0;
  uint64_t lost_from = 0;
  uint64_t lost_end = 0;         // == lost_from when no offset is lost
  uint64_t resume_position = 0;  // in this segment; == segment_size: go on in the next segment
  uint64_t resume_offset = 0;    // the offset expected there

  uint64_t byte_count() const { return bytes_end - bytes_start; }
  bool loses_offsets() const { return lost_end > lost_from; }
};

// The decision itself; pure, so that it is tested as a table (tests/unit/test_damage.cpp).
Damage classify_damage(const RunEnd& end);

// The one-line description every report of `damage` uses, e.g. "64 damaged bytes; records at offsets
// 6..8 lost". Empty for kNone.
std::string describe_damage(const Damage& damage);

// Looks at segment `reader` from `position` (where a walker expecting `expected_offset` did not find the
// batch it wanted, or the end of the file) for what classify_damage needs, and classifies it.
// `next_segment_base` and `end_offset` as in RunEnd.
Result<Damage> examine_run_end(SegmentReader& reader, uint64_t position, uint64_t segment_size,
                               uint64_t expected_offset, std::optional<uint64_t> next_segment_base,
                               std::optional<uint64_t> end_offset);

}  // namespace kds
