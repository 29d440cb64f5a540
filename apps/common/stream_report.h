// What kds-describe-stream prints: DescribeStream's answer with per-shard statistics beside it (JSON), or
// a table for people (text).
#pragma once

#include <string>

#include "kds/status.h"
#include "kds/store.h"

namespace kds::cli {

// DescribeStream's answer, every page of shards (as `aws kinesis describe-stream` pages through them),
// with "ShardStatistics" beside StreamDescription, which keeps exactly the AWS shape.
Result<std::string> describe_json(const Store& store, const Stream& stream);

// Settings, then per shard its state, record count, bytes, arrival times, parents, ranges and numbers.
Result<std::string> describe_text(const Stream& stream);

}  // namespace kds::cli
