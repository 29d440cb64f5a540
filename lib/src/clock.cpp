#include "kds/clock.h"

#include <time.h>

#include <utility>

namespace kds {
namespace {
std::function<int64_t()>& test_clock() {
  static std::function<int64_t()> clock;
  return clock;
}
}  // namespace

int64_t now_ms() {
  if (auto& clock = test_clock()) return clock();
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

void set_clock_for_testing(std::function<int64_t()> clock) { test_clock() = std::move(clock); }

}  // namespace kds
