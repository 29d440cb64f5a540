// Compresses batches on a second thread, so that a producer fills its next batch while zstd runs (zstd
// at level 1 is slower than everything else kds-put does to a record put together). Jobs complete in the
// order they were submitted, one at a time, each with a compression context the worker keeps.
#pragma once

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "kds/compression.h"
#include "kds/status.h"

namespace kds {

class CompressWorker {
 public:
  struct Job {
    std::string_view input;  // the bytes must stay unchanged until the job is done
    int level = 0;           // zstd level, not 0
    std::string output;      // one zstd frame once done
    Status status;           // the compression's error, if any
    bool done = false;       // guarded by the worker's mutex: read it only through wait()
  };

  CompressWorker();
  ~CompressWorker();  // finishes the jobs submitted
  CompressWorker(const CompressWorker&) = delete;
  CompressWorker& operator=(const CompressWorker&) = delete;

  // Queues `job`, which must stay where it is until wait() has returned for it.
  void submit(Job* job);
  // Blocks until `job` (submitted) is done; then its output and status may be read.
  void wait(Job* job);

 private:
  void run();

  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Job*> queue_;  // guarded by mutex_, as is stopping_ and each job's `done`
  bool stopping_ = false;
  Compressor compressor_;  // used by the worker only
  std::thread worker_;     // last: started once the fields above exist
};

}  // namespace kds
