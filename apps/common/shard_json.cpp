#include "shard_json.h"

namespace kds::cli {

using nlohmann::ordered_json;

namespace {
ordered_json range_json(const HashKeyRange& range) {
  return {{"StartingHashKey", to_decimal(range.start)}, {"EndingHashKey", to_decimal(range.end)}};
}
}  // namespace

ordered_json shard_json(const ShardMeta& shard) {
  ordered_json item;
  item["ShardId"] = shard.id();
  if (shard.parent) item["ParentShardId"] = shard_id_string(*shard.parent);
  if (shard.adjacent_parent) item["AdjacentParentShardId"] = shard_id_string(*shard.adjacent_parent);
  item["HashKeyRange"] = range_json(shard.range);
  ordered_json sequence;
  sequence["StartingSequenceNumber"] = to_decimal(shard.starting_sequence_number());
  if (auto ending = shard.ending_sequence_number()) sequence["EndingSequenceNumber"] = to_decimal(*ending);
  item["SequenceNumberRange"] = std::move(sequence);
  return item;
}

ordered_json child_shard_json(const ShardMeta& shard) {
  ordered_json item;
  item["ShardId"] = shard.id();
  ordered_json parents = ordered_json::array();
  if (shard.parent) parents.push_back(shard_id_string(*shard.parent));
  if (shard.adjacent_parent) parents.push_back(shard_id_string(*shard.adjacent_parent));
  item["ParentShards"] = std::move(parents);
  item["HashKeyRange"] = range_json(shard.range);
  return item;
}

}  // namespace kds::cli
