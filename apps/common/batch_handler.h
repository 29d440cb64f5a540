// What kds-consume does with a batch: print it and flush, or run COMMAND on it with retries, bisection and
// a dead-letter stream, as Lambda's event-source mapping handles a failing batch.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "kds/consumer.h"
#include "kds/producer.h"
#include "kds/status.h"
#include "record_printer.h"

namespace kds::cli {

struct FailurePolicy {
  int retries = 2;                         // runs of a failing batch after the first
  bool bisect = false;                     // once a batch's runs all failed, process each half of it
  std::optional<std::string> dead_letter;  // put failing records there and go on; else stop
};

class BatchHandler {
 public:
  // Prints batches to standard output when `command` is empty. `dead_letter` (needed exactly when the
  // policy names a dead-letter stream) and `shared` (held while standard output or the dead-letter stream
  // is written, for handlers on several threads) must outlive the handler. With a command, SIGPIPE is
  // ignored from here on (COMMAND may stop reading its input); COMMAND itself gets the default.
  // `stop` says when to give up retrying (a signal, another worker's failure).
  BatchHandler(std::string stream, std::string app, RecordPrinter printer, std::vector<std::string> command,
               FailurePolicy policy, Producer* dead_letter, std::mutex* shared, std::function<bool()> stop);

  // ConsumerWorker::Process. Fails (nothing more checkpointed) when COMMAND failed every run and the policy
  // is to stop, or when a stop signal came while COMMAND failed.
  Status handle(const ConsumerBatch& batch, size_t* done);
  // Whether handle() failed because COMMAND failed (its error's message is then the whole story).
  bool command_failed() const { return command_failed_; }

 private:
  // Processes `records` (a part of the batch); adds those processed to *done.
  Status handle_part(uint32_t shard, std::span<const ConsumedRecord> records, size_t* done);
  // One run of COMMAND: "" on success, else how it failed.
  Result<std::string> run_once(uint32_t shard, std::span<const ConsumedRecord> records, int attempt);
  Status send_to_dead_letter(uint32_t shard, std::span<const ConsumedRecord> records,
                             const std::string& failure);

  std::string stream_;
  std::string app_;
  RecordPrinter printer_;
  std::vector<std::string> command_;
  FailurePolicy policy_;
  Producer* dead_letter_;
  std::mutex* shared_;
  std::function<bool()> stop_;
  std::string input_;
  bool command_failed_ = false;
};

}  // namespace kds::cli
