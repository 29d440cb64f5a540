// Makes written data durable on a worker thread, so that a producer can write its next batches while
// fdatasync runs (a sync costs about as much as writing megabytes, and a record written is visible to
// readers at once). Commits complete in the order they were submitted; a record may be acknowledged once
// the commit submitted after it was written has completed. Only the syncs run on the worker.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "kds/file.h"
#include "kds/group_commit.h"
#include "kds/status.h"

namespace kds {

class BackgroundSyncer {
 public:
  using File = SyncFile;

  BackgroundSyncer();
  ~BackgroundSyncer();  // waits for every submitted commit
  BackgroundSyncer(const BackgroundSyncer&) = delete;
  BackgroundSyncer& operator=(const BackgroundSyncer&) = delete;

  // Queues one commit: fdatasync of each file. Returns its number; numbers count up from 1.
  uint64_t submit(std::vector<File> files);

  // Queues one commit and returns once it is done. When no commit is queued or running ahead of it, the
  // caller's thread carries it out: a caller that waits anyway saves two thread hand-offs, as long as a
  // small fdatasync on a small machine.
  uint64_t commit_and_wait(std::vector<File> files);

  // Where the commits stand, read at one moment.
  struct Progress {
    uint64_t submitted = 0;  // the last commit submitted
    uint64_t done = 0;       // the last one done; every commit before it is done too
    uint64_t failed_commit =
        0;           // the first whose sync failed (0: none); it and all later ones count as failed
    Status failure;  // that sync's error
  };
  Progress progress();
  // Blocks until commit `number` is done.
  void wait(uint64_t number);

  // Readable after a commit completes, until clear_wake(); -1 when no eventfd could be made (then
  // completions are noticed only by the next wait() or progress()). Completions are signalled on it from
  // the first call on, so ask before submitting the commits to be woken for: a syncer whose completions
  // nobody polls for (kds-serve's) spares each commit an eventfd write and read.
  int wake_fd() const {
    wake_wanted_ = true;
    return wake_.get();
  }
  void clear_wake();

 private:
  struct Commit {
    uint64_t number = 0;
    std::vector<File> files;
  };
  void run();
  // Syncs the commit's files with the lock released, then records the outcome; `lock` holds mutex_.
  void carry_out(Commit commit, std::unique_lock<std::mutex>& lock);

  Fd wake_;
  mutable std::atomic<bool> wake_wanted_{false};
  std::mutex mutex_;
  std::condition_variable work_;  // for the worker: a commit queued or stopping, and none running
  std::condition_variable done_;  // for waiters: a commit done
  std::deque<Commit> queue_;      // guarded by mutex_, as are the fields below
  Progress progress_;
  bool running_ = false;  // a commit is being carried out, by the worker or a caller
  bool stopping_ = false;
  std::thread worker_;  // last: started once the fields above exist
};

}  // namespace kds
