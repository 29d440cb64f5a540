// Hash-key arithmetic (kinesis.md §3) and MD5 routing (kinesis.md §4).
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "kds/hash_key.h"
#include "kds/status.h"
#include "test_util.h"

using kds::u128;
using kds_test::dec;

namespace {

const char* const kMax = "340282366920938463463374607431768211455";  // 2^128 - 1

struct ExpectedRange {
  const char* start;
  const char* end;
};

void check_ranges(uint32_t n, const std::vector<ExpectedRange>& expected) {
  CAPTURE(n);
  const auto ranges = kds::uniform_hash_ranges(n);
  REQUIRE(ranges.size() == expected.size());
  for (size_t i = 0; i < ranges.size(); ++i) {
    CAPTURE(i);
    CHECK(dec(ranges[i].start) == expected[i].start);
    CHECK(dec(ranges[i].end) == expected[i].end);
  }
}

// Checks, without the library's arithmetic, that `ranges` are CreateStream's ranges for n shards:
// contiguous, from 0 to 2^128-1, every shard but the last of size s, and s = floor(2^128 / n), i.e. the
// last shard's size (2^128 - (n-1)*s) is at least s and less than s + n.
void check_structure(uint32_t n) {
  CAPTURE(n);
  const auto ranges = kds::uniform_hash_ranges(n);
  REQUIRE(ranges.size() == n);
  REQUIRE(ranges.front().start == 0);
  REQUIRE(ranges.back().end == kds::kMaxHashKey);
  if (n == 1) return;
  const u128 s = ranges[0].end + 1;
  int64_t first_bad = -1;
  for (uint32_t i = 0; i + 1 < n; ++i) {
    const bool ok = ranges[i].start <= ranges[i].end && ranges[i + 1].start == ranges[i].end + 1 &&
                    ranges[i].end - ranges[i].start + 1 == s && ranges[i].start == s * i;
    if (!ok) {
      first_bad = i;
      break;
    }
  }
  CHECK(first_bad == -1);
  CHECK(ranges.back().start == s * (n - 1));
  const u128 last_minus_one = ranges.back().end - ranges.back().start;  // last size - 1
  REQUIRE(last_minus_one >= s - 1);
  CHECK(last_minus_one - (s - 1) < n);  // last size - s == 2^128 mod n < n
}

}  // namespace

TEST_CASE("uniform_hash_ranges matches kinesis.md §3 for N = 1..4") {
  check_ranges(1, {{"0", kMax}});
  check_ranges(2, {{"0", "170141183460469231731687303715884105727"},
                   {"170141183460469231731687303715884105728", kMax}});
  check_ranges(3, {{"0", "113427455640312821154458202477256070484"},
                   {"113427455640312821154458202477256070485", "226854911280625642308916404954512140969"},
                   {"226854911280625642308916404954512140970", kMax}});
  check_ranges(4, {{"0", "85070591730234615865843651857942052863"},
                   {"85070591730234615865843651857942052864", "170141183460469231731687303715884105727"},
                   {"170141183460469231731687303715884105728", "255211775190703847597530955573826158591"},
                   {"255211775190703847597530955573826158592", kMax}});
}

TEST_CASE("uniform_hash_ranges for N = 5 (computed independently with Python: s = 2**128 // 5)") {
  check_ranges(5, {{"0", "68056473384187692692674921486353642290"},
                   {"68056473384187692692674921486353642291", "136112946768375385385349842972707284581"},
                   {"136112946768375385385349842972707284582", "204169420152563078078024764459060926872"},
                   {"204169420152563078078024764459060926873", "272225893536750770770699685945414569163"},
                   {"272225893536750770770699685945414569164", kMax}});
}

TEST_CASE("uniform_hash_ranges are contiguous and cover the whole space") {
  for (uint32_t n : {1u, 2u, 3u, 4u, 5u, 6u, 7u, 8u, 16u, 17u, 64u, 100u, 255u, 256u, 1000u, 1024u, 4096u, 9999u, 10000u}) {
    check_structure(n);
  }
}

TEST_CASE("parse_decimal_u128 and to_decimal round trip") {
  struct Case {
    const char* text;
    u128 value;
  };
  const u128 two64 = static_cast<u128>(1) << 64;
  const u128 ten19 = static_cast<u128>(10000000000000000000ull);
  const std::vector<Case> cases = {
      {"0", 0},
      {"1", 1},
      {"9", 9},
      {"10", 10},
      {"18446744073709551615", two64 - 1},
      {"18446744073709551616", two64},
      {"9999999999999999999", ten19 - 1},
      {"10000000000000000000", ten19},
      {"100000000000000000000000000000000000000", ten19 * ten19},  // 10^38
      {"340282366920938463463374607431768211455", kds::kMaxHashKey},
      {"340282366920938463463374607431768211454", kds::kMaxHashKey - 1},
      {"170141183460469231731687303715884105728", static_cast<u128>(1) << 127},
  };
  for (const auto& c : cases) {
    const std::string shown = c.text;
    CAPTURE(shown);
    auto parsed = kds::parse_decimal_u128(c.text);
    REQUIRE(parsed.has_value());
    CHECK(*parsed == c.value);
    CHECK(kds::to_decimal(c.value) == c.text);
  }
  // Leading zeros are accepted on input and never printed.
  auto padded = kds::parse_decimal_u128("000000000000000000000000000000000000000000012");
  REQUIRE(padded.has_value());
  CHECK(*padded == 12);
  CHECK(kds::parse_decimal_u128("0000") == std::optional<u128>(0));
}

TEST_CASE("to_decimal agrees with digit-by-digit conversion on pseudo-random values") {
  uint64_t state = 0x9e3779b97f4a7c15ull;
  auto next = [&state] {
    state += 0x9e3779b97f4a7c15ull;
    uint64_t z = state;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  };
  for (int i = 0; i < 2000; ++i) {
    u128 value = (static_cast<u128>(next()) << 64) | next();
    // Vary the magnitude so every chunk path of to_decimal is used.
    value >>= (i % 128);
    std::string expected;
    u128 v = value;
    do {
      expected.insert(expected.begin(), static_cast<char>('0' + static_cast<int>(v % 10)));
      v /= 10;
    } while (v != 0);
    const std::string printed = kds::to_decimal(value);
    REQUIRE(printed == expected);
    auto parsed = kds::parse_decimal_u128(printed);
    REQUIRE(parsed.has_value());
    REQUIRE(*parsed == value);
  }
}

TEST_CASE("parse_decimal_u128 rejects non-digits and values above 2^128-1") {
  for (const char* text : {"", "-1", "+1", "1a", "a1", " 1", "1 ", "1.0", "0x10",
                           "340282366920938463463374607431768211456",   // 2^128
                           "340282366920938463463374607431768211460",   // 2^128 + 4
                           "999999999999999999999999999999999999999",   // 39 nines
                           "3402823669209384634633746074317682114550",  // 10 * (2^128-1)
                           "1000000000000000000000000000000000000000"}) {
    const std::string shown = text;
    CAPTURE(shown);
    CHECK_FALSE(kds::parse_decimal_u128(text).has_value());
  }
}

TEST_CASE("parse_explicit_hash_key") {
  SUBCASE("valid values") {
    auto zero = kds::parse_explicit_hash_key("0");
    REQUIRE(zero.ok());
    CHECK(*zero == 0);
    auto max = kds::parse_explicit_hash_key(kMax);
    REQUIRE(max.ok());
    CHECK(*max == kds::kMaxHashKey);
    auto mid = kds::parse_explicit_hash_key("170141183460469231731687303715884105728");
    REQUIRE(mid.ok());
    CHECK(*mid == (static_cast<u128>(1) << 127));
  }
  SUBCASE("pattern violations are ValidationException on explicitHashKey") {
    const std::string forty = "1" + std::string(39, '0');
    for (const std::string& text : {std::string(""), std::string("01"), forty, std::string("abc"), std::string("-1"),
                                   std::string("00"), std::string("1 ")}) {
      CAPTURE(text);
      auto result = kds::parse_explicit_hash_key(text);
      REQUIRE_FALSE(result.ok());
      CHECK(result.error().code() == kds::Errc::kValidation);
      CHECK(result.error().message() ==
            "1 validation error detected: Value '" + text +
                "' at 'explicitHashKey' failed to satisfy constraint: Member must satisfy regular expression "
                "pattern: 0|([1-9]\\d{0,38})");
    }
  }
  SUBCASE("2^128 and above (39 digits) is InvalidArgumentException with Kinesis's text") {
    for (const std::string& text :
         {std::string("340282366920938463463374607431768211456"), std::string(39, '9')}) {
      CAPTURE(text);
      auto result = kds::parse_explicit_hash_key(text);
      REQUIRE_FALSE(result.ok());
      CHECK(result.error().code() == kds::Errc::kInvalidArgument);
      CHECK(result.error().message() ==
            "Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. Specified value was " +
                text);
    }
  }
}

namespace {

struct RoutedKey {
  const char* key;
  const char* hash;
  int shard[4];  // for N = 1..4
};

// kinesis.md §4.
const RoutedKey kRoutingTable[] = {
    {"a", "16955237001963240173058271559858726497", {0, 0, 0, 0}},
    {"b", "195289424170611159128911017612795795343", {0, 1, 1, 2}},
    {"e", "299611584147932843547128611849858313266", {0, 1, 2, 3}},
    {"1", "261578874264819908609102035485573088411", {0, 1, 2, 3}},
    {"foo", "229609063533823256041787889330700985560", {0, 1, 2, 2}},
    {"user-42", "157107139746365290205026809710278036035", {0, 0, 1, 1}},
    {"\xc3\xbc", "255482112228542481294366945247899473731", {0, 1, 2, 3}},  // ü in UTF-8
};

int shard_of(u128 hash, uint32_t n) {
  const auto ranges = kds::uniform_hash_ranges(n);
  int found = -1;
  for (size_t i = 0; i < ranges.size(); ++i) {
    if (ranges[i].contains(hash)) {
      if (found >= 0) return -2;  // two ranges claim it
      found = static_cast<int>(i);
    }
  }
  return found;
}

}  // namespace

TEST_CASE("partition_key_hash matches the MD5 table of kinesis.md §4") {
  for (const auto& row : kRoutingTable) {
    const std::string shown = row.key;
    CAPTURE(shown);
    CHECK(dec(kds::partition_key_hash(row.key)) == row.hash);
  }
  // Hashing is of the bytes given: an embedded NUL counts, and the empty key has MD5 d41d8cd9...
  CHECK(dec(kds::partition_key_hash("")) == "281949768489412648962353822266799178366");
  CHECK(kds::partition_key_hash(std::string("a\0", 2)) != kds::partition_key_hash("a"));
}

TEST_CASE("MD5 routing sends each key of the table to the shard kinesis.md §4 gives, N = 1..4") {
  for (const auto& row : kRoutingTable) {
    const std::string shown = row.key;
    CAPTURE(shown);
    const u128 hash = kds::partition_key_hash(row.key);
    for (uint32_t n = 1; n <= 4; ++n) {
      CAPTURE(n);
      CHECK(shard_of(hash, n) == row.shard[n - 1]);
    }
  }
}

TEST_CASE("HashKeyRange::contains is inclusive at both ends") {
  const kds::HashKeyRange range{10, 20};
  CHECK_FALSE(range.contains(9));
  CHECK(range.contains(10));
  CHECK(range.contains(20));
  CHECK_FALSE(range.contains(21));
  const kds::HashKeyRange all{0, kds::kMaxHashKey};
  CHECK(all.contains(0));
  CHECK(all.contains(kds::kMaxHashKey));
}
