// JSON pieces shared by the tools that print shards.
#pragma once

#include <nlohmann/json.hpp>

#include "kds/metadata.h"

namespace kds::cli {

// {"ShardId", "ParentShardId"?, "AdjacentParentShardId"?, "HashKeyRange", "SequenceNumberRange"}, as
// DescribeStream and ListShards show a shard.
nlohmann::ordered_json shard_json(const ShardMeta& shard);

// {"ShardId", "ParentShards": [...], "HashKeyRange"}, as GetRecords' ChildShards shows a child.
nlohmann::ordered_json child_shard_json(const ShardMeta& shard);

}  // namespace kds::cli
