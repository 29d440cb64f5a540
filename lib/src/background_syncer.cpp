#include "kds/background_syncer.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include "kds/fault_injection.h"
#include "kds/group_commit.h"

namespace kds {

BackgroundSyncer::BackgroundSyncer()
    : wake_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)), worker_([this] { run(); }) {}

BackgroundSyncer::~BackgroundSyncer() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  work_.notify_all();
  worker_.join();
}

uint64_t BackgroundSyncer::submit(std::vector<File> files) {
  uint64_t number = 0;
  {
    std::lock_guard lock(mutex_);
    number = ++progress_.submitted;
    queue_.push_back({number, std::move(files)});
  }
  work_.notify_one();
  return number;
}

uint64_t BackgroundSyncer::commit_and_wait(std::vector<File> files) {
  std::unique_lock lock(mutex_);
  if (!queue_.empty() || running_) {
    const uint64_t number = ++progress_.submitted;
    queue_.push_back({number, std::move(files)});
    work_.notify_one();
    done_.wait(lock, [&] { return progress_.done >= number; });
    return number;
  }
  const uint64_t number = ++progress_.submitted;
  carry_out({number, std::move(files)}, lock);
  return number;
}

BackgroundSyncer::Progress BackgroundSyncer::progress() {
  std::lock_guard lock(mutex_);
  return progress_;
}

void BackgroundSyncer::wait(uint64_t number) {
  std::unique_lock lock(mutex_);
  done_.wait(lock, [&] { return progress_.done >= number; });
}

void BackgroundSyncer::clear_wake() {
  uint64_t count = 0;
  if (wake_.valid() && wake_wanted_) (void)!::read(wake_.get(), &count, sizeof count);
}

void BackgroundSyncer::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    // Stopping waits for the queue to drain: a submitted commit is always carried out. Commits complete in
    // order, so none starts while a caller carries out the one before it.
    work_.wait(lock, [this] { return (!queue_.empty() || stopping_) && !running_; });
    if (queue_.empty()) return;
    Commit commit = std::move(queue_.front());
    queue_.pop_front();
    carry_out(std::move(commit), lock);
  }
}

void BackgroundSyncer::carry_out(Commit commit, std::unique_lock<std::mutex>& lock) {
  running_ = true;
  lock.unlock();
  fault_injection::background_sync_point();
  // Other producers' threads may be syncing the same files now: they share the fdatasyncs.
  Status status = group_commit(std::move(commit.files));
  lock.lock();
  running_ = false;
  if (!status.ok() && progress_.failed_commit == 0) {
    progress_.failed_commit = commit.number;
    progress_.failure = std::move(status);
  }
  progress_.done = commit.number;
  done_.notify_all();
  // The worker is woken only when there is work for it: on a small machine a needless wake-up per commit
  // costs a context switch.
  if (!queue_.empty() || stopping_) work_.notify_one();
  if (wake_.valid() && wake_wanted_) {
    const uint64_t one = 1;
    (void)!::write(wake_.get(), &one, sizeof one);
  }
}

}  // namespace kds
