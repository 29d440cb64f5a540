// Shard ids (kinesis.md §2) and the sequence-number layout of shard_id.h.
#include <doctest/doctest.h>

#include <cstdint>
#include <optional>
#include <string>

#include "kds/hash_key.h"
#include "kds/shard_id.h"
#include "test_util.h"

using kds::u128;
using kds_test::dec;

TEST_CASE("parse_shard_id is lenient as AWS is") {
  struct Case {
    const char* text;
    uint32_t index;
  };
  for (const Case& c : {Case{"shardId-5", 5}, Case{"shard-0", 0}, Case{"anything-0", 0}, Case{"2147483647", 2147483647},
                        Case{"shardId-000000000017", 17}, Case{"shardId-000000000000", 0}, Case{"5", 5},
                        Case{"shardId-2147483647", 2147483647}, Case{"-7", 7}, Case{"00000000000000000000003", 3}}) {
    const std::string shown = c.text;
    CAPTURE(shown);
    const auto parsed = kds::parse_shard_id(c.text);
    REQUIRE(parsed.has_value());
    CHECK(*parsed == c.index);
  }
}

TEST_CASE("parse_shard_id rejects what AWS cannot find") {
  for (const char* text : {"2147483648", "ABKLFD8", "2.14E4", "", "shardId-", "shardId-2147483648", "shardId--1",
                           "a-b-1", "shardId-1x", "shardId- 1", "99999999999999999999999", "4294967296"}) {
    const std::string shown = text;
    CAPTURE(shown);
    CHECK_FALSE(kds::parse_shard_id(text).has_value());
  }
}

TEST_CASE("shard_id_string is shardId- and 12 zero-padded digits") {
  CHECK(kds::shard_id_string(0) == "shardId-000000000000");
  CHECK(kds::shard_id_string(17) == "shardId-000000000017");
  CHECK(kds::shard_id_string(999999999) == "shardId-000999999999");
  CHECK(kds::shard_id_string(kds::kMaxShardIndex) == "shardId-002147483647");
  for (uint32_t index : {0u, 1u, 5u, 1000u, 123456789u, kds::kMaxShardIndex}) {
    CHECK(kds::parse_shard_id(kds::shard_id_string(index)) == std::optional<uint32_t>(index));
  }
}

TEST_CASE("make_sequence_number and split_sequence_number") {
  CHECK(kds::make_sequence_number(0, 0) == 0);
  CHECK(dec(kds::make_sequence_number(1, 0)) == "18446744073709551616");
  CHECK(dec(kds::make_sequence_number(0, UINT64_MAX)) == "18446744073709551615");
  CHECK(dec(kds::make_sequence_number(3, 5)) == "55340232221128654853");  // 3 * 2^64 + 5
  // 2147483647 * 2^64 + 2^64 - 1 = 2^95 - 1
  CHECK(dec(kds::make_sequence_number(kds::kMaxShardIndex, UINT64_MAX)) == "39614081257132168796771975167");

  for (uint32_t shard : {0u, 1u, 2u, 77u, kds::kMaxShardIndex}) {
    for (uint64_t offset : {uint64_t{0}, uint64_t{1}, uint64_t{4294967296}, UINT64_MAX - 1, UINT64_MAX}) {
      CAPTURE(shard);
      CAPTURE(offset);
      const auto split = kds::split_sequence_number(kds::make_sequence_number(shard, offset));
      REQUIRE(split.has_value());
      CHECK(split->shard_index == shard);
      CHECK(split->offset == offset);
    }
  }
  // Numbers increase by one within a shard and every number of a higher shard is larger.
  CHECK(kds::make_sequence_number(4, 10) + 1 == kds::make_sequence_number(4, 11));
  CHECK(kds::make_sequence_number(4, UINT64_MAX) < kds::make_sequence_number(5, 0));

  CHECK_FALSE(kds::split_sequence_number(static_cast<u128>(kds::kMaxShardIndex + 1u) << 64).has_value());
  CHECK_FALSE(kds::split_sequence_number(kds::kMaxHashKey).has_value());
}

TEST_CASE("parse_sequence_number accepts our numbers") {
  auto zero = kds::parse_sequence_number("0", "startingSequenceNumber");
  REQUIRE(zero.ok());
  CHECK(*zero == kds::SequencePosition{0, 0});

  for (uint32_t shard : {0u, 1u, 12u, kds::kMaxShardIndex}) {
    for (uint64_t offset : {uint64_t{0}, uint64_t{42}, UINT64_MAX}) {
      const std::string text = dec(kds::make_sequence_number(shard, offset));
      CAPTURE(text);
      auto parsed = kds::parse_sequence_number(text, "startingSequenceNumber");
      REQUIRE(parsed.ok());
      CHECK(parsed->shard_index == shard);
      CHECK(parsed->offset == offset);
    }
  }
}

TEST_CASE("parse_sequence_number: pattern violations are ValidationException naming the member") {
  const std::string too_long = "1" + std::string(129, '0');  // 130 digits
  for (const std::string& text : {std::string(""), std::string("01"), std::string("abc"), std::string("-1"),
                                 std::string("1.5"), std::string("00"), too_long}) {
    CAPTURE(text);
    for (const char* member : {"startingSequenceNumber", "sequenceNumberForOrdering"}) {
      auto parsed = kds::parse_sequence_number(text, member);
      REQUIRE_FALSE(parsed.ok());
      CHECK(parsed.error().code() == kds::Errc::kValidation);
      CHECK(parsed.error().message() ==
            "1 validation error detected: Value '" + text + "' at '" + member +
                "' failed to satisfy constraint: Member must satisfy regular expression pattern: 0|([1-9]\\d{0,128})");
    }
  }
}

TEST_CASE("parse_sequence_number: well-formed numbers naming no shard are InvalidArgumentException") {
  const std::string shard_too_big = dec(static_cast<u128>(kds::kMaxShardIndex + 1u) << 64);  // 2^95
  CHECK(shard_too_big == "39614081257132168796771975168");
  const std::string two128 = "340282366920938463463374607431768211456";
  const std::string digits129 = "1" + std::string(128, '0');  // matches the pattern, far too large
  for (const std::string& text : {shard_too_big, dec(kds::kMaxHashKey), two128, digits129}) {
    CAPTURE(text);
    auto parsed = kds::parse_sequence_number(text, "startingSequenceNumber");
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().code() == kds::Errc::kInvalidArgument);
    CHECK(parsed.error().message().find(text) != std::string::npos);
  }
  // One below the limit still parses.
  auto last = kds::parse_sequence_number("39614081257132168796771975167", "startingSequenceNumber");
  REQUIRE(last.ok());
  CHECK(last->shard_index == kds::kMaxShardIndex);
  CHECK(last->offset == UINT64_MAX);
}
