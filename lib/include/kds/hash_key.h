// The 128-bit hash-key space of Kinesis: decimal parsing and printing, CreateStream's uniform ranges,
// and MD5 routing of partition keys.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kds/status.h"

namespace kds {

__extension__ typedef unsigned __int128 u128;

inline constexpr u128 kMaxHashKey = ~u128{0};

// Parses a string of ASCII digits (at least one, leading zeros allowed) into a u128.
// Returns nullopt for any other character or a value above 2^128-1.
std::optional<u128> parse_decimal_u128(std::string_view text);

// Decimal form without leading zeros ("0" for zero).
std::string to_decimal(u128 value);

struct HashKeyRange {
  u128 start = 0;  // inclusive
  u128 end = 0;    // inclusive
  bool contains(u128 hash) const { return start <= hash && hash <= end; }
  friend bool operator==(const HashKeyRange&, const HashKeyRange&) = default;
};

// The ranges CreateStream gives N shards: s = floor(2^128 / N); shard i covers [i*s, (i+1)*s - 1], the
// last shard ends at 2^128-1. Requires 1 <= n.
std::vector<HashKeyRange> uniform_hash_ranges(uint32_t n);

// MD5 of the key's bytes read as an unsigned big-endian 128-bit integer (what the KCL computes).
// Thread-safe; keeps one digest context per thread.
u128 partition_key_hash(std::string_view key);
// partition_key_hash() of each key into hashes[i], many keys at a time in SIMD lanes (md5_lanes.h; with
// AVX-512 about a sixth of the cost per key). Requires `hashes` to hold keys.size() values.
void partition_key_hashes(std::span<const std::string_view> keys, u128* hashes);

// Validates an ExplicitHashKey as Kinesis does: the pattern 0|([1-9]\d{0,38}) (ValidationException),
// then the range [0, 2^128-1] (InvalidArgumentException).
Result<u128> parse_explicit_hash_key(std::string_view text);

}  // namespace kds
