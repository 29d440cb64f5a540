// The account's shard quota (Context::shard_limit): counting the store's open shards, checking a change
// against the quota, and DescribeLimits, which reports both.
#include <limits>

#include "common.h"
#include "kds/errors.h"

namespace kds::api {

namespace {

// Open shards of every stream that can be opened now; one deleted meanwhile, or too damaged to read, has
// none to count (the quota is arithmetic, not a check of the store: kds-fsck is that).
int64_t open_shard_count(const Store& store) {
  auto names = store.list_streams();
  if (!names.ok()) return 0;
  int64_t count = 0;
  for (const auto& name : *names) {
    auto stream = store.open_stream(name);
    if (stream.ok()) count += static_cast<int64_t>(stream->meta().open_shards().size());
  }
  return count;
}

}  // namespace

Status check_shard_limit(const Context& context, int64_t added) {
  if (!context.shard_limit || added <= 0) return {};
  const int64_t current = open_shard_count(*context.store);
  if (current + added > *context.shard_limit)
    return shard_limit_exceeded(current, *context.shard_limit, added);
  return {};
}

Result<DescribeLimitsRequest> DescribeLimitsRequest::from_json(Body body) {
  JsonReader reader(body);
  return finish_reading(reader, DescribeLimitsRequest{});
}

ordered_json DescribeLimitsResponse::to_json() const {
  return {{"ShardLimit", shard_limit},
          {"OpenShardCount", open_shard_count},
          {"OnDemandStreamCount", on_demand_stream_count},
          {"OnDemandStreamCountLimit", on_demand_stream_count_limit}};
}

Result<DescribeLimitsResponse> describe_limits(const Context& context, const DescribeLimitsRequest&) {
  DescribeLimitsResponse response;
  response.shard_limit = context.shard_limit.value_or(std::numeric_limits<int32_t>::max());
  response.open_shard_count = open_shard_count(*context.store);
  // On-demand streams are refused by this store (CreateStream), so there are none; the limit is AWS's
  // default.
  response.on_demand_stream_count = 0;
  response.on_demand_stream_count_limit = 50;
  return response;
}

}  // namespace kds::api
