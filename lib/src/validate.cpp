#include "kds/validate.h"

#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <vector>

#include "kds/errors.h"

namespace kds {

Status validate_stream_name(std::string_view name) {
  // Kinesis lists the pattern before the length (kinesalite's tests, which also run against AWS).
  std::vector<Violation> violations;
  const bool pattern_ok = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
  });
  if (!pattern_ok) {
    violations.push_back(
        {name, "streamName", "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"});
  }
  if (name.empty()) {
    violations.push_back({name, "streamName", "Member must have length greater than or equal to 1"});
  }
  if (name.size() > kMaxStreamNameLength) {
    violations.push_back({name, "streamName", "Member must have length less than or equal to 128"});
  }
  if (violations.empty()) return {};
  return validation_error(violations.data(), violations.size());
}

int64_t utf8_length(std::string_view text) {
  int64_t chars = 0;
  for (size_t i = 0; i < text.size(); ++chars) {
    const auto lead = static_cast<unsigned char>(text[i]);
    size_t extra;
    uint32_t min_value;
    if (lead < 0x80) {
      ++i;
      continue;
    } else if ((lead & 0xE0) == 0xC0) {
      extra = 1, min_value = 0x80;
    } else if ((lead & 0xF0) == 0xE0) {
      extra = 2, min_value = 0x800;
    } else if ((lead & 0xF8) == 0xF0) {
      extra = 3, min_value = 0x10000;
    } else {
      return -1;
    }
    if (i + extra >= text.size()) return -1;  // truncated sequence
    uint32_t value = lead & (0x3F >> extra);
    for (size_t k = 1; k <= extra; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return -1;
      value = (value << 6) | (next & 0x3F);
    }
    // Overlong forms, UTF-16 surrogates and values past U+10FFFF are not valid UTF-8.
    if (value < min_value || (value >= 0xD800 && value <= 0xDFFF) || value > 0x10FFFF) return -1;
    i += extra + 1;
  }
  return chars;
}

Status validate_partition_key(std::string_view key, std::string_view member) {
  const int64_t chars = utf8_length(key);
  if (chars < 0) {
    return Error(
        Errc::kValidation,
        fmt::format("1 validation error detected: Value at '{}' failed to satisfy constraint: Member must be "
                    "valid UTF-8 text",
                    member));
  }
  if (chars < 1)
    return validation_error({{key, member, "Member must have length greater than or equal to 1"}});
  if (chars > static_cast<int64_t>(kMaxPartitionKeyChars)) {
    return validation_error({{key, member, "Member must have length less than or equal to 256"}});
  }
  return {};
}

Status validate_record_size(std::string_view key, size_t data_size, size_t max_bytes) {
  if (data_size > max_bytes) {
    const std::string value = fmt::format("java.nio.HeapByteBuffer[pos=0 lim={0} cap={0}]", data_size);
    const std::string constraint = fmt::format("Member must have length less than or equal to {}", max_bytes);
    return validation_error({{value, "data", constraint}});
  }
  if (key.size() + data_size > max_bytes) {
    return Error(
        Errc::kValidation,
        fmt::format("Record size {} bytes (partition key {} + data {}) exceeds the maximum record size of "
                    "{} bytes",
                    key.size() + data_size, key.size(), data_size, max_bytes));
  }
  return {};
}

Status validate_max_record_kib(int64_t kib) {
  const std::string value = std::to_string(kib);
  if (kib < kDefaultMaxRecordKiB) {
    return validation_error(
        {{value, "maxRecordSizeInKiB", "Member must have value greater than or equal to 1024"}});
  }
  if (kib > kLargestMaxRecordKiB) {
    return validation_error(
        {{value, "maxRecordSizeInKiB", "Member must have value less than or equal to 10240"}});
  }
  return {};
}

Status validate_shard_count(int64_t count) {
  if (count < 1) {
    const std::string value = std::to_string(count);
    return validation_error({{value, "shardCount", "Member must have value greater than or equal to 1"}});
  }
  if (count > kMaxOpenShards) {
    return Error(
        Errc::kLimitExceeded,
        fmt::format(
            "This request would exceed the shard limit for the account {} in {}. Current shard count "
            "for the account: 0. Limit: {}. Number of additional shards that would have resulted from "
            "this request: {}. Refer to the AWS Service Limits page "
            "(http://docs.aws.amazon.com/general/latest/gr/aws_service_limits.html) for current limits "
            "and how to request higher limits.",
            account_id(), region(), kMaxOpenShards, count));
  }
  return {};
}

Status validate_retention_hours(int64_t hours) {
  if (hours < kMinRetentionHours) {
    return Error(
        Errc::kInvalidArgument,
        fmt::format("Minimum allowed retention period is 24 hours. Requested retention period ({} hours) is "
                    "too short.",
                    hours));
  }
  if (hours > kMaxRetentionHours) {
    return Error(
        Errc::kInvalidArgument,
        fmt::format(
            "Maximum allowed retention period is 8760 hours. Requested retention period ({} hours) is "
            "too long.",
            hours));
  }
  return {};
}

}  // namespace kds
