// The Kinesis operations a store supports, one request type and one function each: the tools, kds-serve
// and the remote client all go through these, so they check the same rules in the same order and say the
// same texts.
//
// A request type holds the members of the operation's input (names as in the API model, absent members
// empty). `from_json` reads a JSON 1.1 body and checks member types (SerializationException); the
// operation function checks constraints (ValidationException), then the operation's own rules, then acts.
// The remote client sends the requests it uses with their `to_json`, the inverse of `from_json` (members
// the operation reads, in the model's order; kds's own members are not sent).
// Responses with members have `to_json`, in the API model's member order, or, where answers are long
// (PutRecords, GetRecords), `to_json_text`, written straight to text; operations without output return a
// Status.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kds/account_settings.h"
#include "kds/api/request.h"
#include "kds/api/shard_iterator.h"
#include "kds/cipher.h"
#include "kds/metadata.h"
#include "kds/producer.h"
#include "kds/report.h"
#include "kds/reshard.h"
#include "kds/shard_reader.h"
#include "kds/status.h"
#include "kds/store.h"

namespace kds::api {

using nlohmann::json;
using nlohmann::ordered_json;

// What an operation runs against. Everything pointed to must outlive the calls that use it.
class ProducerPool;
class KmsKeys;

struct Context {
  const Store* store = nullptr;
  // Key files' keys, for reading and writing encrypted streams.
  std::vector<Key> keys;
  // StartStreamEncryption's KeyId to a key (a tool reads the key file the id names); unset: every KeyId
  // is refused.
  std::function<Result<Key>(std::string_view key_id)> resolve_key;
  // kds-serve's KMS keys (kms_keys.h), which grow while it serves; may be null.
  KmsKeys* kms = nullptr;
  // `keys` and those of `kms` as they are now: what a reader or a new producer is given.
  std::vector<Key> all_keys() const;
  Reporter* reporter = nullptr;
  // Issues and checks shard iterators (GetShardIterator, GetRecords); IteratorCodec::open makes one.
  const IteratorCodec* iterators = nullptr;
  // When PutRecord(s) answer: kBatch after fdatasync (a Kinesis acknowledgement is durable); kInterval and
  // kNone once the records are in the page cache (they survive a crash of the process, not of the
  // machine), kInterval with an fdatasync at least every sync_interval_ms.
  SyncMode sync = SyncMode::kBatch;
  int64_t sync_interval_ms = 1000;
  // Where PutRecord(s) find an open producer (may be null: each request opens its own). Its options, not
  // sync and keys, then decide how records are written.
  ProducerPool* producers = nullptr;
  // The account's shard quota (kds-serve --shard-limit): CreateStream, SplitShard and UpdateShardCount
  // refuse what would take the store's open shards past it, and DescribeLimits reports it. Unset: none
  // (the tools). Checked against a count taken just before the change, so two changes at once may pass
  // it together.
  std::optional<int64_t> shard_limit = std::nullopt;
};

// The stream an operation names: StreamName or StreamARN.
struct StreamRef {
  std::optional<std::string> name;
  std::optional<std::string> arn;
};

// ---- Account ----

struct DescribeLimitsRequest {
  static Result<DescribeLimitsRequest> from_json(Body body);
};
struct DescribeLimitsResponse {
  int64_t shard_limit = 0;  // without a quota, the largest the API can say
  int64_t open_shard_count = 0;
  int64_t on_demand_stream_count = 0;
  int64_t on_demand_stream_count_limit = 0;
  ordered_json to_json() const;
};
Result<DescribeLimitsResponse> describe_limits(const Context& context, const DescribeLimitsRequest& request);

// DescribeAccountSettings and UpdateAccountSettings: the minimum throughput billing commitment, kept in the
// store (account_settings.h), though a local store bills nothing.
struct DescribeAccountSettingsRequest {
  static Result<DescribeAccountSettingsRequest> from_json(Body body);
};
struct UpdateAccountSettingsRequest {
  bool commitment_given = false;  // MinimumThroughputBillingCommitment
  std::optional<std::string> commitment_status;
  static Result<UpdateAccountSettingsRequest> from_json(Body body);
};
struct AccountSettingsResponse {
  BillingCommitment commitment;
  ordered_json to_json() const;
};
Result<AccountSettingsResponse> describe_account_settings(const Context& context,
                                                          const DescribeAccountSettingsRequest& request);
Result<AccountSettingsResponse> update_account_settings(const Context& context,
                                                        const UpdateAccountSettingsRequest& request);

// ---- Streams ----

struct CreateStreamRequest {
  StreamRef stream;
  std::optional<int64_t> shard_count;
  std::optional<std::string> stream_mode;  // StreamModeDetails.StreamMode
  std::optional<StringMap> tags;
  std::optional<int64_t> max_record_kib;  // MaxRecordSizeInKiB
  StreamOptions local;  // kds's own settings, not on the wire; shard_count and max_record_kib are ignored
  static Result<CreateStreamRequest> from_json(Body body);
  ordered_json to_json() const;
};
Status create_stream(const Context& context, const CreateStreamRequest& request);

struct DeleteStreamRequest {
  StreamRef stream;
  std::optional<bool> enforce_consumer_deletion;
  static Result<DeleteStreamRequest> from_json(Body body);
  ordered_json to_json() const;
};
Status delete_stream(const Context& context, const DeleteStreamRequest& request);

struct DescribeStreamRequest {
  StreamRef stream;
  std::optional<int64_t> limit;  // default 100
  std::optional<std::string> exclusive_start_shard_id;
  static Result<DescribeStreamRequest> from_json(Body body);
  ordered_json to_json() const;
};
struct DescribeStreamResponse {
  StreamMeta meta;
  std::vector<ShardMeta> shards;  // unexpired, ascending index, after ExclusiveStartShardId, at most Limit
  bool has_more_shards = false;
  std::vector<std::string> shard_level_metrics;
  // The KeyId of the stream's key as the server knows it (KmsKeys::key_id_of); empty: "fingerprint:" and
  // the key's fingerprint.
  std::string key_id;
  ordered_json to_json() const;
};
Result<DescribeStreamResponse> describe_stream(const Context& context, const DescribeStreamRequest& request);

struct DescribeStreamSummaryRequest {
  StreamRef stream;
  static Result<DescribeStreamSummaryRequest> from_json(Body body);
  ordered_json to_json() const;
};
struct DescribeStreamSummaryResponse {
  StreamMeta meta;
  int64_t open_shard_count = 0;
  int64_t consumer_count = 0;
  std::vector<std::string> shard_level_metrics;
  // The KeyId of the stream's key as the server knows it (KmsKeys::key_id_of); empty: "fingerprint:" and
  // the key's fingerprint.
  std::string key_id;
  ordered_json to_json() const;
};
Result<DescribeStreamSummaryResponse> describe_stream_summary(const Context& context,
                                                              const DescribeStreamSummaryRequest& request);

struct ListStreamsRequest {
  std::optional<int64_t> limit;  // default 100
  std::optional<std::string> exclusive_start_stream_name;
  std::optional<std::string> next_token;
  static Result<ListStreamsRequest> from_json(Body body);
  ordered_json to_json() const;
};
struct ListStreamsResponse {
  std::vector<StreamMeta> streams;  // sorted by name
  bool has_more_streams = false;
  std::optional<std::string> next_token;
  ordered_json to_json() const;
};
Result<ListStreamsResponse> list_streams(const Context& context, const ListStreamsRequest& request);

struct ListShardsRequest {
  StreamRef stream;
  std::optional<std::string> next_token;
  std::optional<std::string> exclusive_start_shard_id;
  std::optional<int64_t> max_results;  // default 1000
  std::optional<int64_t> stream_creation_timestamp_ms;
  std::optional<std::string> filter_type;  // ShardFilter.Type
  std::optional<std::string> filter_shard_id;
  std::optional<int64_t> filter_timestamp_ms;
  static Result<ListShardsRequest> from_json(Body body);
};
struct ListShardsResponse {
  std::vector<ShardMeta> shards;
  std::optional<std::string> next_token;
  ordered_json to_json() const;
};
Result<ListShardsResponse> list_shards(const Context& context, const ListShardsRequest& request);

// ---- Records ----

struct PutRecordRequest {
  StreamRef stream;
  std::optional<std::string> data;  // decoded
  std::optional<std::string> partition_key;
  std::optional<std::string> explicit_hash_key;
  std::optional<std::string> sequence_number_for_ordering;
  static Result<PutRecordRequest> from_json(Body body);
};
struct PutRecordResponse {
  uint32_t shard_index = 0;
  uint64_t offset = 0;
  bool encrypted = false;
  ordered_json to_json() const;
};
Result<PutRecordResponse> put_record(const Context& context, const PutRecordRequest& request);

struct PutRecordsEntry {
  std::optional<std::string> data;
  std::optional<std::string> partition_key;
  std::optional<std::string> explicit_hash_key;
};
struct PutRecordsRequest {
  StreamRef stream;
  std::optional<std::vector<PutRecordsEntry>> records;
  static Result<PutRecordsRequest> from_json(Body body);
};
// One entry's outcome: stored, or (when the store failed part-way) an ErrorCode "InternalFailure". Like
// Kinesis's, PutRecords is not atomic; invalid entries fail the whole request before anything is stored.
struct PutRecordsResult {
  std::optional<PutRecordResponse> stored;
  std::string error_code;
  std::string error_message;
};
struct PutRecordsResponse {
  std::vector<PutRecordsResult> records;  // in request order
  int64_t failed_record_count = 0;
  bool encrypted = false;
  std::string to_json_text() const;
};
Result<PutRecordsResponse> put_records(const Context& context, const PutRecordsRequest& request);

struct GetShardIteratorRequest {
  StreamRef stream;
  std::optional<std::string> shard_id;
  std::optional<std::string> shard_iterator_type;
  std::optional<std::string> starting_sequence_number;
  std::optional<int64_t> timestamp_ms;
  static Result<GetShardIteratorRequest> from_json(Body body);
};
struct GetShardIteratorResponse {
  ShardIterator position;
  std::string shard_iterator;  // `position`, encoded
  ordered_json to_json() const;
};
Result<GetShardIteratorResponse> get_shard_iterator(const Context& context,
                                                    const GetShardIteratorRequest& request);

struct GetRecordsRequest {
  std::optional<std::string> shard_iterator;
  std::optional<int64_t> limit;  // default 10000
  static Result<GetRecordsRequest> from_json(Body body);
  ordered_json to_json() const;
};
struct StoredRecord {
  uint64_t offset = 0;
  int64_t arrival_ms = 0;
  bool encrypted = false;
  std::string key;
  std::string data;
};
struct GetRecordsResponse {
  uint32_t shard_index = 0;
  std::vector<StoredRecord> records;
  std::optional<std::string> next_shard_iterator;  // none once a closed shard has been read to its end
  int64_t millis_behind_latest = 0;
  std::vector<ShardMeta> child_shards;  // when a closed shard's end was reached
  std::string to_json_text() const;
};
Result<GetRecordsResponse> get_records(const Context& context, const GetRecordsRequest& request);
// GetRecords' and SubscribeToShard's pieces of JSON: `records` of `shard_index` as a Records list appended to
// `out`, and a ChildShards list.
void append_records_json(uint32_t shard_index, const std::vector<StoredRecord>& records, std::string* out);
std::string child_shards_json(const std::vector<ShardMeta>& children);

// ---- Shards and settings ----

struct SplitShardRequest {
  StreamRef stream;
  std::optional<std::string> shard_to_split;
  std::optional<std::string> new_starting_hash_key;
  bool midpoint_when_absent = false;  // kds's own: split at the midpoint without NewStartingHashKey
  static Result<SplitShardRequest> from_json(Body body);
  ordered_json to_json() const;
};
// The children (not on the wire: SplitShard has no output).
Result<SplitResult> split_shard(const Context& context, const SplitShardRequest& request);

struct MergeShardsRequest {
  StreamRef stream;
  std::optional<std::string> shard_to_merge;
  std::optional<std::string> adjacent_shard_to_merge;
  static Result<MergeShardsRequest> from_json(Body body);
  ordered_json to_json() const;
};
// The child (not on the wire: MergeShards has no output).
Result<uint32_t> merge_shards(const Context& context, const MergeShardsRequest& request);

struct UpdateShardCountRequest {
  StreamRef stream;
  std::optional<int64_t> target_shard_count;
  std::optional<std::string> scaling_type;
  static Result<UpdateShardCountRequest> from_json(Body body);
  ordered_json to_json() const;
};
struct UpdateShardCountResponse {
  std::string stream_name;
  int64_t current_shard_count = 0;
  int64_t target_shard_count = 0;
  std::vector<uint32_t> open_shards;  // in hash-key order (not on the wire)
  ordered_json to_json() const;
};
Result<UpdateShardCountResponse> update_shard_count(const Context& context,
                                                    const UpdateShardCountRequest& request);

// Increase- and DecreaseStreamRetentionPeriod.
struct RetentionPeriodRequest {
  StreamRef stream;
  std::optional<int64_t> retention_period_hours;
  static Result<RetentionPeriodRequest> from_json(Body body);
  ordered_json to_json() const;
};
Status increase_stream_retention_period(const Context& context, const RetentionPeriodRequest& request);
Status decrease_stream_retention_period(const Context& context, const RetentionPeriodRequest& request);

// Start- and StopStreamEncryption.
struct StreamEncryptionRequest {
  StreamRef stream;
  std::optional<std::string> encryption_type;
  std::optional<std::string> key_id;
  static Result<StreamEncryptionRequest> from_json(Body body);
  ordered_json to_json() const;
};
Status start_stream_encryption(const Context& context, const StreamEncryptionRequest& request);
Status stop_stream_encryption(const Context& context, const StreamEncryptionRequest& request);

// ---- Tags (of streams, and of consumers through TagResource and its siblings) ----

struct AddTagsToStreamRequest {
  StreamRef stream;
  std::optional<StringMap> tags;
  static Result<AddTagsToStreamRequest> from_json(Body body);
};
Status add_tags_to_stream(const Context& context, const AddTagsToStreamRequest& request);

struct RemoveTagsFromStreamRequest {
  StreamRef stream;
  std::optional<std::vector<std::string>> tag_keys;
  static Result<RemoveTagsFromStreamRequest> from_json(Body body);
};
Status remove_tags_from_stream(const Context& context, const RemoveTagsFromStreamRequest& request);

struct ListTagsForStreamRequest {
  StreamRef stream;
  std::optional<std::string> exclusive_start_tag_key;
  std::optional<int64_t> limit;
  static Result<ListTagsForStreamRequest> from_json(Body body);
};
struct ListTagsResponse {  // ListTagsForStream's (with HasMoreTags) and ListTagsForResource's
  StringMap tags;          // in key order
  std::optional<bool> has_more_tags;
  ordered_json to_json() const;
};
Result<ListTagsResponse> list_tags_for_stream(const Context& context,
                                              const ListTagsForStreamRequest& request);

struct TagResourceRequest {
  std::optional<std::string> resource_arn;
  std::optional<StringMap> tags;
  static Result<TagResourceRequest> from_json(Body body);
};
Status tag_resource(const Context& context, const TagResourceRequest& request);

struct UntagResourceRequest {
  std::optional<std::string> resource_arn;
  std::optional<std::vector<std::string>> tag_keys;
  static Result<UntagResourceRequest> from_json(Body body);
};
Status untag_resource(const Context& context, const UntagResourceRequest& request);

struct ListTagsForResourceRequest {
  std::optional<std::string> resource_arn;
  static Result<ListTagsForResourceRequest> from_json(Body body);
};
Result<ListTagsResponse> list_tags_for_resource(const Context& context,
                                                const ListTagsForResourceRequest& request);

// ---- Consumers (enhanced fan-out) ----

// A consumer named by ConsumerARN, or by StreamARN and ConsumerName (Describe- and
// DeregisterStreamConsumer accept either, or all three when they agree).
struct ConsumerRef {
  std::optional<std::string> stream_arn;
  std::optional<std::string> consumer_name;
  std::optional<std::string> consumer_arn;
};

struct ConsumerSummary {  // the model's Consumer and ConsumerDescription
  std::string stream;
  std::string name;
  int64_t created_ms = 0;
  std::string status = "ACTIVE";
  std::string arn() const;  // {stream ARN}/consumer/{name}:{created seconds}
  ordered_json to_json(bool with_stream_arn) const;
};

struct RegisterStreamConsumerRequest {
  std::optional<std::string> stream_arn;
  std::optional<std::string> consumer_name;
  std::optional<StringMap> tags;
  static Result<RegisterStreamConsumerRequest> from_json(Body body);
};
struct RegisterStreamConsumerResponse {
  ConsumerSummary consumer;
  ordered_json to_json() const;
};
Result<RegisterStreamConsumerResponse> register_stream_consumer(const Context& context,
                                                                const RegisterStreamConsumerRequest& request);

struct ConsumerRequest {  // DescribeStreamConsumer's and DeregisterStreamConsumer's
  ConsumerRef consumer;
  static Result<ConsumerRequest> from_json(Body body);
};
struct DescribeStreamConsumerResponse {
  ConsumerSummary consumer;
  ordered_json to_json() const;
};
Result<DescribeStreamConsumerResponse> describe_stream_consumer(const Context& context,
                                                                const ConsumerRequest& request);
Status deregister_stream_consumer(const Context& context, const ConsumerRequest& request);

struct ListStreamConsumersRequest {
  std::optional<std::string> stream_arn;
  std::optional<std::string> next_token;
  std::optional<int64_t> max_results;
  std::optional<int64_t> stream_creation_timestamp_ms;
  static Result<ListStreamConsumersRequest> from_json(Body body);
};
struct ListStreamConsumersResponse {
  std::vector<ConsumerSummary> consumers;  // by name
  std::optional<std::string> next_token;
  ordered_json to_json() const;
};
Result<ListStreamConsumersResponse> list_stream_consumers(const Context& context,
                                                          const ListStreamConsumersRequest& request);

// ---- Resource policies (kept, not enforced: kds has no IAM) ----

struct PutResourcePolicyRequest {
  std::optional<std::string> resource_arn;
  std::optional<std::string> policy;
  static Result<PutResourcePolicyRequest> from_json(Body body);
};
Status put_resource_policy(const Context& context, const PutResourcePolicyRequest& request);

struct ResourcePolicyRequest {  // GetResourcePolicy's and DeleteResourcePolicy's
  std::optional<std::string> resource_arn;
  static Result<ResourcePolicyRequest> from_json(Body body);
};
struct GetResourcePolicyResponse {
  std::string policy;  // "{}" when none is attached
  ordered_json to_json() const;
};
Result<GetResourcePolicyResponse> get_resource_policy(const Context& context,
                                                      const ResourcePolicyRequest& request);
Status delete_resource_policy(const Context& context, const ResourcePolicyRequest& request);

// ---- Enhanced monitoring (the setting is kept and described; kds records no CloudWatch metrics yet) ----

struct EnhancedMonitoringRequest {  // Enable- and DisableEnhancedMonitoring's
  StreamRef stream;
  std::optional<std::vector<std::string>> shard_level_metrics;
  static Result<EnhancedMonitoringRequest> from_json(Body body);
};
struct EnhancedMonitoringResponse {
  std::string stream_name;
  std::vector<std::string> current;  // before the change
  std::vector<std::string> desired;  // after it
  ordered_json to_json() const;
};
Result<EnhancedMonitoringResponse> enable_enhanced_monitoring(const Context& context,
                                                              const EnhancedMonitoringRequest& request);
Result<EnhancedMonitoringResponse> disable_enhanced_monitoring(const Context& context,
                                                               const EnhancedMonitoringRequest& request);

// ---- Capacity mode (every kds stream is PROVISIONED: on-demand scaling is not built yet) ----

struct UpdateStreamModeRequest {
  std::optional<std::string> stream_arn;
  std::optional<std::string> stream_mode;  // StreamModeDetails.StreamMode
  std::optional<int64_t> warm_throughput_mibps;
  static Result<UpdateStreamModeRequest> from_json(Body body);
};
Status update_stream_mode(const Context& context, const UpdateStreamModeRequest& request);

// ---- Record size ----

struct UpdateMaxRecordSizeRequest {
  std::optional<std::string> stream_arn;
  std::optional<int64_t> max_record_kib;  // MaxRecordSizeInKiB
  static Result<UpdateMaxRecordSizeRequest> from_json(Body body);
};
// Changes the stream's maximum record size (1024..10240 KiB) at once: kds needs no UPDATING state for it.
Status update_max_record_size(const Context& context, const UpdateMaxRecordSizeRequest& request);

struct UpdateStreamWarmThroughputRequest {
  StreamRef stream;
  std::optional<int64_t> warm_throughput_mibps;
  static Result<UpdateStreamWarmThroughputRequest> from_json(Body body);
};
Status update_stream_warm_throughput(const Context& context,
                                     const UpdateStreamWarmThroughputRequest& request);

}  // namespace kds::api
