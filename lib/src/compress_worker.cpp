#include "kds/compress_worker.h"

namespace kds {

CompressWorker::CompressWorker() : worker_([this] { run(); }) {}

CompressWorker::~CompressWorker() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  worker_.join();
}

void CompressWorker::submit(Job* job) {
  {
    std::lock_guard lock(mutex_);
    job->done = false;
    queue_.push_back(job);
  }
  changed_.notify_all();
}

void CompressWorker::wait(Job* job) {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [job] { return job->done; });
}

void CompressWorker::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    changed_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and every job is done
    Job* job = queue_.front();
    lock.unlock();
    // The job's fields other than `done` belong to the worker until `done` is set.
    job->status = compressor_.compress(job->input, job->level, &job->output);
    lock.lock();
    queue_.pop_front();
    job->done = true;
    changed_.notify_all();
  }
}

}  // namespace kds
