// GetShardIterator's rules for where reading starts, shared by the operation and by the tools that read
// from a position (kds-get, kds-tail), so both refuse the same arguments with the same texts; and the
// plan for reading a whole stream from such a start, parents before children.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kds/shard_id.h"
#include "kds/shard_reader.h"
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

// Where AT_SEQUENCE_NUMBER (`after` false) or AFTER_SEQUENCE_NUMBER `number` starts reading, the number
// checked against `stream`: well-formed, naming `shard` when a call names one, a shard the stream has and a
// record stored there (now or before it expired) — or, after, the shard's kBeforeFirstOffset.
Result<SequencePosition> starting_position(const Stream& stream, std::string_view number, bool after,
                                           std::optional<uint32_t> shard);

// The offset of `shard` where an iterator of `type` starts (GetShardIterator's rules, SubscribeToShard's
// too), the arguments already checked by check_iterator_arguments. `stream` must have its keys for
// AT_TIMESTAMP in an encrypted shard; `reporter` (may be null) hears of damage read past.
Result<uint64_t> iterator_start_offset(const Stream& stream, const ShardMeta& shard, std::string_view type,
                                       const std::optional<std::string>& sequence_number,
                                       std::optional<int64_t> timestamp_ms, Reporter* reporter);

// The offset after the newest record of `shard` (its end, for a closed shard).
Result<uint64_t> shard_end_offset(const Stream& stream, const ShardMeta& shard);

// Where to read a stream from: GetShardIterator's members, for the stream rather than one shard.
struct StreamReadRequest {
  std::string iterator_type = "TRIM_HORIZON";  // one of kIteratorTypes (checked)
  std::optional<std::string> sequence_number;  // for AT_/AFTER_SEQUENCE_NUMBER
  std::optional<int64_t> timestamp_ms;         // for AT_TIMESTAMP
  std::optional<uint32_t> shard;               // read this shard only
};

// One shard of a read plan and where reading it starts.
struct ShardStart {
  uint32_t shard_index = 0;
  ReadStart start;
  std::optional<uint64_t> end_offset;  // closed shards
};

// The shards to read, in reading order (a parent before its children, as shard indexes ascend), each with
// its start, after GetShardIterator's checks of the request. With `shard`, that shard alone. Without it,
// AT/AFTER_SEQUENCE_NUMBER read the shard the number names from that record on and then every shard
// descending from it from its beginning; the other types read every shard that has not expired.
Result<std::vector<ShardStart>> plan_read(const Stream& stream, const StreamReadRequest& request);

}  // namespace kds::api
