// Waiting for a change AWS finishes asynchronously (CreateStream, DeleteStream, resharding, encryption),
// as the AWS CLI's stream-exists and stream-not-exists waiters do.
#pragma once

#include <cstdint>
#include <string>

#include "kds/remote/client.h"
#include "kds/status.h"

namespace kds::remote {

enum class StreamGoal {
  kActive,  // the stream's status is ACTIVE
  kGone,    // DescribeStreamSummary answers ResourceNotFoundException
};

// Polls DescribeStreamSummary at once, then after 100 ms and at doubling intervals of at most 5 s, until
// `goal` is reached. Fails with the endpoint's error, or with ResourceInUseException after `timeout_ms`
// (naming the status the stream was left in).
Status wait_for_stream(Client& client, const std::string& stream, StreamGoal goal,
                       int64_t timeout_ms = 600'000);

}  // namespace kds::remote
