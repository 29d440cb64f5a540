#include "output.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "cli.h"

namespace kds::cli {

Output& Output::standard() {
  static Output output;
  return output;
}

Output::Output() : line_buffered_(::isatty(STDOUT_FILENO) == 1) {
  buffer_.reserve(2 * kFlushSize);
  enlarge_pipe(STDOUT_FILENO);
}

void enlarge_pipe(int fd) {
  // A 64 KiB pipe makes writer and reader take turns every 64 KiB; a larger one lets both run (measured
  // with scripts/bench-core: kds-get | cat). Best effort: the limit is /proc/sys/fs/pipe-max-size.
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode)) ::fcntl(fd, F_SETPIPE_SZ, 1 << 20);
}

Status Output::finish() {
  size_t done = 0;
  while (done < buffer_.size()) {
    const ssize_t n = ::write(STDOUT_FILENO, buffer_.data() + done, buffer_.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      buffer_.clear();
      if (err == EPIPE) {
        // The reader went away: end as `cat` does, killed by SIGPIPE, with nothing on stderr.
        ::signal(SIGPIPE, SIG_DFL);
        ::raise(SIGPIPE);
        ::_exit(128 + SIGPIPE);
      }
      return io_error("cannot write to standard output", err);
    }
    done += static_cast<size_t>(n);
  }
  buffer_.clear();
  return {};
}

void Output::flush() {
  const Status status = finish();
  if (!status.ok()) std::exit(fail(status.error()));
}

}  // namespace kds::cli
