#include "kds/lease_renewer.h"

#include <chrono>

namespace kds {

LeaseRenewer::LeaseRenewer(std::function<void()> renew, int64_t period_ms)
    : renew_(std::move(renew)), period_ms_(period_ms), thread_([this] { loop(); }) {}

LeaseRenewer::~LeaseRenewer() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

void LeaseRenewer::busy(const std::function<void()>& work) {
  {
    std::lock_guard lock(mutex_);
    busy_ = true;
  }
  changed_.notify_all();
  work();
  std::unique_lock lock(mutex_);
  busy_ = false;
  changed_.wait(lock, [&] { return !renewing_; });
}

void LeaseRenewer::loop() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    changed_.wait(lock, [&] { return stopping_ || busy_; });
    // The first renewal a period after the batch began: the worker renewed its leases just before it.
    while (!stopping_ && busy_) {
      if (changed_.wait_for(lock, std::chrono::milliseconds(period_ms_), [&] { return stopping_ || !busy_; }))
        break;
      renewing_ = true;
      lock.unlock();
      renew_();
      lock.lock();
      renewing_ = false;
      changed_.notify_all();
    }
  }
}

}  // namespace kds
