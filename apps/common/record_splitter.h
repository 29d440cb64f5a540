// Splits an input descriptor into records at a delimiter, reading with read(2) so that whatever has
// arrived is available at once: it reports a pause when no complete record is buffered and no input is
// ready, so `tail -f log | kds-put` delivers each line immediately while a large file is read in big
// chunks.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kds/status.h"

namespace kds::cli {

class RecordSplitter {
 public:
  enum class Event {
    kRecord,   // *record holds the next record (without its delimiter) until the next call
    kPause,    // nothing complete is buffered and no input is ready: a good moment to deliver
    kTooLong,  // the next record exceeds the maximum; too_long_size() tells its size
    kIdle,     // no input arrived within the wait given to next()
    kEnd,      // input exhausted
  };

  // `fd` must stay open while the splitter is used; `delimiter` is non-empty.
  RecordSplitter(int fd, std::string delimiter, size_t max_record);

  // A final record without a delimiter is returned before kEnd; a delimiter at the very end does not
  // make an empty last record.
  // With `wait_ms` >= 0, a wait for input that lasts longer returns kIdle.
  Result<Event> next(std::string_view* record, int wait_ms = -1);

  // As next(), but up to `max` records at once in *records: the first as next() finds it, then those
  // already buffered after it, all valid until the next call. Anything else than records (a record too
  // long, the end) is left for the next call. record_number() is that of the last record in *records.
  Result<Event> next_group(std::vector<std::string_view>* records, size_t max, int wait_ms = -1);

  // A wait for input also ends, with kIdle, when `fd` becomes readable (-1: never). The caller clears it.
  void also_wake_on(int fd) { wake_fd_ = fd; }
  // When next() is given no wait, a wait lasts at most `limit()` ms (-1: no limit). It is asked only when
  // a wait begins, not for every record.
  void wait_at_most(std::function<int()> limit) { wait_limit_ = std::move(limit); }

  // 1-based number of the record last returned (or rejected as too long).
  uint64_t record_number() const { return number_; }
  uint64_t too_long_size() const { return too_long_size_; }

 private:
  Status fill();
  std::optional<Event> take_buffered(std::string_view* record);

  int fd_;
  int wake_fd_ = -1;
  std::function<int()> wait_limit_;
  std::string delimiter_;
  size_t max_record_;
  std::vector<char> buffer_;
  size_t start_ = 0;     // first byte of the current record
  size_t searched_ = 0;  // bytes before this hold no delimiter start for the current record
  size_t end_ = 0;       // end of buffered input
  bool eof_ = false;
  bool paused_ = false;  // a pause was reported; the next fill blocks
  uint64_t number_ = 0;
  uint64_t too_long_size_ = 0;
};

}  // namespace kds::cli
