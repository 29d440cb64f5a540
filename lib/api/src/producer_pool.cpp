#include "kds/api/producer_pool.h"

#include <algorithm>
#include <chrono>
#include <utility>
#include <vector>

#include "kds/api/kms_keys.h"
#include "kds/clock.h"

namespace kds::api {

ProducerPool::ProducerPool(const Store& store, ProducerOptions options, Reporter* reporter,
                           const KmsKeys* kms, size_t max_idle, int64_t max_age_ms)
    : store_(store),
      options_(std::move(options)),
      reporter_(reporter),
      max_idle_(max_idle),
      max_age_ms_(max_age_ms),
      kms_(kms) {
  if (options_.sync == SyncMode::kInterval) syncing_ = std::thread([this] { sync_idle(); });
}

ProducerPool::~ProducerPool() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  stop_wanted_.notify_all();
  if (syncing_.joinable()) syncing_.join();
  // The idle producers close with idle_, each syncing what it wrote.
}

void ProducerPool::sync_idle() {
  // A tenth of the interval (at least 1 ms) between looks: a record is synced at most 10 % late.
  const auto step = std::chrono::milliseconds(std::max<int64_t>(1, options_.sync_interval_ms / 10));
  std::unique_lock lock(mutex_);
  while (!stop_wanted_.wait_for(lock, step, [this] { return stopping_; })) {
    for (auto& idle : idle_) {
      // Starts the fdatasync on the producer's worker; a failure is returned by the producer's next
      // sync_written(), in a later request's flush (which fails, and the producer is dropped).
      if (idle.producer->ms_until_sync() == 0) (void)idle.producer->sync_written();
    }
  }
}

ProducerPool::Lease::~Lease() {
  if (pool_ != nullptr && producer_ && keep_ && producer_->empty())
    pool_->give_back({std::move(stream_), std::move(producer_), opened_ms_, key_generation_});
}

Result<ProducerPool::Lease> ProducerPool::borrow(std::string_view stream) {
  const int64_t now = now_ms();
  std::vector<std::unique_ptr<Producer>> stale;  // closed outside the lock: each joins its sync thread
  std::unique_ptr<Producer> found;
  int64_t opened_ms = now;
  // A producer is given the keys there are when it opens: one older than a KMS key is not lent again.
  const uint64_t key_generation = kms_ != nullptr ? kms_->generation() : 0;
  {
    std::lock_guard lock(mutex_);
    for (auto it = idle_.begin(); it != idle_.end();) {
      if (it->stream != stream) {
        ++it;
        continue;
      }
      if (now - it->opened_ms >= max_age_ms_ || it->key_generation != key_generation) {
        stale.push_back(std::move(it->producer));
        it = idle_.erase(it);
        continue;
      }
      found = std::move(it->producer);
      opened_ms = it->opened_ms;
      idle_.erase(it);
      break;
    }
  }
  // A producer of a stream deleted since would fail at its first append; one of a stream deleted and
  // created again would too (the directory is another), so the request gets a fresh one instead. A kept
  // one reads the settings changed since it was last used.
  if (found && !found->refresh_settings().ok()) {
    stale.push_back(std::move(found));
    opened_ms = now;
  }
  stale.clear();
  if (!found) {
    ProducerOptions options = options_;
    if (kms_ != nullptr) {
      for (const Key& key : kms_->keys())
        if (std::find(options.keys.begin(), options.keys.end(), key) == options.keys.end())
          options.keys.push_back(key);
    }
    KDS_ASSIGN(Producer opened, Producer::open(store_, stream, options, reporter_));
    found = std::make_unique<Producer>(std::move(opened));
  }
  return Lease(this, std::string(stream), std::move(found), opened_ms, key_generation);
}

void ProducerPool::give_back(Idle idle) {
  std::unique_ptr<Producer> evicted;
  std::lock_guard lock(mutex_);
  idle_.push_front(std::move(idle));
  if (idle_.size() > max_idle_) {
    evicted = std::move(idle_.back().producer);
    idle_.pop_back();
  }
  // `evicted` closes after the lock is released (declared before it).
}

size_t ProducerPool::idle_count() {
  std::lock_guard lock(mutex_);
  return idle_.size();
}

}  // namespace kds::api
