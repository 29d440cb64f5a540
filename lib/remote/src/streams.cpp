#include "kds/remote/streams.h"

#include <algorithm>

#include "kds/api/operations.h"
#include "kds/hash_key.h"
#include "kds/remote/waiter.h"
#include "kds/shard_id.h"

namespace kds::remote {

std::string text_member(const ordered_json& object, const char* name) {
  if (!object.is_object()) return {};
  const auto found = object.find(name);
  return found != object.end() && found->is_string() ? found->get<std::string>() : std::string();
}

Result<ordered_json> describe_stream(Client& client, const std::string& stream) {
  api::DescribeStreamRequest request;
  request.stream.name = stream;
  ordered_json shards = ordered_json::array();
  for (;;) {
    KDS_ASSIGN(ordered_json page, client.call("DescribeStream", request.to_json()));
    ordered_json& description = page["StreamDescription"];
    const ordered_json listed = description.value("Shards", ordered_json::array());
    for (const auto& shard : listed)
      shards.push_back(shard);
    if (listed.empty() || !description.value("HasMoreShards", false)) {
      description["Shards"] = std::move(shards);
      description["HasMoreShards"] = false;
      return page;
    }
    const std::string last = text_member(listed.back(), "ShardId");
    if (last.empty() || last == request.exclusive_start_shard_id) {
      return Error(Errc::kUnavailable, "DescribeStream answered HasMoreShards without a next shard");
    }
    request.exclusive_start_shard_id = last;
  }
}

Result<ordered_json> describe_stream_summary(Client& client, const std::string& stream) {
  api::DescribeStreamSummaryRequest request;
  request.stream.name = stream;
  KDS_ASSIGN(const ordered_json answer, client.call("DescribeStreamSummary", request.to_json()));
  const auto summary = answer.find("StreamDescriptionSummary");
  return summary != answer.end() && summary->is_object() ? *summary : ordered_json::object();
}

Result<ordered_json> change_stream(Client& client, std::string_view operation, const ordered_json& request,
                                   const std::string& stream, bool no_wait, StreamGoal goal) {
  KDS_ASSIGN(ordered_json answer, client.call(operation, request));
  if (!no_wait) KDS_TRY(wait_for_stream(client, stream, goal));
  return answer;
}

bool is_open(const ordered_json& shard) {
  const auto range = shard.find("SequenceNumberRange");
  return range == shard.end() || !range->contains("EndingSequenceNumber");
}

std::vector<ordered_json> children_of(const ordered_json& shards, std::string_view parent) {
  std::vector<ordered_json> children;
  for (const auto& shard : shards) {
    if (text_member(shard, "ParentShardId") == parent ||
        text_member(shard, "AdjacentParentShardId") == parent)
      children.push_back(shard);
  }
  return children;
}

namespace {
u128 starting_hash_key(const ordered_json& shard) {
  const auto range = shard.find("HashKeyRange");
  if (range == shard.end()) return 0;
  return parse_decimal_u128(text_member(*range, "StartingHashKey")).value_or(0);
}
}  // namespace

std::vector<ordered_json> open_in_hash_order(const ordered_json& shards) {
  std::vector<ordered_json> open;
  for (const auto& shard : shards)
    if (is_open(shard)) open.push_back(shard);
  std::stable_sort(open.begin(), open.end(), [](const ordered_json& a, const ordered_json& b) {
    return starting_hash_key(a) < starting_hash_key(b);
  });
  return open;
}

ordered_json child_shard(const ordered_json& shard) {
  ordered_json parents = ordered_json::array();
  for (const char* member : {"ParentShardId", "AdjacentParentShardId"})
    if (shard.contains(member)) parents.push_back(shard[member]);
  return {{"ShardId", text_member(shard, "ShardId")},
          {"ParentShards", std::move(parents)},
          {"HashKeyRange", shard.value("HashKeyRange", ordered_json::object())}};
}

std::string account_of_arn(std::string_view arn) {
  for (int field = 0; field < 4; ++field) {
    const size_t colon = arn.find(':');
    if (colon == std::string_view::npos) return "";
    arn.remove_prefix(colon + 1);
  }
  return std::string(arn.substr(0, arn.find(':')));
}

std::string full_shard_id(std::string_view text) {
  const auto index = parse_shard_id(text);
  return index ? shard_id_string(*index) : std::string(text);
}

std::optional<std::string> midpoint_hash_key(const ordered_json& shards, std::string_view shard_id) {
  for (const auto& shard : shards) {
    if (text_member(shard, "ShardId") != shard_id) continue;
    const auto& range = shard.value("HashKeyRange", ordered_json::object());
    const auto start = parse_decimal_u128(text_member(range, "StartingHashKey"));
    const auto end = parse_decimal_u128(text_member(range, "EndingHashKey"));
    if (!start || !end || *end < *start) return std::nullopt;
    return to_decimal(*start + (*end - *start) / 2);
  }
  return std::nullopt;
}

}  // namespace kds::remote
