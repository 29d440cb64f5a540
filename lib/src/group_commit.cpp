#include "kds/group_commit.h"

#include <sys/stat.h>

#include <algorithm>
#include <condition_variable>
#include <map>
#include <mutex>
#include <system_error>
#include <thread>
#include <utility>

namespace kds {

namespace {

// Runs the fdatasyncs of one round at the same time, on the leader's thread and on helper threads kept for
// the next round: the device overlaps their writes and flushes, and files whose inodes share a block have it
// written once. Four shards' files synced at once, against one after the other: 1,670 against 1,210
// PutRecords/s from 4 connections on a 2-CPU VM.
class ParallelSync {
 public:
  static constexpr size_t kMaxHelpers = 7;

  // Syncs every file (each pointer and file lives until the call returns); the first error in `files`'
  // order. Called by one thread at a time (the round's leader).
  Status sync(const std::vector<const SyncFile*>& files) {
    if (files.empty()) return {};
    if (files.size() == 1) return sync_data(files[0]->fd->get(), files[0]->path);
    start_helpers(std::min(files.size() - 1, kMaxHelpers));
    std::vector<Status> results(files.size());
    {
      std::lock_guard lock(mutex_);
      files_ = &files;
      results_ = &results;
      next_ = 0;
      unfinished_ = files.size();
    }
    work_.notify_all();
    std::unique_lock lock(mutex_);
    work_on(lock);
    done_.wait(lock, [this] { return unfinished_ == 0; });
    files_ = nullptr;
    results_ = nullptr;
    lock.unlock();
    for (Status& result : results) {
      if (!result.ok()) return result;
    }
    return {};
  }

 private:
  // Helpers live as long as the process, as the Rounds do. One that cannot be started is done without:
  // the leader syncs what no helper takes.
  void start_helpers(size_t wanted) {
    for (; helpers_ < wanted; ++helpers_) {
      try {
        std::thread([this] { help(); }).detach();
      } catch (const std::system_error&) {
        return;
      }
    }
  }

  // Takes files of the current round until none is left; `lock` holds mutex_.
  void work_on(std::unique_lock<std::mutex>& lock) {
    while (files_ != nullptr && next_ < files_->size()) {
      const size_t index = next_++;
      const SyncFile* file = (*files_)[index];
      Status* result = &(*results_)[index];
      lock.unlock();
      *result = sync_data(file->fd->get(), file->path);
      lock.lock();
      if (--unfinished_ == 0) done_.notify_one();
    }
  }

  void help() {
    std::unique_lock lock(mutex_);
    for (;;) {
      work_.wait(lock, [this] { return files_ != nullptr && next_ < files_->size(); });
      work_on(lock);
    }
  }

  std::mutex mutex_;
  std::condition_variable work_;                         // a round has files left to take
  std::condition_variable done_;                         // the round's last sync finished
  const std::vector<const SyncFile*>* files_ = nullptr;  // the round under way; guarded by mutex_
  std::vector<Status>* results_ = nullptr;
  size_t next_ = 0;        // the first file not yet taken
  size_t unfinished_ = 0;  // files not yet synced
  size_t helpers_ = 0;     // threads started; used by the leader only
};

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
    FileId id{file.dev, file.ino};
    if (file.ino == 0) {
      struct stat st {};
      if (::fstat(file.fd->get(), &st) == 0) {
        id = {st.st_dev, st.st_ino};
      } else {
        id = {0, static_cast<ino_t>(++unknown_)};  // fdatasync will report the bad descriptor
      }
    }
    next_.try_emplace(id, std::move(file));
  }

  // Syncs the files queued so far with the lock released; `lock` holds mutex_.
  void run_round(std::unique_lock<std::mutex>& lock) {
    const uint64_t number = ++started_;
    running_ = true;
    std::map<FileId, SyncFile> queued = std::move(next_);
    next_.clear();
    lock.unlock();
    std::vector<const SyncFile*> files;
    files.reserve(queued.size());
    for (const auto& [id, file] : queued)
      files.push_back(&file);
    Status status = syncers_.sync(files);
    queued.clear();  // let go of the descriptors (closing the last one of a segment) outside the lock
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
  ParallelSync syncers_;
};

}  // namespace

Status group_commit(std::vector<SyncFile> files) {
  static Rounds* rounds = new Rounds();  // never destroyed: a syncer may run while the process exits
  return rounds->commit(std::move(files));
}

}  // namespace kds
