// Enable- and DisableEnhancedMonitoring: which shard-level metrics a stream has enabled, kept in its
// attributes.json and shown by DescribeStream and DescribeStreamSummary. The setting is kept as Kinesis
// keeps it; kds records no CloudWatch metrics yet.
#include <algorithm>

#include "common.h"
#include "kds/stream_attributes.h"

namespace kds::api {

namespace {

// The model's order, which answers keep whatever order a request gave.
const std::vector<std::string_view> kMetrics = {
    "IncomingBytes",
    "IncomingRecords",
    "OutgoingBytes",
    "OutgoingRecords",
    "WriteProvisionedThroughputExceeded",
    "ReadProvisionedThroughputExceeded",
    "IteratorAgeMilliseconds",
};

bool named(const std::vector<std::string>& metrics, std::string_view metric) {
  return std::find(metrics.begin(), metrics.end(), metric) != metrics.end() ||
         std::find(metrics.begin(), metrics.end(), "ALL") != metrics.end();
}

Result<EnhancedMonitoringResponse> change_monitoring(const Context& context,
                                                     const EnhancedMonitoringRequest& request, bool enable) {
  std::vector<std::string_view> values = kMetrics;
  values.push_back("ALL");
  Validator validator;
  validate_stream(validator, request.stream);
  validator.enumeration_list("shardLevelMetrics", request.shard_level_metrics, true, kMetrics.size(), values);
  KDS_TRY(validator.finish());
  KDS_ASSIGN(Stream stream, open_stream(context, request.stream));
  EnhancedMonitoringResponse response;
  response.stream_name = stream.name();
  KDS_TRY(change_attributes(stream, [&](StreamAttributes& attributes) -> Status {
    response.current = attributes.shard_level_metrics;
    std::vector<std::string> desired;
    for (auto metric : kMetrics) {
      const bool on = named(attributes.shard_level_metrics, metric);
      const bool asked = named(*request.shard_level_metrics, metric);
      if (enable ? on || asked : on && !asked) desired.emplace_back(metric);
    }
    attributes.shard_level_metrics = desired;
    response.desired = std::move(desired);
    return {};
  }));
  return response;
}

}  // namespace

Result<EnhancedMonitoringRequest> EnhancedMonitoringRequest::from_json(Body body) {
  JsonReader reader(body);
  EnhancedMonitoringRequest request;
  request.stream = read_stream(reader);
  request.shard_level_metrics = reader.string_list("ShardLevelMetrics");
  return finish_reading(reader, std::move(request));
}

ordered_json EnhancedMonitoringResponse::to_json() const {
  return {{"StreamName", stream_name},
          {"CurrentShardLevelMetrics", current},
          {"DesiredShardLevelMetrics", desired},
          {"StreamARN", stream_arn(stream_name)}};
}

Result<EnhancedMonitoringResponse> enable_enhanced_monitoring(const Context& context,
                                                              const EnhancedMonitoringRequest& request) {
  return change_monitoring(context, request, true);
}

Result<EnhancedMonitoringResponse> disable_enhanced_monitoring(const Context& context,
                                                               const EnhancedMonitoringRequest& request) {
  return change_monitoring(context, request, false);
}

}  // namespace kds::api
