#include "kds/group_commit.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <condition_variable>
#include <map>
#include <mutex>
#include <utility>

namespace kds {

namespace {

class Rounds {
 public:
  Status commit(std::vector<SyncFile> files) {
    std::unique_lock lock(mutex_);
    for (SyncFile& file : files)
      add(std::move(file));
    // Every file was written before now, so the next round to start covers them; one already running may
    // have started before the writes.
    const uint64_t needed = started_ + 1;
    while (finished_ < needed) {
      if (running_) {
        round_finished_.wait(lock);
        continue;
      }
      run_round(lock);
    }
    auto failed = failures_.find(needed);
    return failed == failures_.end() ? Status() : failed->second;
  }

 private:
  using FileId = std::pair<dev_t, ino_t>;

  // Queues `file` for the next round unless a descriptor of the same file is queued already.
  void add(SyncFile file) {
    struct stat st {};
    FileId id{0, 0};
    if (::fstat(file.fd.get(), &st) == 0) {
      id = {st.st_dev, st.st_ino};
    } else {
      id = {0, static_cast<ino_t>(++unknown_)};  // fdatasync will report the bad descriptor
    }
    next_.try_emplace(id, std::move(file));
  }

  // Syncs the files queued so far with the lock released; `lock` holds mutex_.
  void run_round(std::unique_lock<std::mutex>& lock) {
    const uint64_t number = ++started_;
    running_ = true;
    std::map<FileId, SyncFile> files = std::move(next_);
    next_.clear();
    lock.unlock();
    // Start every file's writeback before waiting for any: their blocks are allocated in one journal
    // transaction, which the first fdatasync commits for all of them. Errors are left to fdatasync.
    if (files.size() > 1) {
      for (const auto& [id, file] : files)
        (void)::sync_file_range(file.fd.get(), 0, 0, SYNC_FILE_RANGE_WRITE);
    }
    Status status;
    for (const auto& [id, file] : files) {
      if (status = sync_data(file.fd.get(), file.path); !status.ok()) break;
    }
    files.clear();  // close the duplicates outside the lock
    lock.lock();
    running_ = false;
    finished_ = number;
    if (!status.ok()) failures_.emplace(number, std::move(status));  // rare: kept for its waiters
    round_finished_.notify_all();
  }

  std::mutex mutex_;
  std::condition_variable round_finished_;
  uint64_t started_ = 0;   // rounds started; a running one is number started_
  uint64_t finished_ = 0;  // rounds finished; each finishes before the next starts
  bool running_ = false;
  std::map<FileId, SyncFile> next_;  // what the next round syncs
  std::map<uint64_t, Status> failures_;
  uint64_t unknown_ = 0;
};

}  // namespace

Status group_commit(std::vector<SyncFile> files) {
  static Rounds* rounds = new Rounds();  // never destroyed: a syncer may run while the process exits
  return rounds->commit(std::move(files));
}

}  // namespace kds
