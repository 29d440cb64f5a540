// Producers kept open between requests. Opening one reads stream.json, lists the shard directories and
// starts a sync thread, and its first append to a shard opens and locks the shard's files: more than the
// rest of a PutRecord costs. A server lends each request a producer of the pool and takes it back when
// the request succeeded, so the next request on the stream finds its files open.
//
// A lent producer belongs to its request alone; the pool is shared by every thread. Producers are
// dropped rather than lent when their stream was deleted (or deleted and created again) since they were
// opened, and once they are `max_age_ms` old, so that what Producer::open does now and then (removing
// closed shards whose records have all expired) still happens on a server that runs for months.
//
// In interval mode (ProducerOptions::sync) a thread of the pool syncs what idle producers wrote once it is
// due, as kds-put's loop does between reads: an acknowledged record is on disk within the interval even
// when no request follows it. (A producer that is closed syncs what it wrote first.)
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "kds/api/operations.h"
#include "kds/producer.h"
#include "kds/report.h"
#include "kds/status.h"
#include "kds/store.h"

namespace kds::api {

// How PutRecord and PutRecords write under `context`: its sync mode and keys.
ProducerOptions put_producer_options(const Context& context);

class ProducerPool {
 public:
  // `store`, `reporter` and `kms` (the last two may be null) must outlive the pool. At most `max_idle`
  // producers are kept; the least recently returned go first. A producer is opened with the keys of `options`
  // and those `kms` has then; once it has more, producers opened before are not lent again.
  ProducerPool(const Store& store, ProducerOptions options, Reporter* reporter, const KmsKeys* kms = nullptr,
               size_t max_idle = 64, int64_t max_age_ms = 60'000);
  ~ProducerPool();
  ProducerPool(const ProducerPool&) = delete;
  ProducerPool& operator=(const ProducerPool&) = delete;

  class Lease {
   public:
    // A producer of no pool: closed when the lease ends.
    static Lease alone(std::unique_ptr<Producer> producer) {
      return Lease(nullptr, {}, std::move(producer), 0, 0);
    }
    Lease(Lease&& other) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    Producer& operator*() { return *producer_; }
    Producer* operator->() { return producer_.get(); }
    // The request is done with the producer and every flush succeeded: the pool may lend it again.
    // Without this call the producer is closed when the lease ends.
    void keep() { keep_ = true; }

   private:
    friend class ProducerPool;
    Lease(ProducerPool* pool, std::string stream, std::unique_ptr<Producer> producer, int64_t opened_ms,
          uint64_t key_generation)
        : pool_(pool),
          stream_(std::move(stream)),
          producer_(std::move(producer)),
          opened_ms_(opened_ms),
          key_generation_(key_generation) {}
    ProducerPool* pool_;
    std::string stream_;
    std::unique_ptr<Producer> producer_;
    int64_t opened_ms_;
    uint64_t key_generation_;  // KmsKeys::generation() when the producer was opened
    bool keep_ = false;
  };

  // A producer of `stream`: an idle one of the pool, else a new one (Producer::open's errors). Either has
  // read the stream's settings as they are now (Producer::refresh_settings).
  Result<Lease> borrow(std::string_view stream);

  size_t idle_count();

 private:
  struct Idle {
    std::string stream;
    std::unique_ptr<Producer> producer;
    int64_t opened_ms = 0;
    uint64_t key_generation = 0;
  };
  void give_back(Idle idle);
  // Interval mode: until the pool is destroyed, syncs the idle producers whose written records are due.
  void sync_idle();

  const Store& store_;
  const ProducerOptions options_;
  Reporter* reporter_;
  const size_t max_idle_;
  const int64_t max_age_ms_;
  const KmsKeys* const kms_;
  std::mutex mutex_;
  std::list<Idle> idle_;  // most recently returned first; guarded by mutex_
  std::condition_variable stop_wanted_;
  bool stopping_ = false;  // guarded by mutex_
  std::thread syncing_;    // interval mode only: sync_idle()
};

}  // namespace kds::api
