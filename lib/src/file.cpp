#include "kds/file.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>

#include "kds/crash_point.h"
#include "kds/fault_injection.h"

namespace kds {

Fd::~Fd() {
  reset();
}

Fd& Fd::operator=(Fd&& other) noexcept {
  if (this != &other) {
    reset();
    fd_ = other.release();
  }
  return *this;
}

void Fd::reset() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

std::string Dir::path_of(std::string_view name) const {
  std::string path = path_;
  if (path.empty() || path.back() != '/') path += '/';
  path += name;
  return path;
}

Result<Dir> Dir::open(const std::string& path, bool create) {
  if (create) {
    // Create each missing component; existing ones keep their modes.
    for (size_t slash = path.find('/', 1);; slash = path.find('/', slash + 1)) {
      const std::string prefix = path.substr(0, slash);
      if (!prefix.empty() && ::mkdir(prefix.c_str(), 0700) == 0) ::chmod(prefix.c_str(), 0700);
      if (slash == std::string::npos) break;
    }
  }
  const int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return io_error("cannot open directory " + path, errno);
  return Dir(Fd(fd), path);
}

Result<Dir> Dir::open_dir(std::string_view name) const {
  const std::string n(name);
  const int fd = ::openat(fd_.get(), n.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return io_error("cannot open directory " + path_of(name), errno);
  return Dir(Fd(fd), path_of(name));
}

Status Dir::make_dir(std::string_view name) const {
  const std::string n(name);
  if (::mkdirat(fd_.get(), n.c_str(), 0700) != 0)
    return io_error("cannot create directory " + path_of(name), errno);
  // mkdir's mode is masked by the umask; the store must stay private whatever it is.
  if (::fchmodat(fd_.get(), n.c_str(), 0700, AT_SYMLINK_NOFOLLOW) != 0 && errno != EOPNOTSUPP) {
    ::fchmodat(fd_.get(), n.c_str(), 0700, 0);
  }
  return {};
}

Result<Fd> Dir::open_file(std::string_view name, int flags) const {
  const std::string n(name);
  // O_EXCL tells a file this call creates from one that existed, for the power-loss simulation.
  int fd = -1;
  bool created = false;
  if ((flags & O_CREAT) != 0 && (flags & O_EXCL) == 0 && fault_injection::recording()) {
    fd = ::openat(fd_.get(), n.c_str(), flags | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    created = fd >= 0;
    if (fd < 0 && errno != EEXIST) return io_error("cannot open " + path_of(name), errno);
  }
  if (fd < 0) fd = ::openat(fd_.get(), n.c_str(), flags | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return io_error("cannot open " + path_of(name), errno);
  if ((flags & O_CREAT) != 0) ::fchmod(fd, 0600);
  if (created || ((flags & O_EXCL) != 0 && (flags & O_CREAT) != 0)) fault_injection::on_create(path_of(name));
  if ((flags & O_TRUNC) != 0) fault_injection::on_truncate(path_of(name), 0);
  return Fd(fd);
}

Result<std::vector<std::string>> Dir::list() const {
  const int dup = ::openat(fd_.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dup < 0) return io_error("cannot read directory " + path_, errno);
  DIR* dir = ::fdopendir(dup);
  if (dir == nullptr) {
    const int err = errno;
    ::close(dup);
    return io_error("cannot read directory " + path_, err);
  }
  std::vector<std::string> names;
  errno = 0;
  while (dirent* entry = ::readdir(dir)) {
    const std::string_view name = entry->d_name;
    if (name != "." && name != "..") names.emplace_back(name);
  }
  const int err = errno;
  ::closedir(dir);
  if (err != 0) return io_error("cannot read directory " + path_, err);
  return names;
}

Result<struct stat> Dir::stat_entry(std::string_view name) const {
  struct stat st {};
  const std::string n(name);
  if (::fstatat(fd_.get(), n.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    return io_error("cannot stat " + path_of(name), errno);
  }
  return st;
}

Status Dir::rename(std::string_view from, std::string_view to, bool no_replace) const {
  const std::string f(from), t(to);
  const int rc = ::renameat2(fd_.get(), f.c_str(), fd_.get(), t.c_str(), no_replace ? RENAME_NOREPLACE : 0);
  if (rc != 0) return io_error("cannot rename " + path_of(from) + " to " + t, errno);
  return {};
}

Status Dir::unlink(std::string_view name) const {
  const std::string n(name);
  if (::unlinkat(fd_.get(), n.c_str(), 0) != 0) return io_error("cannot remove " + path_of(name), errno);
  fault_injection::on_remove(path_of(name));
  return {};
}

Status Dir::remove_tree(std::string_view name) const {
  auto st = stat_entry(name);
  if (!st.ok()) return st.error().sys_errno() == ENOENT ? Status() : Status(st.error());
  if (S_ISDIR(st->st_mode)) {
    KDS_ASSIGN(Dir sub, open_dir(name));
    KDS_ASSIGN(auto names, sub.list());
    for (const auto& child : names)
      KDS_TRY(sub.remove_tree(child));
    const std::string n(name);
    if (::unlinkat(fd_.get(), n.c_str(), AT_REMOVEDIR) != 0) {
      return io_error("cannot remove directory " + path_of(name), errno);
    }
    return {};
  }
  return unlink(name);
}

Status Dir::sync() const {
  if (::fsync(fd_.get()) != 0) return io_error("cannot sync directory " + path_, errno);
  fault_injection::on_dir_sync(path_);
  return {};
}

Result<std::string> Dir::read_file(std::string_view name, Fd* keep_open) const {
  KDS_ASSIGN(Fd fd, open_file(name, O_RDONLY));
  KDS_ASSIGN(std::string contents, read_to_end(fd.get(), "cannot read " + path_of(name)));
  if (keep_open != nullptr) *keep_open = std::move(fd);
  return contents;
}

Result<std::optional<std::string>> Dir::read_file_if_present(std::string_view name) const {
  auto contents = read_file(name);
  if (contents.ok()) return std::optional<std::string>(std::move(contents).value());
  if (contents.error().sys_errno() == ENOENT) return std::optional<std::string>();
  return contents.error();
}

Result<std::string> read_to_end(int fd, std::string_view what) {
  std::string contents;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_error(what, errno);
    }
    if (n == 0) break;
    contents.append(buf, static_cast<size_t>(n));
  }
  return contents;
}

Status Dir::write_file_atomic(std::string_view name, std::string_view contents, bool sync_directory) const {
  const std::string temp = std::string(name) + ".tmp";
  KDS_ASSIGN(Fd fd, open_file(temp, O_WRONLY | O_CREAT | O_TRUNC));
  Status written = pwrite_full(fd.get(), contents.data(), contents.size(), 0, path_of(temp));
  if (written.ok()) written = sync_file(fd.get(), path_of(temp));
  if (!written.ok()) {
    (void)unlink(temp);
    return written;
  }
  fd.reset();
  crash_point("atomic-write.before-rename");
  KDS_TRY(rename(temp, name, false));
  crash_point("atomic-write.before-dir-sync");
  return sync_directory ? sync() : Status();
}

Status pread_full(int fd, char* buf, size_t size, uint64_t offset, size_t* got, std::string_view path) {
  size_t done = 0;
  while (done < size) {
    const ssize_t n = ::pread(fd, buf + done, size - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_error("cannot read " + std::string(path), errno);
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  *got = done;
  return {};
}

Status pwrite_full(int fd, const char* buf, size_t size, uint64_t offset, std::string_view path) {
  fault_injection::on_write(fd, path, offset, size);
  size_t done = 0;
  while (done < size) {
    const ssize_t n = ::pwrite(fd, buf + done, size - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_error("cannot write " + std::string(path), errno);
    }
    done += static_cast<size_t>(n);
  }
  return {};
}

Result<uint64_t> file_size(int fd, std::string_view path) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return io_error("cannot stat " + std::string(path), errno);
  return static_cast<uint64_t>(st.st_size);
}

Status sync_data(int fd, std::string_view path) {
  const uint64_t written = fault_injection::before_sync(path);
  if (::fdatasync(fd) != 0) return io_error("cannot sync " + std::string(path), errno);
  fault_injection::on_sync(path, written);
  return {};
}

Status sync_file(int fd, std::string_view path) {
  const uint64_t written = fault_injection::before_sync(path);
  if (::fsync(fd) != 0) return io_error("cannot sync " + std::string(path), errno);
  fault_injection::on_sync(path, written);
  return {};
}

Status truncate_file(int fd, uint64_t size, std::string_view path) {
  if (::ftruncate(fd, static_cast<off_t>(size)) != 0)
    return io_error("cannot truncate " + std::string(path), errno);
  fault_injection::on_truncate(path, size);
  return {};
}

Status lock_file(const Fd& fd, std::string_view path) {
  while (::flock(fd.get(), LOCK_EX) != 0) {
    if (errno != EINTR) return io_error("cannot lock " + std::string(path), errno);
  }
  return {};
}

Result<bool> try_lock_file(const Fd& fd, std::string_view path) {
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) == 0) return true;
  if (errno == EWOULDBLOCK) return false;
  return io_error("cannot lock " + std::string(path), errno);
}

void unlock_file(const Fd& fd) {
  ::flock(fd.get(), LOCK_UN);
}

Status pwrite_two(int fd, std::string_view a, std::string_view b, uint64_t offset, std::string_view path) {
  fault_injection::on_write(fd, path, offset, a.size() + b.size());
  iovec parts[2] = {{const_cast<char*>(a.data()), a.size()}, {const_cast<char*>(b.data()), b.size()}};
  int first = 0;
  size_t total = a.size() + b.size();
  while (total > 0) {
    const ssize_t n = ::pwritev(fd, parts + first, 2 - first, static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_error("cannot write " + std::string(path), errno);
    }
    auto written = static_cast<size_t>(n);
    offset += written;
    total -= written;
    while (written > 0 && first < 2) {
      const size_t take = std::min(written, parts[first].iov_len);
      parts[first].iov_base = static_cast<char*>(parts[first].iov_base) + take;
      parts[first].iov_len -= take;
      written -= take;
      if (parts[first].iov_len == 0) ++first;
    }
  }
  return {};
}

void raise_descriptor_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
}

}  // namespace kds
