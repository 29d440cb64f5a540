#include "kds/hash_key.h"

#include <fmt/compile.h>
#include <fmt/format.h>

#include <algorithm>

#include "kds/errors.h"

namespace kds {

std::optional<u128> parse_decimal_u128(std::string_view text) {
  if (text.empty()) return std::nullopt;
  u128 value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    const unsigned digit = static_cast<unsigned>(c - '0');
    if (value > (kMaxHashKey - digit) / 10) return std::nullopt;
    value = value * 10 + digit;
  }
  return value;
}

std::string to_decimal(u128 value) {
  // Two divisions by 10^19 instead of one per digit: this runs once per record in JSON output.
  constexpr uint64_t kChunk = 10000000000000000000ull;  // 10^19
  if (value <= UINT64_MAX) return fmt::format_int(static_cast<uint64_t>(value)).str();
  const auto low = static_cast<uint64_t>(value % kChunk);
  value /= kChunk;
  if (value <= UINT64_MAX) return fmt::format(FMT_COMPILE("{}{:019}"), static_cast<uint64_t>(value), low);
  const auto middle = static_cast<uint64_t>(value % kChunk);
  return fmt::format(FMT_COMPILE("{}{:019}{:019}"), static_cast<uint64_t>(value / kChunk), middle, low);
}

std::vector<HashKeyRange> uniform_hash_ranges(uint32_t n) {
  std::vector<HashKeyRange> ranges(n);
  if (n == 1) {
    ranges[0] = {0, kMaxHashKey};
    return ranges;
  }
  // floor(2^128 / n) computed without 2^128: (2^128 - 1) / n, plus one when the remainder is n - 1.
  u128 step = kMaxHashKey / n;
  if (kMaxHashKey % n == n - 1) ++step;
  for (uint32_t i = 0; i < n; ++i) {
    ranges[i].start = step * i;
    ranges[i].end = (i + 1 == n) ? kMaxHashKey : step * (i + 1) - 1;
  }
  return ranges;
}

Result<u128> parse_explicit_hash_key(std::string_view text) {
  const bool pattern_ok =
      !text.empty() && text.size() <= 39 &&
      std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
      (text == "0" || text[0] != '0');
  if (!pattern_ok) {
    return validation_error(
        {{text, "explicitHashKey", "Member must satisfy regular expression pattern: 0|([1-9]\\d{0,38})"}});
  }
  auto value = parse_decimal_u128(text);
  if (!value) {
    return Error(
        Errc::kInvalidArgument,
        "Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. Specified value was " +
            std::string(text));
  }
  return *value;
}

}  // namespace kds
