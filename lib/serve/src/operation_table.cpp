#include "operation_table.h"

#include <algorithm>
#include <array>
#include <utility>

namespace kds::serve {

namespace {

using api::Body;
using api::Context;

// Reads Request from the body and calls `call`; its response goes out through to_json_text() or
// to_json(), a Status or a result with no wire output (split, merge) as no body.
template <class Request, auto call>
OperationResult perform(const Context& context, Body body) {
  KDS_ASSIGN(Request request, Request::from_json(body));
  auto outcome = call(context, request);
  if (!outcome.ok()) return outcome.error();
  if constexpr (requires { outcome->to_json_text(); }) {
    return std::optional<std::string>(outcome->to_json_text());
  } else if constexpr (requires { outcome->to_json(); }) {
    return std::optional<std::string>(outcome->to_json().dump());
  } else {
    return std::optional<std::string>();
  }
}

struct Entry {
  std::string_view name;
  Operation operation;
};

// Sorted by name, for the binary search.
constexpr std::array kOperations = {
    Entry{"AddTagsToStream", perform<api::AddTagsToStreamRequest, api::add_tags_to_stream>},
    Entry{"CreateStream", perform<api::CreateStreamRequest, api::create_stream>},
    Entry{"DecreaseStreamRetentionPeriod",
          perform<api::RetentionPeriodRequest, api::decrease_stream_retention_period>},
    Entry{"DeleteResourcePolicy", perform<api::ResourcePolicyRequest, api::delete_resource_policy>},
    Entry{"DeleteStream", perform<api::DeleteStreamRequest, api::delete_stream>},
    Entry{"DeregisterStreamConsumer", perform<api::ConsumerRequest, api::deregister_stream_consumer>},
    Entry{"DescribeAccountSettings",
          perform<api::DescribeAccountSettingsRequest, api::describe_account_settings>},
    Entry{"DescribeLimits", perform<api::DescribeLimitsRequest, api::describe_limits>},
    Entry{"DescribeStream", perform<api::DescribeStreamRequest, api::describe_stream>},
    Entry{"DescribeStreamConsumer", perform<api::ConsumerRequest, api::describe_stream_consumer>},
    Entry{"DescribeStreamSummary", perform<api::DescribeStreamSummaryRequest, api::describe_stream_summary>},
    Entry{"DisableEnhancedMonitoring",
          perform<api::EnhancedMonitoringRequest, api::disable_enhanced_monitoring>},
    Entry{"EnableEnhancedMonitoring",
          perform<api::EnhancedMonitoringRequest, api::enable_enhanced_monitoring>},
    Entry{"GetRecords", perform<api::GetRecordsRequest, api::get_records>},
    Entry{"GetResourcePolicy", perform<api::ResourcePolicyRequest, api::get_resource_policy>},
    Entry{"GetShardIterator", perform<api::GetShardIteratorRequest, api::get_shard_iterator>},
    Entry{"IncreaseStreamRetentionPeriod",
          perform<api::RetentionPeriodRequest, api::increase_stream_retention_period>},
    Entry{"ListShards", perform<api::ListShardsRequest, api::list_shards>},
    Entry{"ListStreamConsumers", perform<api::ListStreamConsumersRequest, api::list_stream_consumers>},
    Entry{"ListStreams", perform<api::ListStreamsRequest, api::list_streams>},
    Entry{"ListTagsForResource", perform<api::ListTagsForResourceRequest, api::list_tags_for_resource>},
    Entry{"ListTagsForStream", perform<api::ListTagsForStreamRequest, api::list_tags_for_stream>},
    Entry{"MergeShards", perform<api::MergeShardsRequest, api::merge_shards>},
    Entry{"PutRecord", perform<api::PutRecordRequest, api::put_record>},
    Entry{"PutRecords", perform<api::PutRecordsRequest, api::put_records>},
    Entry{"PutResourcePolicy", perform<api::PutResourcePolicyRequest, api::put_resource_policy>},
    Entry{"RegisterStreamConsumer",
          perform<api::RegisterStreamConsumerRequest, api::register_stream_consumer>},
    Entry{"RemoveTagsFromStream", perform<api::RemoveTagsFromStreamRequest, api::remove_tags_from_stream>},
    Entry{"SplitShard", perform<api::SplitShardRequest, api::split_shard>},
    Entry{"StartStreamEncryption", perform<api::StreamEncryptionRequest, api::start_stream_encryption>},
    Entry{"StopStreamEncryption", perform<api::StreamEncryptionRequest, api::stop_stream_encryption>},
    Entry{"TagResource", perform<api::TagResourceRequest, api::tag_resource>},
    Entry{"UntagResource", perform<api::UntagResourceRequest, api::untag_resource>},
    Entry{"UpdateAccountSettings", perform<api::UpdateAccountSettingsRequest, api::update_account_settings>},
    Entry{"UpdateMaxRecordSize", perform<api::UpdateMaxRecordSizeRequest, api::update_max_record_size>},
    Entry{"UpdateShardCount", perform<api::UpdateShardCountRequest, api::update_shard_count>},
    Entry{"UpdateStreamMode", perform<api::UpdateStreamModeRequest, api::update_stream_mode>},
    Entry{"UpdateStreamWarmThroughput",
          perform<api::UpdateStreamWarmThroughputRequest, api::update_stream_warm_throughput>},
};

}  // namespace

Operation find_operation(std::string_view name) {
  static_assert(std::is_sorted(kOperations.begin(), kOperations.end(),
                               [](const Entry& a, const Entry& b) { return a.name < b.name; }));
  auto it = std::lower_bound(kOperations.begin(), kOperations.end(), name,
                             [](const Entry& entry, std::string_view wanted) { return entry.name < wanted; });
  if (it == kOperations.end() || it->name != name) return nullptr;
  return it->operation;
}

}  // namespace kds::serve
