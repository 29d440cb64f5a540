// The one clock of the library. Arrival timestamps, segment ages and retention all read it, so unit tests
// can drive time; CLI tests move it with libfaketime.
#pragma once

#include <cstdint>
#include <functional>

namespace kds {

// Milliseconds since the Unix epoch (CLOCK_REALTIME unless overridden).
int64_t now_ms();

// Replaces the clock for this process; pass nullptr to restore the real one. Not thread-safe: call it
// before starting threads that read the clock.
void set_clock_for_testing(std::function<int64_t()> clock);

}  // namespace kds
