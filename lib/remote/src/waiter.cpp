#include "kds/remote/waiter.h"

#include <algorithm>
#include <chrono>

#include <fmt/format.h>

#include "kds/remote/streams.h"

namespace kds::remote {

Status wait_for_stream(Client& client, const std::string& stream, StreamGoal goal, int64_t timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  std::chrono::milliseconds pause(100);
  std::string status;
  for (;;) {
    auto summary = describe_stream_summary(client, stream);
    if (!summary.ok()) {
      const Errc code = summary.error().code();
      if (goal == StreamGoal::kGone && code == Errc::kResourceNotFound) return {};
      // The change was made: a throttled poll is only a reason to poll again later.
      if (code != Errc::kLimitExceeded && code != Errc::kThroughputExceeded) return summary.error();
    } else {
      status = text_member(*summary, "StreamStatus");
      if (goal == StreamGoal::kActive && status == "ACTIVE") return {};
    }
    if (std::chrono::steady_clock::now() + pause > deadline) break;
    if (!pause_unless_stopped(client.target(), pause)) return stopped_error(client.target());
    pause = std::min(pause * 2, std::chrono::milliseconds(5000));
  }
  return Error(Errc::kResourceInUse,
               fmt::format("stream {} is still {} after {} s; stopped waiting for it to {}", stream, status,
                           timeout_ms / 1000, goal == StreamGoal::kActive ? "become ACTIVE" : "be deleted"));
}

}  // namespace kds::remote
