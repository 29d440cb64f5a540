#include "kds/fault_injection.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <map>
#include <mutex>
#include <random>
#include <string>

namespace kds::fault_injection {

namespace {

struct Track {
  uint64_t synced_size = 0;   // durable bytes
  uint64_t size = 0;          // bytes now
  bool entry_durable = true;  // the directory entry survives (created before recording, or dir synced)
};

// A producer syncs on a worker thread while its main thread writes, so every hook takes the lock.
struct Recorder {
  std::atomic<bool> on = false;
  std::mutex mutex;
  std::map<std::string, Track> files;
};

Recorder& recorder() {
  static Recorder r;
  return r;
}

std::string parent_of(std::string_view path) {
  const size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? std::string(".") : std::string(path.substr(0, slash));
}

Track& track(int fd, std::string_view path) {
  auto [it, inserted] = recorder().files.try_emplace(std::string(path));
  if (inserted && fd >= 0) {
    // Seen for the first time: whatever it held before recording started is durable.
    struct stat st {};
    if (::fstat(fd, &st) == 0) it->second.synced_size = it->second.size = static_cast<uint64_t>(st.st_size);
  }
  return it->second;
}

struct SyncHold {
  std::mutex mutex;
  std::condition_variable released;
  bool held = false;
};

SyncHold& sync_hold() {
  static SyncHold h;
  return h;
}

}  // namespace

void hold_background_syncs(bool held) {
  SyncHold& h = sync_hold();
  {
    std::lock_guard lock(h.mutex);
    h.held = held;
  }
  h.released.notify_all();
}

void background_sync_point() {
  SyncHold& h = sync_hold();
  std::unique_lock lock(h.mutex);
  h.released.wait(lock, [&] { return !h.held; });
}

void start_recording() {
  std::lock_guard lock(recorder().mutex);
  recorder().files.clear();
  recorder().on = true;
}

void stop_recording() {
  std::lock_guard lock(recorder().mutex);
  recorder().on = false;
  recorder().files.clear();
}

bool recording() {
  return recorder().on;
}

void on_write(int fd, std::string_view path, uint64_t offset, uint64_t size) {
  if (!recorder().on) return;
  std::lock_guard lock(recorder().mutex);
  Track& t = track(fd, path);
  if (offset + size > t.size) t.size = offset + size;
}

void on_truncate(std::string_view path, uint64_t size) {
  if (!recorder().on) return;
  std::lock_guard lock(recorder().mutex);
  Track& t = track(-1, path);
  t.size = size;
  if (t.synced_size > size) t.synced_size = size;
}

uint64_t before_sync(std::string_view path) {
  if (!recorder().on) return 0;
  std::lock_guard lock(recorder().mutex);
  return track(-1, path).size;
}

void on_sync(std::string_view path, uint64_t size_before) {
  if (!recorder().on) return;
  std::lock_guard lock(recorder().mutex);
  Track& t = track(-1, path);
  // Bytes written while the sync ran may or may not be durable; count only what preceded it.
  t.synced_size = std::max(t.synced_size, std::min(size_before, t.size));
}

void on_create(std::string_view path) {
  if (!recorder().on) return;
  std::lock_guard lock(recorder().mutex);
  Track& t = track(-1, path);
  t.entry_durable = false;
  t.synced_size = t.size = 0;
}

void on_dir_sync(std::string_view dir_path) {
  if (!recorder().on) return;
  std::lock_guard lock(recorder().mutex);
  for (auto& [path, t] : recorder().files) {
    if (parent_of(path) == dir_path) t.entry_durable = true;
  }
}

void on_remove(std::string_view path) {
  if (!recorder().on) return;
  std::lock_guard lock(recorder().mutex);
  recorder().files.erase(std::string(path));
}

Status crash(LostWrites mode, uint64_t seed) {
  std::mt19937_64 random(seed);
  Recorder& r = recorder();
  std::lock_guard lock(r.mutex);
  r.on = false;
  for (const auto& [path, t] : r.files) {
    if (!t.entry_durable) {
      if (::unlink(path.c_str()) != 0 && errno != ENOENT) return io_error("cannot remove " + path, errno);
      continue;
    }
    if (t.size <= t.synced_size) continue;
    const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT) continue;
      return io_error("cannot open " + path, errno);
    }
    // The unsynced bytes may not have reached the disk at all, may have become zeros, or garbage.
    if (::ftruncate(fd, static_cast<off_t>(t.synced_size)) != 0) {
      ::close(fd);
      return io_error("cannot truncate " + path, errno);
    }
    if (mode != LostWrites::kDropped) {
      const uint64_t lost = t.size - t.synced_size;
      const uint64_t keep = std::uniform_int_distribution<uint64_t>(0, lost)(random);
      std::string bytes(static_cast<size_t>(keep), '\0');
      if (mode == LostWrites::kGarbled) {
        for (auto& c : bytes)
          c = static_cast<char>(random());
      }
      if (::pwrite(fd, bytes.data(), bytes.size(), static_cast<off_t>(t.synced_size)) < 0) {
        ::close(fd);
        return io_error("cannot write " + path, errno);
      }
    }
    ::close(fd);
  }
  r.files.clear();
  return {};
}

}  // namespace kds::fault_injection
