// What the tools read from an endpoint about a stream, and the changes they make and wait for.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kds/remote/client.h"
#include "kds/remote/waiter.h"
#include "kds/status.h"

namespace kds::remote {

using nlohmann::ordered_json;

// Member `name` of `object` when it is a string, else "": answers are read without trusting their types.
std::string text_member(const ordered_json& object, const char* name);

// DescribeStream, every page (as `aws kinesis describe-stream` pages through them): the last answer
// with all the shards in StreamDescription.Shards and HasMoreShards false.
Result<ordered_json> describe_stream(Client& client, const std::string& stream);

// DescribeStreamSummary's StreamDescriptionSummary ({} when the answer has none).
Result<ordered_json> describe_stream_summary(Client& client, const std::string& stream);

// Sends `operation` with `request` (a change of `stream`) and, unless `no_wait`, waits until the stream
// reaches `goal` (ACTIVE again, or gone). Returns the answer.
Result<ordered_json> change_stream(Client& client, std::string_view operation, const ordered_json& request,
                                   const std::string& stream, bool no_wait,
                                   StreamGoal goal = StreamGoal::kActive);

// Of DescribeStream's shards: whether one is open (no EndingSequenceNumber); those whose ParentShardId
// or AdjacentParentShardId is `parent`; the open ones in hash-key order.
bool is_open(const ordered_json& shard);
std::vector<ordered_json> children_of(const ordered_json& shards, std::string_view parent);
std::vector<ordered_json> open_in_hash_order(const ordered_json& shards);
// A shard as GetRecords' ChildShards shows a child: {ShardId, ParentShards, HashKeyRange}.
ordered_json child_shard(const ordered_json& shard);

// The account of an ARN (arn:aws:kinesis:REGION:ACCOUNT:stream/NAME): its fifth field, "" if it has none.
std::string account_of_arn(std::string_view arn);

// The shard id a user typed, as the endpoint knows it: "shardId-000000000001" for "1", "shard-1" or
// "shardId-1" (the lenient forms the local tools and AWS take); other text as it is.
std::string full_shard_id(std::string_view text);

// The midpoint of the shard's hash-key range, as kds-split-shard splits by default: start + (end - start) /
// 2, in decimal; nullopt when the shard is not in `shards`.
std::optional<std::string> midpoint_hash_key(const ordered_json& shards, std::string_view shard_id);

}  // namespace kds::remote
