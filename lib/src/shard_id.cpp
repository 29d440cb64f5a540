#include "kds/shard_id.h"

#include <fmt/format.h>

#include <algorithm>

#include "kds/errors.h"

namespace kds {

std::optional<uint32_t> parse_shard_id(std::string_view text) {
  if (auto dash = text.find('-'); dash != std::string_view::npos) text.remove_prefix(dash + 1);
  if (text.empty()) return std::nullopt;
  uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<uint64_t>(c - '0');
    if (value > kMaxShardIndex) return std::nullopt;
  }
  return static_cast<uint32_t>(value);
}

std::string shard_id_string(uint32_t index) { return fmt::format("shardId-{:012}", index); }

std::optional<SequencePosition> split_sequence_number(u128 number) {
  const u128 shard = number >> 64;
  if (shard > kMaxShardIndex) return std::nullopt;
  return SequencePosition{static_cast<uint32_t>(shard), static_cast<uint64_t>(number)};
}

Result<SequencePosition> parse_sequence_number(std::string_view text, std::string_view member) {
  const bool pattern_ok = !text.empty() && text.size() <= 129 &&
                          std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
                          (text == "0" || text[0] != '0');
  if (!pattern_ok) {
    return validation_error({{text, member, "Member must satisfy regular expression pattern: 0|([1-9]\\d{0,128})"}});
  }
  std::optional<SequencePosition> position;
  if (auto value = parse_decimal_u128(text)) position = split_sequence_number(*value);
  if (!position) {
    return Error(Errc::kInvalidArgument,
                 fmt::format("Sequence number {} is not a sequence number of this store: it names no shard", text));
  }
  return *position;
}

}  // namespace kds
