#include "record_splitter.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>

namespace kds::cli {

namespace {
constexpr size_t kReadSize = 1 << 20;

bool input_ready(int fd) {
  pollfd p{fd, POLLIN, 0};
  const int n = ::poll(&p, 1, 0);
  return n != 0;  // errors and hang-ups count as ready: the read reports them
}
}  // namespace

RecordSplitter::RecordSplitter(int fd, std::string delimiter, size_t max_record)
    : fd_(fd), delimiter_(std::move(delimiter)), max_record_(max_record) {
  buffer_.resize(max_record_ + delimiter_.size() + kReadSize);
}

Status RecordSplitter::fill() {
  if (start_ > 0) {
    std::memmove(buffer_.data(), buffer_.data() + start_, end_ - start_);
    end_ -= start_;
    searched_ -= start_;
    start_ = 0;
  }
  for (;;) {
    const ssize_t n = ::read(fd_, buffer_.data() + end_, buffer_.size() - end_);
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_error("cannot read input", errno);
    }
    if (n == 0) eof_ = true;
    end_ += static_cast<size_t>(n);
    paused_ = false;
    return {};
  }
}

// The next record (or too-long record, or the end) from what is buffered; nothing when input must be read.
std::optional<RecordSplitter::Event> RecordSplitter::take_buffered(std::string_view* record) {
  const char* base = buffer_.data();
  const size_t d = delimiter_.size();
  if (end_ - searched_ >= d) {
    const void* hit = d == 1 ? std::memchr(base + searched_, delimiter_[0], end_ - searched_)
                             : memmem(base + searched_, end_ - searched_, delimiter_.data(), d);
    if (hit != nullptr) {
      const size_t at = static_cast<size_t>(static_cast<const char*>(hit) - base);
      *record = std::string_view(base + start_, at - start_);
      start_ = searched_ = at + d;
      ++number_;
      if (record->size() > max_record_) {
        too_long_size_ = record->size();
        return Event::kTooLong;
      }
      return Event::kRecord;
    }
    searched_ = end_ - (d - 1);
  }
  if (end_ - start_ > max_record_ + d) {
    // Too long: count the rest of it without keeping it, so the error can give its size.
    ++number_;
    too_long_size_ = searched_ - start_;
    start_ = searched_;
    return Event::kTooLong;
  }
  if (eof_) {
    if (start_ == end_) return Event::kEnd;
    *record = std::string_view(base + start_, end_ - start_);
    start_ = searched_ = end_;
    ++number_;
    if (record->size() > max_record_) {
      too_long_size_ = record->size();
      return Event::kTooLong;
    }
    return Event::kRecord;
  }
  return std::nullopt;
}

Result<RecordSplitter::Event> RecordSplitter::next(std::string_view* record, int wait_ms) {
  for (;;) {
    if (auto event = take_buffered(record)) return *event;
    if (!paused_ && !input_ready(fd_)) {
      paused_ = true;
      return Event::kPause;
    }
    const int wait = wait_ms < 0 && wait_limit_ ? wait_limit_() : wait_ms;
    if (wait >= 0 || wake_fd_ >= 0) {
      pollfd p[2] = {{fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
      const int n = ::poll(p, wake_fd_ >= 0 ? 2 : 1, wait);
      if (n <= 0 || p[0].revents == 0) return Event::kIdle;  // timed out, interrupted, or woken
    }
    KDS_TRY(fill());
  }
}

Result<RecordSplitter::Event> RecordSplitter::next_group(std::vector<std::string_view>* records, size_t max,
                                                         int wait_ms) {
  records->clear();
  std::string_view record;
  KDS_ASSIGN(Event event, next(&record, wait_ms));
  if (event != Event::kRecord) return event;
  records->push_back(record);
  while (records->size() < max) {
    const size_t start = start_, searched = searched_;
    const uint64_t number = number_;
    const auto more = take_buffered(&record);
    if (more != Event::kRecord) {
      // Left for the next call, after the caller has dealt with the records before it.
      start_ = start, searched_ = searched, number_ = number;
      break;
    }
    records->push_back(record);
  }
  return Event::kRecord;
}

}  // namespace kds::cli
