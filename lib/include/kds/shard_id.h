// Shard ids ("shardId-000000000005") and the sequence-number layout that names a shard and a position.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "kds/hash_key.h"

namespace kds {

inline constexpr uint32_t kMaxShardIndex = 2147483647;  // what AWS accepts after the '-'

// Lenient, as AWS parses: the text after the first '-' (or the whole text without one) must be digits
// (leading zeros allowed) with a value <= 2^31-1. "shardId-5", "5", "anything-0" all parse.
std::optional<uint32_t> parse_shard_id(std::string_view text);

// "shardId-" followed by the index zero-padded to 12 digits.
std::string shard_id_string(uint32_t index);

// A sequence number is shard_index * 2^64 + offset, where offset is the record's dense position in its
// shard (0, 1, 2, ...). So a number alone names its shard, numbers increase by one within a shard, and a
// child shard (always a higher index) numbers every record above every record of its parents.
struct SequencePosition {
  uint32_t shard_index = 0;
  uint64_t offset = 0;
  friend bool operator==(const SequencePosition&, const SequencePosition&) = default;
};

inline u128 make_sequence_number(uint32_t shard_index, uint64_t offset) {
  return (static_cast<u128>(shard_index) << 64) | offset;
}

// The offset whose number stands for "before the shard's first record": offset 0 has a record's number
// already (a shard's StartingSequenceNumber is its first record's), so a position there has no number of
// its own. SubscribeToShard gives this one as ContinuationSequenceNumber until it has delivered a record
// from offset 0, and AFTER_SEQUENCE_NUMBER takes it (AFTER wraps to offset 0; AT refuses it).
inline constexpr uint64_t kBeforeFirstOffset = ~uint64_t{0};

// Splits a sequence number into shard and offset; nullopt when its shard part exceeds kMaxShardIndex.
std::optional<SequencePosition> split_sequence_number(u128 number);

// Validates the text of a sequence number against Kinesis's pattern 0|([1-9]\d{0,128}) (ValidationException
// naming `member`) and decodes it; a well-formed number too large to be one of ours is InvalidArgument.
Result<SequencePosition> parse_sequence_number(std::string_view text, std::string_view member);

}  // namespace kds
