// Buffered standard output written with write(2). Records are appended to the buffer and the buffer is
// written when it passes 64 KiB, after every record when line-buffered (-u, or a terminal), and before
// any wait for more data. A closed pipe ends the process as SIGPIPE would; any other write error ends it
// with a one-line message and status 1, so output is never silently lost.
#pragma once

#include <string>
#include <string_view>

#include "kds/status.h"

namespace kds::cli {

// Grows a pipe's buffer to 1 MiB when `fd` is a pipe (so large transfers take fewer context switches).
void enlarge_pipe(int fd);

class Output {
 public:
  static Output& standard();

  void set_line_buffered(bool on) { line_buffered_ = on; }
  bool line_buffered() const { return line_buffered_; }

  std::string& buffer() { return buffer_; }
  void write(std::string_view text) { buffer_.append(text); }
  // Call after each complete record.
  void end_record() {
    if (line_buffered_ || buffer_.size() >= kFlushSize) flush();
  }
  void flush();
  // Flushes and reports errors instead of exiting (used once at exit).
  Status finish();

 private:
  Output();
  static constexpr size_t kFlushSize = 256 * 1024;
  std::string buffer_;
  bool line_buffered_ = false;
};

}  // namespace kds::cli
