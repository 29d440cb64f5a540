// Checks of request values that Kinesis itself validates. They live in the library, not in the option
// parsers, so every entry point rejects the same values with the same exception name and text.
#pragma once

#include <cstdint>
#include <string_view>

#include "kds/status.h"

namespace kds {

inline constexpr size_t kMaxStreamNameLength = 128;
inline constexpr size_t kMaxPartitionKeyChars = 256;
// A stream's largest record, key bytes + data bytes (MaxRecordSizeInKiB): 1 MiB unless raised, 10 MiB at
// most.
inline constexpr int64_t kDefaultMaxRecordKiB = 1024;
inline constexpr int64_t kLargestMaxRecordKiB = 10240;
inline constexpr size_t kMaxRecordDataBytes = kDefaultMaxRecordKiB * 1024;
inline constexpr size_t kLargestRecordBytes = kLargestMaxRecordKiB * 1024;
inline constexpr int64_t kMaxOpenShards = 10000;
inline constexpr int64_t kMinRetentionHours = 24;
inline constexpr int64_t kMaxRetentionHours = 8760;

// [a-zA-Z0-9_.-]+, 1..128 characters (ValidationException, member streamName).
Status validate_stream_name(std::string_view name);

// Valid UTF-8 of 1..256 characters (ValidationException, member `member`).
Status validate_partition_key(std::string_view key, std::string_view member = "partitionKey");

// Data of at most `max_bytes`, and key bytes + data bytes at most `max_bytes` (the stream's maximum
// record size; ValidationException naming it).
Status validate_record_size(std::string_view key, size_t data_size, size_t max_bytes);

// A MaxRecordSizeInKiB of 1024..10240 (ValidationException, member maxRecordSizeInKiB).
Status validate_max_record_kib(int64_t kib);

// 1..kMaxOpenShards (ValidationException below 1, LimitExceededException above).
Status validate_shard_count(int64_t count);

// 24..8760 hours (InvalidArgumentException with Kinesis's texts).
Status validate_retention_hours(int64_t hours);

// Number of Unicode characters in valid UTF-8 text, or -1 when the bytes are not valid UTF-8.
int64_t utf8_length(std::string_view text);

}  // namespace kds
