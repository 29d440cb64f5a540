// GetShardIterator's rules for where reading starts, shared by the operation and by the tools that read
// from a position (kds-get, kds-tail), so both refuse the same arguments with the same texts.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "kds/shard_id.h"
#include "kds/status.h"
#include "kds/store.h"

namespace kds::api {

// ShardIteratorType's values, in the order Kinesis lists them in its message.
inline const std::vector<std::string_view> kIteratorTypes = {
    "AFTER_SEQUENCE_NUMBER", "LATEST", "AT_TIMESTAMP", "AT_SEQUENCE_NUMBER", "TRIM_HORIZON"};

// Which members an iterator type needs and refuses (InvalidArgumentException), and a timestamp not in
// the future. `type` must be one of kIteratorTypes.
Status check_iterator_arguments(std::string_view type, bool has_sequence_number,
                                std::optional<int64_t> timestamp_ms, int64_t now_ms);

// A StartingSequenceNumber checked against `stream`: well-formed, naming `shard` when a call names one,
// a shard the stream has and a record stored there (now or before it expired).
Result<SequencePosition> starting_position(const Stream& stream, std::string_view number,
                                           std::optional<uint32_t> shard);

// The offset after the newest record of `shard` (its end, for a closed shard).
Result<uint64_t> shard_end_offset(const Stream& stream, const ShardMeta& shard);

}  // namespace kds::api
