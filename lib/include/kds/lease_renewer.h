// Keeping a worker's leases while it is busy with a batch: a COMMAND may run longer than the lease timeout,
// and a lease renewed only between batches would expire under it and let another worker process the same
// shard at the same time. A thread of its own renews them while the worker is inside busy().
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>

namespace kds {

class LeaseRenewer {
 public:
  // Calls `renew` every `period_ms` while a busy() call runs, on the renewer's thread; `renew` must not
  // touch what the worker uses outside busy(), and errors are for it to ignore (the worker's next
  // checkpoint finds a lease it lost).
  LeaseRenewer(std::function<void()> renew, int64_t period_ms);
  ~LeaseRenewer();  // stops the thread
  LeaseRenewer(const LeaseRenewer&) = delete;
  LeaseRenewer& operator=(const LeaseRenewer&) = delete;

  // Runs `work`, renewing meanwhile. On return no renewal is running or will start until the next call.
  void busy(const std::function<void()>& work);

 private:
  void loop();

  std::function<void()> renew_;
  const int64_t period_ms_;
  std::mutex mutex_;
  std::condition_variable changed_;
  bool busy_ = false;
  bool renewing_ = false;
  bool stopping_ = false;
  std::thread thread_;  // last: started once the rest is set up
};

}  // namespace kds
