#include "stop_signal.h"

#include <signal.h>
#include <unistd.h>

namespace kds::cli {

namespace {

volatile sig_atomic_t received = 0;

void on_stop_signal(int signal) {
  received = signal;
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
  return received;
}

void die_of(int signal) {
  ::signal(signal, SIG_DFL);
  ::raise(signal);
  ::_exit(128 + signal);  // only if the signal is blocked
}

}  // namespace kds::cli
