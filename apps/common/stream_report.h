// What kds-describe-stream prints: DescribeStream's answer with per-shard statistics beside it (JSON), or
// a table for people (text).
#pragma once

#include <string>

#include "kds/remote/client.h"
#include "kds/status.h"
#include "kds/store.h"

namespace kds::cli {

// DescribeStream's answer, every page of shards (as `aws kinesis describe-stream` pages through them),
// with "ShardStatistics" beside StreamDescription, which keeps exactly the AWS shape.
Result<std::string> describe_json(const Store& store, const Stream& stream);

// Settings, then per shard its state, record count, bytes, arrival times, parents, ranges and numbers.
Result<std::string> describe_text(const Stream& stream);

// A stream of a Kinesis endpoint: DescribeStream's answer (every page) with "Endpoint" beside
// StreamDescription, as JSON or as the text form above without the statistics only a store has.
Result<std::string> describe_remote_json(remote::Client& client, const std::string& stream);
Result<std::string> describe_remote_text(remote::Client& client, const std::string& stream);

}  // namespace kds::cli
