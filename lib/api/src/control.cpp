// SplitShard, MergeShards, UpdateShardCount, Increase/DecreaseStreamRetentionPeriod,
// Start/StopStreamEncryption: the request rules; reshard.h, retention.h and stream_settings.h act.
// UpdateStreamMode and UpdateStreamWarmThroughput: every kds stream is PROVISIONED (on-demand scaling is
// not built yet), so they change nothing or say why not.
#include <fmt/format.h>

#include <limits>

#include "common.h"
#include "kds/errors.h"
#include "kds/reshard.h"
#include "kds/retention.h"
#include "kds/stream_settings.h"
#include "kds/validate.h"

namespace kds::api {

Result<SplitShardRequest> SplitShardRequest::from_json(Body body) {
  JsonReader reader(body);
  SplitShardRequest request;
  request.new_starting_hash_key = reader.string("NewStartingHashKey");
  request.stream = read_stream(reader);
  request.shard_to_split = reader.string("ShardToSplit");
  return finish_reading(reader, std::move(request));
}

ordered_json SplitShardRequest::to_json() const {
  ordered_json out = ordered_json::object();
  put_member(&out, "NewStartingHashKey", new_starting_hash_key);
  put_stream(&out, stream);
  put_member(&out, "ShardToSplit", shard_to_split);
  return out;
}

Result<SplitResult> split_shard(const Context& context, const SplitShardRequest& request) {
  Validator validator;
  validator.string("newStartingHashKey", request.new_starting_hash_key, !request.midpoint_when_absent,
                   Pattern::kHashKey, 0, 0);
  validate_stream(validator, request.stream);
  validator.name("shardToSplit", request.shard_to_split, true);
  KDS_TRY(validator.finish());
  KDS_ASSIGN(std::string name, stream_name(request.stream));
  std::optional<std::string_view> key;
  if (request.new_starting_hash_key) key = *request.new_starting_hash_key;
  KDS_TRY(check_shard_limit(context, 1));  // one shard closes, two open
  return kds::split_shard(*context.store, name, *request.shard_to_split, key, context.reporter);
}

Result<MergeShardsRequest> MergeShardsRequest::from_json(Body body) {
  JsonReader reader(body);
  MergeShardsRequest request;
  request.shard_to_merge = reader.string("ShardToMerge");
  request.adjacent_shard_to_merge = reader.string("AdjacentShardToMerge");
  request.stream = read_stream(reader);
  return finish_reading(reader, std::move(request));
}

ordered_json MergeShardsRequest::to_json() const {
  ordered_json out = ordered_json::object();
  put_member(&out, "ShardToMerge", shard_to_merge);
  put_member(&out, "AdjacentShardToMerge", adjacent_shard_to_merge);
  put_stream(&out, stream);
  return out;
}

Result<uint32_t> merge_shards(const Context& context, const MergeShardsRequest& request) {
  Validator validator;
  validator.name("shardToMerge", request.shard_to_merge, true);
  validator.name("adjacentShardToMerge", request.adjacent_shard_to_merge, true);
  validate_stream(validator, request.stream);
  KDS_TRY(validator.finish());
  KDS_ASSIGN(std::string name, stream_name(request.stream));
  return kds::merge_shards(*context.store, name, *request.shard_to_merge, *request.adjacent_shard_to_merge,
                           context.reporter);
}

Result<UpdateShardCountRequest> UpdateShardCountRequest::from_json(Body body) {
  JsonReader reader(body);
  UpdateShardCountRequest request;
  request.target_shard_count = reader.integer("TargetShardCount");
  request.scaling_type = reader.string("ScalingType");
  request.stream = read_stream(reader);
  return finish_reading(reader, std::move(request));
}

ordered_json UpdateShardCountRequest::to_json() const {
  ordered_json out = ordered_json::object();
  put_member(&out, "TargetShardCount", target_shard_count);
  put_member(&out, "ScalingType", scaling_type);
  put_stream(&out, stream);
  return out;
}

ordered_json UpdateShardCountResponse::to_json() const {
  return {{"StreamName", stream_name},
          {"CurrentShardCount", current_shard_count},
          {"TargetShardCount", target_shard_count},
          {"StreamARN", stream_arn(stream_name)}};
}

Result<UpdateShardCountResponse> update_shard_count(const Context& context,
                                                    const UpdateShardCountRequest& request) {
  Validator validator;
  validator.integer("targetShardCount", request.target_shard_count, true, 1, kMaxShardCountMember);
  validator.enumeration("scalingType", request.scaling_type, true, {"UNIFORM_SCALING"});
  validate_stream(validator, request.stream);
  KDS_TRY(validator.finish());
  UpdateShardCountResponse response;
  KDS_ASSIGN(response.stream_name, stream_name(request.stream));
  KDS_ASSIGN(Stream before, context.store->open_stream(response.stream_name));
  response.current_shard_count = static_cast<int64_t>(before.meta().open_shards().size());
  response.target_shard_count = *request.target_shard_count;
  KDS_TRY(check_shard_limit(context, response.target_shard_count - response.current_shard_count));
  KDS_ASSIGN(response.open_shards, kds::update_shard_count(*context.store, response.stream_name,
                                                           response.target_shard_count, context.reporter));
  return response;
}

Result<RetentionPeriodRequest> RetentionPeriodRequest::from_json(Body body) {
  JsonReader reader(body);
  RetentionPeriodRequest request;
  request.retention_period_hours = reader.integer("RetentionPeriodHours");
  request.stream = read_stream(reader);
  return finish_reading(reader, std::move(request));
}

ordered_json RetentionPeriodRequest::to_json() const {
  ordered_json out = ordered_json::object();
  put_member(&out, "RetentionPeriodHours", retention_period_hours);
  put_stream(&out, stream);
  return out;
}

namespace {

// `raise` tells Increase from Decrease: each refuses to move the period the other way.
Status change_retention(const Context& context, const RetentionPeriodRequest& request, bool raise) {
  Validator validator;
  validator.integer("retentionPeriodHours", request.retention_period_hours, true, 1, INT32_MAX);
  validate_stream(validator, request.stream);
  KDS_TRY(validator.finish());
  KDS_ASSIGN(std::string name, stream_name(request.stream));
  const int64_t hours = *request.retention_period_hours;
  KDS_TRY(validate_retention_hours(hours));
  KDS_ASSIGN(Stream stream, context.store->open_stream(name));
  const int64_t current = stream.meta().retention_hours;
  if (raise && hours < current) {
    return Error(
        Errc::kInvalidArgument,
        fmt::format("Requested retention period ({} hours) for stream {} can not be shorter than existing "
                    "retention period ({} hours). Use DecreaseRetentionPeriod API.",
                    hours, name, current));
  }
  if (!raise && hours > current) {
    return Error(
        Errc::kInvalidArgument,
        fmt::format("Requested retention period ({} hours) for stream {} can not be longer than existing "
                    "retention period ({} hours). Use IncreaseRetentionPeriod API.",
                    hours, name, current));
  }
  return set_retention(*context.store, name, hours, std::nullopt, context.reporter);
}

}  // namespace

Status increase_stream_retention_period(const Context& context, const RetentionPeriodRequest& request) {
  return change_retention(context, request, true);
}

Status decrease_stream_retention_period(const Context& context, const RetentionPeriodRequest& request) {
  return change_retention(context, request, false);
}

Result<StreamEncryptionRequest> StreamEncryptionRequest::from_json(Body body) {
  JsonReader reader(body);
  StreamEncryptionRequest request;
  request.encryption_type = reader.string("EncryptionType");
  request.key_id = reader.string("KeyId");
  request.stream = read_stream(reader);
  return finish_reading(reader, std::move(request));
}

ordered_json StreamEncryptionRequest::to_json() const {
  ordered_json out = ordered_json::object();
  put_member(&out, "EncryptionType", encryption_type);
  put_member(&out, "KeyId", key_id);
  put_stream(&out, stream);
  return out;
}

namespace {
Result<std::string> check_encryption_request(const StreamEncryptionRequest& request) {
  Validator validator;
  validator.enumeration("encryptionType", request.encryption_type, true, {"NONE", "KMS"});
  validator.string("keyId", request.key_id, true, Pattern::kNone, 1, 2048);
  validate_stream(validator, request.stream);
  KDS_TRY(validator.finish());
  if (*request.encryption_type != "KMS") {
    return Error(Errc::kInvalidArgument,
                 fmt::format("EncryptionType {} is not supported; the only supported type is KMS",
                             *request.encryption_type));
  }
  return stream_name(request.stream);
}
}  // namespace

Status start_stream_encryption(const Context& context, const StreamEncryptionRequest& request) {
  KDS_ASSIGN(std::string name, check_encryption_request(request));
  if (!context.resolve_key) {
    return Error(Errc::kInvalidArgument,
                 fmt::format("KeyId {} names no key this store was given", *request.key_id));
  }
  KDS_ASSIGN(Key key, context.resolve_key(*request.key_id));
  return start_encryption(*context.store, name, key);
}

Status stop_stream_encryption(const Context& context, const StreamEncryptionRequest& request) {
  KDS_ASSIGN(std::string name, check_encryption_request(request));
  return stop_encryption(*context.store, name);
}

Result<UpdateStreamModeRequest> UpdateStreamModeRequest::from_json(Body body) {
  JsonReader reader(body);
  UpdateStreamModeRequest request;
  request.stream_arn = reader.string("StreamARN");
  if (auto details = reader.structure("StreamModeDetails")) {
    JsonReader mode(*details);
    request.stream_mode = mode.string("StreamMode");
    if (!mode.status().ok()) return mode.status().error();
  }
  request.warm_throughput_mibps = reader.integer("WarmThroughputMiBps");
  return finish_reading(reader, std::move(request));
}

Status update_stream_mode(const Context& context, const UpdateStreamModeRequest& request) {
  Validator validator;
  validator.string("streamARN", request.stream_arn, true, Pattern::kStreamArn, 1, kMaxArnLength);
  validator.enumeration("streamModeDetails.streamMode", request.stream_mode, true,
                        {"PROVISIONED", "ON_DEMAND"});
  validator.integer("warmThroughputMiBps", request.warm_throughput_mibps, false, 0,
                    std::numeric_limits<int32_t>::max());
  KDS_TRY(validator.finish());
  KDS_ASSIGN(Stream stream, open_stream(context, StreamRef{std::nullopt, request.stream_arn}));
  if (*request.stream_mode == "ON_DEMAND") return on_demand_unsupported();
  if (request.warm_throughput_mibps) return warm_throughput_unsupported();
  return {};  // PROVISIONED already: nothing changes
}

Result<UpdateMaxRecordSizeRequest> UpdateMaxRecordSizeRequest::from_json(Body body) {
  JsonReader reader(body);
  UpdateMaxRecordSizeRequest request;
  request.stream_arn = reader.string("StreamARN");
  request.max_record_kib = reader.integer("MaxRecordSizeInKiB");
  return finish_reading(reader, std::move(request));
}

Status update_max_record_size(const Context& context, const UpdateMaxRecordSizeRequest& request) {
  Validator validator;
  validator.string("streamARN", request.stream_arn, false, Pattern::kStreamArn, 1, kMaxArnLength);
  validator.integer("maxRecordSizeInKiB", request.max_record_kib, true, kDefaultMaxRecordKiB,
                    kLargestMaxRecordKiB);
  KDS_TRY(validator.finish());
  KDS_ASSIGN(std::string name, stream_name(StreamRef{std::nullopt, request.stream_arn}));
  return set_max_record_size(*context.store, name, *request.max_record_kib);
}

Result<UpdateStreamWarmThroughputRequest> UpdateStreamWarmThroughputRequest::from_json(Body body) {
  JsonReader reader(body);
  UpdateStreamWarmThroughputRequest request;
  request.stream = read_stream(reader);
  request.warm_throughput_mibps = reader.integer("WarmThroughputMiBps");
  return finish_reading(reader, std::move(request));
}

Status update_stream_warm_throughput(const Context& context,
                                     const UpdateStreamWarmThroughputRequest& request) {
  Validator validator;
  validate_stream(validator, request.stream);
  validator.integer("warmThroughputMiBps", request.warm_throughput_mibps, true, 0,
                    std::numeric_limits<int32_t>::max());
  KDS_TRY(validator.finish());
  KDS_ASSIGN(Stream stream, open_stream(context, request.stream));
  return warm_throughput_unsupported();  // every kds stream is PROVISIONED
}

}  // namespace kds::api
