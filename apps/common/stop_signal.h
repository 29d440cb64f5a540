// Stopping on SIGINT and SIGTERM from a loop: the handlers only note the signal (no SA_RESTART, so a
// wait in poll is interrupted), the loop sees it between records and finishes what it holds, and the
// tool then ends the way the signal would have ended it, as tail and cat do.
#pragma once

namespace kds::cli {

void install_stop_handlers();
// The signal received since install_stop_handlers, 0 if none.
int stop_signal();
// Ends the process by `signal` with its default action (quietly, with the status a shell reports for it).
[[noreturn]] void die_of(int signal);

}  // namespace kds::cli
