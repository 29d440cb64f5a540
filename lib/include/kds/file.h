// Thin POSIX file layer. Every path below the store root is reached through directory descriptors with
// O_NOFOLLOW, so a symlink planted inside the store is never followed, and a stream name can never name
// a file outside its directory. Files are created 0600 and directories 0700 whatever the umask.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kds/status.h"

namespace kds {

// An owned file descriptor.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd();
  Fd(Fd&& other) noexcept : fd_(other.release()) {}
  Fd& operator=(Fd&& other) noexcept;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void reset();

 private:
  int fd_ = -1;
};

// Reads `fd` from its offset to the end of the file. An error message starts with `what` ("cannot read
// FILE").
Result<std::string> read_to_end(int fd, std::string_view what);

// An open directory plus its path (for messages only; all access goes through the descriptor).
class Dir {
 public:
  Dir() = default;

  // Opens `path` (symlinks in it are followed: the store root is the user's to choose). With `create`,
  // creates missing components 0700.
  static Result<Dir> open(const std::string& path, bool create);

  // Opens the subdirectory `name` (one path component), refusing symlinks.
  Result<Dir> open_dir(std::string_view name) const;
  // Creates the subdirectory `name` with mode 0700. Fails with EEXIST (sys_errno) when it exists.
  Status make_dir(std::string_view name) const;
  // Opens the file `name` with `flags` (O_CLOEXEC and O_NOFOLLOW added); O_CREAT makes it 0600.
  Result<Fd> open_file(std::string_view name, int flags) const;
  // Names in the directory, without "." and "..", unsorted.
  Result<std::vector<std::string>> list() const;
  // stat of an entry without following a symlink; errors carry sys_errno (ENOENT when missing).
  Result<struct stat> stat_entry(std::string_view name) const;
  // Renames within this directory; with `no_replace`, fails (EEXIST) instead of replacing a target.
  Status rename(std::string_view from, std::string_view to, bool no_replace) const;
  Status unlink(std::string_view name) const;
  // Removes `name` and everything below it without following symlinks.
  Status remove_tree(std::string_view name) const;
  // Flushes the directory's entries (needed after create, rename and unlink to make them durable).
  Status sync() const;

  // Reads the whole file `name`. With `keep_open`, hands over the open descriptor too.
  Result<std::string> read_file(std::string_view name, Fd* keep_open = nullptr) const;
  // The same, or nullopt when there is no file `name` (an optional file, such as attributes.json).
  Result<std::optional<std::string>> read_file_if_present(std::string_view name) const;
  // Replaces `name` atomically: writes `name`.tmp, fsyncs it, renames it over `name`, fsyncs this
  // directory. A reader sees the old or the new contents, never a mix. Without `sync_directory`, the last
  // fsync is left out: after a power loss the old contents may come back (never a mix), which suits a
  // file replaced so often that one step back is cheaper than an fsync each time (a checkpoint).
  Status write_file_atomic(std::string_view name, std::string_view contents,
                           bool sync_directory = true) const;

  int fd() const { return fd_.get(); }
  const std::string& path() const { return path_; }
  std::string path_of(std::string_view name) const;

 private:
  Dir(Fd fd, std::string path) : fd_(std::move(fd)), path_(std::move(path)) {}
  Fd fd_;
  std::string path_;
};

// Reads up to `size` bytes at `offset`, retrying short reads; *got is less than size only at end of file.
Status pread_full(int fd, char* buf, size_t size, uint64_t offset, size_t* got, std::string_view path);
// Writes all `size` bytes at `offset`.
Status pwrite_full(int fd, const char* buf, size_t size, uint64_t offset, std::string_view path);
// Writes `a` then `b` at `offset` with as few system calls as possible (one pwritev normally).
Status pwrite_two(int fd, std::string_view a, std::string_view b, uint64_t offset, std::string_view path);
Result<uint64_t> file_size(int fd, std::string_view path);
Status sync_data(int fd, std::string_view path);  // fdatasync
Status sync_file(int fd, std::string_view path);  // fsync
Status truncate_file(int fd, uint64_t size, std::string_view path);

// Advisory locks (flock) on a whole file, always exclusive. A lock belongs to the open file description:
// it lasts until unlock_file or until every descriptor sharing it is closed.
// Requires `fd` open; `path` only names the file in messages. Waits for the lock, retrying when a signal
// interrupts the wait.
Status lock_file(const Fd& fd, std::string_view path);
// Requires `fd` open. Takes the lock without waiting: false when another open file holds it.
Result<bool> try_lock_file(const Fd& fd, std::string_view path);
// Requires `fd` open and locked by lock_file or try_lock_file.
void unlock_file(const Fd& fd);

// Raises the soft limit on open descriptors to the hard limit, for a process that may hold thousands (a
// reshard's append locks, kds-serve's subscriptions). Failure is ignored: the limit stays as it was.
void raise_descriptor_limit();

}  // namespace kds
