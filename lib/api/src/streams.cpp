// CreateStream, DeleteStream, DescribeStream, DescribeStreamSummary, ListStreams, ListShards.
#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "common.h"
#include "kds/api/kms_keys.h"
#include "kds/api/shapes.h"
#include "kds/base64.h"
#include "kds/clock.h"
#include "kds/errors.h"
#include "kds/validate.h"

namespace kds::api {

namespace {

constexpr int64_t kMaxPageLimit = 10000;
constexpr int64_t kDescribeStreamPage = 100;
constexpr int64_t kListStreamsPage = 100;
constexpr int64_t kListShardsPage = 1000;

// The members of StreamDescription and StreamDescriptionSummary that come before their own.
void describe_common(const StreamMeta& meta, ordered_json* out) {
  (*out)["StreamName"] = meta.name;
  (*out)["StreamARN"] = stream_arn(meta.name);
  (*out)["StreamStatus"] = meta.status;
  (*out)["StreamModeDetails"] = {{"StreamMode", "PROVISIONED"}};
}

void describe_settings(const StreamMeta& meta, const std::vector<std::string>& shard_level_metrics,
                       const std::string& key_id, ordered_json* out) {
  (*out)["RetentionPeriodHours"] = meta.retention_hours;
  (*out)["StreamCreationTimestamp"] = epoch_seconds(meta.created_ms);
  (*out)["EnhancedMonitoring"] = ordered_json::array({{{"ShardLevelMetrics", shard_level_metrics}}});
  (*out)["EncryptionType"] = meta.encryption_type;
  // AWS names the KMS key here; a store knows only the key's fingerprint, which kds-serve's KMS keys may
  // name.
  if (!key_id.empty()) {
    (*out)["KeyId"] = key_id;
  } else if (!meta.key_fingerprint.empty()) {
    (*out)["KeyId"] = "fingerprint:" + meta.key_fingerprint;
  }
}

std::string key_id_of(const Context& context, const StreamMeta& meta) {
  if (context.kms == nullptr || meta.key_fingerprint.empty()) return {};
  return context.kms->key_id_of(meta.key_fingerprint);
}

std::vector<ShardMeta> listed_shards(const StreamMeta& meta, int64_t now) {
  std::vector<ShardMeta> shards;
  for (const auto& shard : meta.shards) {
    if (!meta.shard_expired(shard, now)) shards.push_back(shard);
  }
  return shards;
}

}  // namespace

Result<CreateStreamRequest> CreateStreamRequest::from_json(Body body) {
  JsonReader reader(body);
  CreateStreamRequest request;
  request.shard_count = reader.integer("ShardCount");
  request.stream = read_stream(reader);
  if (auto mode = reader.structure("StreamModeDetails")) {
    JsonReader details(*mode);
    request.stream_mode = details.string("StreamMode");
    if (!details.status().ok()) return details.status().error();
  }
  request.tags = reader.string_map("Tags");
  request.max_record_kib = reader.integer("MaxRecordSizeInKiB");
  return finish_reading(reader, std::move(request));
}

ordered_json CreateStreamRequest::to_json() const {
  ordered_json out = ordered_json::object();
  put_member(&out, "ShardCount", shard_count);
  put_stream(&out, stream);
  if (stream_mode) out["StreamModeDetails"] = {{"StreamMode", *stream_mode}};
  if (tags) {
    ordered_json map = ordered_json::object();
    for (const auto& [key, value] : *tags)
      map[key] = value;
    out["Tags"] = std::move(map);
  }
  put_member(&out, "MaxRecordSizeInKiB", max_record_kib);
  return out;
}

Status create_stream(const Context& context, const CreateStreamRequest& request) {
  Validator validator;
  const bool on_demand = request.stream_mode == "ON_DEMAND";
  validator.integer("shardCount", request.shard_count, !on_demand, 1, kMaxShardCountMember);
  validate_stream(validator, request.stream);
  validator.enumeration("streamModeDetails.streamMode", request.stream_mode, false,
                        {"PROVISIONED", "ON_DEMAND"});
  validate_tags(validator, request.tags, false);
  validator.integer("maxRecordSizeInKiB", request.max_record_kib, false, kDefaultMaxRecordKiB,
                    kLargestMaxRecordKiB);
  KDS_TRY(validator.finish());
  KDS_ASSIGN(std::string name, stream_name(request.stream));
  if (on_demand) return on_demand_unsupported();
  KDS_TRY(check_shard_limit(context, *request.shard_count));
  StreamOptions options = request.local;
  options.shard_count = *request.shard_count;
  options.max_record_kib = request.max_record_kib.value_or(kDefaultMaxRecordKiB);
  if (request.tags) {
    KDS_ASSIGN(options.tags, new_tags(*request.tags, "stream", name));
  }
  return context.store->create_stream(name, options);
}

Result<DeleteStreamRequest> DeleteStreamRequest::from_json(Body body) {
  JsonReader reader(body);
  DeleteStreamRequest request;
  request.stream = read_stream(reader);
  request.enforce_consumer_deletion = reader.boolean("EnforceConsumerDeletion");
  return finish_reading(reader, std::move(request));
}

ordered_json DeleteStreamRequest::to_json() const {
  ordered_json out = ordered_json::object();
  put_stream(&out, stream);
  put_member(&out, "EnforceConsumerDeletion", enforce_consumer_deletion);
  return out;
}

Status delete_stream(const Context& context, const DeleteStreamRequest& request) {
  Validator validator;
  validate_stream(validator, request.stream);
  KDS_TRY(validator.finish());
  KDS_ASSIGN(std::string name, stream_name(request.stream));
  return context.store->delete_stream(name, request.enforce_consumer_deletion.value_or(false));
}

Result<DescribeStreamRequest> DescribeStreamRequest::from_json(Body body) {
  JsonReader reader(body);
  DescribeStreamRequest request;
  request.limit = reader.integer("Limit");
  request.exclusive_start_shard_id = reader.string("ExclusiveStartShardId");
  request.stream = read_stream(reader);
  return finish_reading(reader, std::move(request));
}

ordered_json DescribeStreamRequest::to_json() const {
  ordered_json out = ordered_json::object();
  put_member(&out, "Limit", limit);
  put_member(&out, "ExclusiveStartShardId", exclusive_start_shard_id);
  put_stream(&out, stream);
  return out;
}

ordered_json DescribeStreamResponse::to_json() const {
  ordered_json description;
  describe_common(meta, &description);
  ordered_json list = ordered_json::array();
  for (const auto& shard : shards)
    list.push_back(shard_json(shard));
  description["Shards"] = std::move(list);
  description["HasMoreShards"] = has_more_shards;
  describe_settings(meta, shard_level_metrics, key_id, &description);
  // Not an AWS member: the per-shard size cap kds adds to the retention period.
  if (meta.max_shard_bytes > 0) description["MaxShardBytes"] = meta.max_shard_bytes;
  return {{"StreamDescription", std::move(description)}};
}

Result<DescribeStreamResponse> describe_stream(const Context& context, const DescribeStreamRequest& request) {
  Validator validator;
  validator.integer("limit", request.limit, false, 1, kMaxPageLimit);
  validator.name("exclusiveStartShardId", request.exclusive_start_shard_id, false);
  validate_stream(validator, request.stream);
  KDS_TRY(validator.finish());
  KDS_ASSIGN(Stream stream, open_stream(context, request.stream));
  DescribeStreamResponse response;
  response.meta = stream.meta();
  response.key_id = key_id_of(context, response.meta);
  KDS_ASSIGN(StreamAttributes attributes, read_attributes(stream));
  response.shard_level_metrics = std::move(attributes.shard_level_metrics);
  const size_t limit =
      static_cast<size_t>(std::min(request.limit.value_or(kDescribeStreamPage), kDescribeStreamPage));
  for (auto& shard : listed_shards(stream.meta(), now_ms())) {
    // Canonical ids are zero-padded, so they compare as their indexes do (AWS compares the ids given).
    if (request.exclusive_start_shard_id && shard.id() <= *request.exclusive_start_shard_id) continue;
    if (response.shards.size() == limit) {
      response.has_more_shards = true;
      break;
    }
    response.shards.push_back(std::move(shard));
  }
  response.meta.shards.clear();  // described by `shards`
  return response;
}

Result<DescribeStreamSummaryRequest> DescribeStreamSummaryRequest::from_json(Body body) {
  JsonReader reader(body);
  DescribeStreamSummaryRequest request;
  request.stream = read_stream(reader);
  return finish_reading(reader, std::move(request));
}

ordered_json DescribeStreamSummaryRequest::to_json() const {
  ordered_json out = ordered_json::object();
  put_stream(&out, stream);
  return out;
}

ordered_json DescribeStreamSummaryResponse::to_json() const {
  ordered_json summary;
  describe_common(meta, &summary);
  describe_settings(meta, shard_level_metrics, key_id, &summary);
  summary["OpenShardCount"] = open_shard_count;
  summary["ConsumerCount"] = consumer_count;
  summary["MaxRecordSizeInKiB"] = meta.max_record_kib;
  return {{"StreamDescriptionSummary", std::move(summary)}};
}

Result<DescribeStreamSummaryResponse> describe_stream_summary(const Context& context,
                                                              const DescribeStreamSummaryRequest& request) {
  Validator validator;
  validate_stream(validator, request.stream);
  KDS_TRY(validator.finish());
  KDS_ASSIGN(Stream stream, open_stream(context, request.stream));
  DescribeStreamSummaryResponse response;
  response.meta = stream.meta();
  response.key_id = key_id_of(context, response.meta);
  response.open_shard_count = static_cast<int64_t>(stream.meta().open_shards().size());
  KDS_ASSIGN(StreamAttributes attributes, read_attributes(stream));
  response.consumer_count = static_cast<int64_t>(attributes.consumers.size());
  response.shard_level_metrics = std::move(attributes.shard_level_metrics);
  response.meta.shards.clear();
  return response;
}

Result<ListStreamsRequest> ListStreamsRequest::from_json(Body body) {
  JsonReader reader(body);
  ListStreamsRequest request;
  request.limit = reader.integer("Limit");
  request.exclusive_start_stream_name = reader.string("ExclusiveStartStreamName");
  request.next_token = reader.string("NextToken");
  return finish_reading(reader, std::move(request));
}

ordered_json ListStreamsRequest::to_json() const {
  ordered_json out = ordered_json::object();
  put_member(&out, "Limit", limit);
  put_member(&out, "ExclusiveStartStreamName", exclusive_start_stream_name);
  put_member(&out, "NextToken", next_token);
  return out;
}

ordered_json ListStreamsResponse::to_json() const {
  ordered_json out;
  ordered_json names = ordered_json::array();
  ordered_json summaries = ordered_json::array();
  for (const auto& meta : streams) {
    names.push_back(meta.name);
    ordered_json summary;
    describe_common(meta, &summary);
    summary["StreamCreationTimestamp"] = epoch_seconds(meta.created_ms);
    summaries.push_back(std::move(summary));
  }
  out["StreamNames"] = std::move(names);
  out["HasMoreStreams"] = has_more_streams;
  if (next_token) out["NextToken"] = *next_token;
  out["StreamSummaries"] = std::move(summaries);
  return out;
}

Result<ListStreamsResponse> list_streams(const Context& context, const ListStreamsRequest& request) {
  Validator validator;
  validator.integer("limit", request.limit, false, 1, kMaxPageLimit);
  validator.name("exclusiveStartStreamName", request.exclusive_start_stream_name, false);
  validator.string("nextToken", request.next_token, false, Pattern::kNone, 1, 1048576);
  KDS_TRY(validator.finish());
  std::optional<std::string> after = request.exclusive_start_stream_name;
  if (request.next_token) {
    KDS_ASSIGN(Token token, parse_token('L', *request.next_token));
    after = token.last;
  }
  KDS_ASSIGN(auto names, context.store->list_streams());
  const size_t limit = static_cast<size_t>(request.limit.value_or(kListStreamsPage));
  ListStreamsResponse response;
  for (const auto& name : names) {
    if (after && name <= *after) continue;
    if (response.streams.size() == limit) {
      response.has_more_streams = true;
      response.next_token = make_token('L', 0, response.streams.back().name, "");
      break;
    }
    auto stream = context.store->open_stream(name);
    if (!stream.ok()) {
      if (stream.error().code() == Errc::kResourceNotFound) continue;  // deleted meanwhile
      return stream.error();
    }
    response.streams.push_back(stream->meta());
    response.streams.back().shards.clear();
  }
  return response;
}

Result<ListShardsRequest> ListShardsRequest::from_json(Body body) {
  JsonReader reader(body);
  ListShardsRequest request;
  request.exclusive_start_shard_id = reader.string("ExclusiveStartShardId");
  request.max_results = reader.integer("MaxResults");
  request.next_token = reader.string("NextToken");
  request.stream_creation_timestamp_ms = reader.timestamp_ms("StreamCreationTimestamp");
  request.stream = read_stream(reader);
  if (auto filter = reader.structure("ShardFilter")) {
    JsonReader members(*filter);
    request.filter_type = members.string("Type");
    request.filter_shard_id = members.string("ShardId");
    request.filter_timestamp_ms = members.timestamp_ms("Timestamp");
    if (!members.status().ok()) return members.status().error();
    if (!request.filter_type) request.filter_type = "";  // present but without Type: "must not be null"
  }
  return finish_reading(reader, std::move(request));
}

ordered_json ListShardsResponse::to_json() const {
  ordered_json out;
  ordered_json list = ordered_json::array();
  for (const auto& shard : shards)
    list.push_back(shard_json(shard));
  out["Shards"] = std::move(list);
  if (next_token) out["NextToken"] = *next_token;
  return out;
}

namespace {

// Whether ShardFilter keeps `shard` (kinesis.md §14): the shards open at a time, or open at it or created
// after it; AT_LATEST the open ones.
Result<bool> filter_keeps(const ListShardsRequest& request, const StreamMeta& meta, const ShardMeta& shard,
                          int64_t now) {
  const std::string& type = request.filter_type.value_or("FROM_TRIM_HORIZON");
  auto open_at = [&](int64_t t) {
    return shard.created_ms <= t && (shard.is_open() || *shard.closed_ms > t);
  };
  auto open_at_or_after = [&](int64_t t) { return shard.is_open() || *shard.closed_ms > t; };
  const int64_t horizon = std::max(meta.expiry_boundary_ms(now), meta.created_ms);
  if (type == "FROM_TRIM_HORIZON") return true;
  if (type == "AT_TRIM_HORIZON") return open_at(horizon);
  if (type == "AT_LATEST") return shard.is_open();
  if (type == "AFTER_SHARD_ID") return shard.id() > *request.filter_shard_id;
  const int64_t t = std::max(*request.filter_timestamp_ms, meta.created_ms);
  return type == "AT_TIMESTAMP" ? open_at(t) : open_at_or_after(t);
}

}  // namespace

Result<ListShardsResponse> list_shards(const Context& context, const ListShardsRequest& request) {
  Validator validator;
  validator.name("exclusiveStartShardId", request.exclusive_start_shard_id, false);
  validator.integer("maxResults", request.max_results, false, 1, kMaxPageLimit);
  validator.string("nextToken", request.next_token, false, Pattern::kNone, 1, 1048576);
  validate_stream(validator, request.stream);
  if (request.filter_type) {
    validator.enumeration("shardFilter.type", *request.filter_type, true,
                          {"AFTER_SHARD_ID", "AT_TRIM_HORIZON", "FROM_TRIM_HORIZON", "AT_LATEST",
                           "AT_TIMESTAMP", "FROM_TIMESTAMP"});
    validator.name("shardFilter.shardId", request.filter_shard_id, false);
  }
  KDS_TRY(validator.finish());
  const bool named = request.stream.name || request.stream.arn;
  if (!named && !request.next_token) {
    return Error(Errc::kInvalidArgument, "Either NextToken or StreamName should be provided.");
  }
  if (named && request.next_token) {
    return Error(Errc::kInvalidArgument, "NextToken and StreamName cannot be provided together.");
  }
  const std::string& type = request.filter_type.value_or("");
  if (type == "AFTER_SHARD_ID" && !request.filter_shard_id) {
    return Error(Errc::kInvalidArgument, "ShardFilter of type AFTER_SHARD_ID needs a ShardId.");
  }
  if ((type == "AT_TIMESTAMP" || type == "FROM_TIMESTAMP") && !request.filter_timestamp_ms) {
    return Error(Errc::kInvalidArgument, fmt::format("ShardFilter of type {} needs a Timestamp.", type));
  }
  std::string name;
  std::optional<std::string> after = request.exclusive_start_shard_id;
  std::optional<int64_t> created = request.stream_creation_timestamp_ms;
  if (request.next_token) {
    KDS_ASSIGN(Token token, parse_token('S', *request.next_token));
    name = token.stream;
    after = token.last;
    created = token.created_ms;
  } else {
    KDS_ASSIGN(name, stream_name(request.stream));
  }
  KDS_ASSIGN(Stream stream, context.store->open_stream(name));
  const StreamMeta& meta = stream.meta();
  if (created && *created != meta.created_ms) {
    // The name was deleted and created again since the token or timestamp was taken.
    return stream_not_found(name);
  }
  const int64_t now = now_ms();
  const size_t limit = static_cast<size_t>(request.max_results.value_or(kListShardsPage));
  ListShardsResponse response;
  for (auto& shard : listed_shards(meta, now)) {
    if (after && shard.id() <= *after) continue;
    KDS_ASSIGN(bool keep, filter_keeps(request, meta, shard, now));
    if (!keep) continue;
    if (response.shards.size() == limit) {
      response.next_token = make_token('S', meta.created_ms, response.shards.back().id(), name);
      break;
    }
    response.shards.push_back(std::move(shard));
  }
  return response;
}

}  // namespace kds::api
