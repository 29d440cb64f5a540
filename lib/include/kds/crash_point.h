// Named points where a test can make the process die as if killed with SIGKILL, to check that every
// intermediate state a crash can leave is recoverable. Set KDS_CRASH_AT=<name> in the environment; the
// process kills itself the first time it reaches that point. Costs one cached comparison otherwise.
#pragma once

namespace kds {

void crash_point(const char* name);

}  // namespace kds
