#include "stop_signal.h"

#include <signal.h>
#include <unistd.h>
#include <atomic>

namespace kds::cli {

namespace {

// Atomic rather than volatile sig_atomic_t: remote mode's reading threads ask it too.
std::atomic<int> received{0};
static_assert(std::atomic<int>::is_always_lock_free, "a signal handler may only touch lock-free atomics");

void on_stop_signal(int signal) {
  received.store(signal);
}

}  // namespace

void install_stop_handlers() {
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

int stop_signal() {
  return received.load();
}

void die_of(int signal) {
  ::signal(signal, SIG_DFL);
  ::raise(signal);
  ::_exit(128 + signal);  // only if the signal is blocked
}

}  // namespace kds::cli
