// The JSON shapes Kinesis gives its answers (kinesis.md §14), member names and order as in the API model,
// for every front end to print alike: the tools' --output json, the server, the remote client.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <string_view>

#include "kds/metadata.h"

namespace kds::api {

// Timestamps are JSON numbers of epoch seconds with the milliseconds as a fraction.
double epoch_seconds(int64_t ms);

// {"ShardId", "ParentShardId"?, "AdjacentParentShardId"?, "HashKeyRange", "SequenceNumberRange"}, as
// DescribeStream and ListShards show a shard.
nlohmann::ordered_json shard_json(const ShardMeta& shard);

// {"ShardId", "ParentShards": [...], "HashKeyRange"}, as GetRecords' ChildShards shows a child.
nlohmann::ordered_json child_shard_json(const ShardMeta& shard);

// One record as GetRecords returns it, written straight into `out` (the hot path of reading):
// {"SequenceNumber", "ApproximateArrivalTimestamp", "Data" (base64), "PartitionKey", "EncryptionType"},
// followed by "ShardId" when `shard_id` is not empty (kds-get's one-object-per-line form).
struct RecordShape {
  uint32_t shard_index = 0;
  uint64_t offset = 0;
  int64_t arrival_ms = 0;
  std::string_view key;
  std::string_view data;
  bool encrypted = false;
};
void append_record_json(const RecordShape& record, bool with_shard_id, std::string* out);
// The same with the sequence number and shard id as text (a record an endpoint returned; shard id "": none).
void append_record_json(std::string_view sequence_number, int64_t arrival_ms, std::string_view key,
                        std::string_view data, bool encrypted, std::string_view shard_id, std::string* out);

// {"ShardId", "SequenceNumber", "EncryptionType"}: PutRecord's answer, and one acknowledgement of kds-put.
std::string put_record_json(uint32_t shard_index, uint64_t offset, bool encrypted);
std::string put_record_json(std::string_view shard_id, std::string_view sequence_number, bool encrypted);

// Appends `text` as the body of a JSON string (without quotes); the text must be UTF-8.
void append_json_escaped(std::string_view text, std::string* out);

}  // namespace kds::api
