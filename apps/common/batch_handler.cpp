#include "batch_handler.h"

#include <signal.h>
#include <time.h>

#include <fmt/format.h>
#include <algorithm>

#include "cli.h"
#include "command_runner.h"
#include "kds/api/shapes.h"
#include "kds/hash_key.h"
#include "kds/shard_id.h"
#include "output.h"
#include "stop_signal.h"

namespace kds::cli {

namespace {

constexpr int64_t kFirstRetryDelayMs = 200;
constexpr int64_t kMaxRetryDelayMs = 10000;

std::string sequence_number(uint32_t shard, uint64_t offset) {
  return to_decimal(make_sequence_number(shard, offset));
}

// Sleeps `ms` unless `stop` says so first; false when it did.
bool pause_unless_stopped(int64_t ms, const std::function<bool()>& stop) {
  for (int64_t slept = 0; slept < ms; slept += 50) {
    if (stop()) return false;
    timespec ts{0, static_cast<long>(std::min<int64_t>(50, ms - slept)) * 1000000L};
    ::nanosleep(&ts, nullptr);
  }
  return !stop();
}

Error stopped() {
  return Error(Errc::kIo, "stopped by a signal");
}

}  // namespace

BatchHandler::BatchHandler(std::string stream, std::string app, RecordPrinter printer,
                           std::vector<std::string> command, FailurePolicy policy, Producer* dead_letter,
                           std::mutex* shared, std::function<bool()> stop)
    : stream_(std::move(stream)),
      app_(std::move(app)),
      printer_(std::move(printer)),
      command_(std::move(command)),
      policy_(std::move(policy)),
      dead_letter_(dead_letter),
      shared_(shared),
      stop_(std::move(stop)) {
  if (!command_.empty()) ::signal(SIGPIPE, SIG_IGN);
}

Status BatchHandler::handle(const ConsumerBatch& batch, size_t* done) {
  *done = 0;
  if (command_.empty()) {
    std::lock_guard lock(*shared_);
    Output& out = Output::standard();
    for (const auto& record : batch.records) {
      printer_.print(
          output_record(stream_, batch.shard_index,
                        {record.offset, record.arrival_ms, record.encrypted, record.key, record.data}),
          &out.buffer());
      out.end_record();
    }
    // Checkpointed only once written: a write that fails ends the tool before the checkpoint.
    out.flush();
    *done = batch.records.size();
    return {};
  }
  return handle_part(batch.shard_index, batch.records, done);
}

Status BatchHandler::handle_part(uint32_t shard, std::span<const ConsumedRecord> records, size_t* done) {
  std::string failure;
  int64_t delay_ms = kFirstRetryDelayMs;
  const int attempts = policy_.retries + 1;
  for (int attempt = 1; attempt <= attempts; ++attempt) {
    KDS_ASSIGN(failure, run_once(shard, records, attempt));
    if (failure.empty()) {
      *done += records.size();
      return {};
    }
    if (stop_()) return stopped();
    if (attempt < attempts) {
      if (!pause_unless_stopped(delay_ms, stop_)) return stopped();
      delay_ms = std::min(delay_ms * 2, kMaxRetryDelayMs);
    }
  }
  if (policy_.bisect && records.size() > 1) {
    const size_t half = records.size() / 2;
    KDS_TRY(handle_part(shard, records.first(half), done));
    return handle_part(shard, records.subspan(half), done);
  }
  if (policy_.dead_letter) {
    KDS_TRY(send_to_dead_letter(shard, records, failure));
    *done += records.size();
    return {};
  }
  command_failed_ = true;
  return Error(
      Errc::kIo,
      fmt::format("COMMAND {} on {} records {}..{} ({} attempt{}); checkpoint unchanged", failure,
                  shard_id_string(shard), sequence_number(shard, records.front().offset),
                  sequence_number(shard, records.back().offset), attempts, attempts == 1 ? "" : "s"));
}

Result<std::string> BatchHandler::run_once(uint32_t shard, std::span<const ConsumedRecord> records,
                                           int attempt) {
  input_.clear();
  for (const auto& record : records) {
    printer_.print(
        output_record(stream_, shard,
                      {record.offset, record.arrival_ms, record.encrypted, record.key, record.data}),
        &input_);
  }
  const std::vector<std::string> env = {
      "KDS_STREAM=" + stream_,
      "KDS_APP=" + app_,
      "KDS_SHARD_ID=" + shard_id_string(shard),
      "KDS_FIRST_SEQUENCE_NUMBER=" + sequence_number(shard, records.front().offset),
      "KDS_LAST_SEQUENCE_NUMBER=" + sequence_number(shard, records.back().offset),
      "KDS_RECORD_COUNT=" + std::to_string(records.size()),
      "KDS_ATTEMPT=" + std::to_string(attempt),
  };
  return run_command(command_, env, input_);
}

Status BatchHandler::send_to_dead_letter(uint32_t shard, std::span<const ConsumedRecord> records,
                                         const std::string& failure) {
  const std::string error = "COMMAND " + failure;
  std::lock_guard lock(*shared_);
  KDS_ASSIGN(const size_t max_bytes, dead_letter_->max_record_bytes());
  for (const auto& record : records) {
    const std::string_view key = record.key;
    std::string envelope = "{\"StreamName\": \"";
    api::append_json_escaped(stream_, &envelope);
    envelope += "\", ";
    const size_t envelope_start = envelope.size();
    std::string shaped;
    api::append_record_json(
        {shard, record.offset, record.arrival_ms, record.key, record.data, record.encrypted}, true, &shaped);
    envelope.append(shaped, 1, shaped.size() - 2);  // the members, without the braces
    envelope += ", \"Error\": \"";
    api::append_json_escaped(error, &envelope);
    envelope += "\"}";
    if (key.size() + envelope.size() > max_bytes) {
      // Too big with its data in base64: the record is named instead (kds-get STREAM SEQ fetches it while
      // it is retained), so a large failing record can never block its shard.
      shaped.clear();
      api::append_record_json({shard, record.offset, record.arrival_ms, record.key, "", record.encrypted},
                              true, &shaped);
      envelope.resize(envelope_start);
      envelope.append(shaped, 1, shaped.size() - 2);
      envelope +=
          fmt::format(", \"DataOmitted\": true, \"DataBytes\": {}, \"Error\": \"", record.data.size());
      api::append_json_escaped(error, &envelope);
      envelope += "\"}";
    }
    KDS_TRY(dead_letter_->add(record.key, envelope));
  }
  KDS_TRY(dead_letter_->flush([](const RecordAck&) {}));
  print_error(fmt::format(
      "{} record{} of {} ({}..{}) put to dead-letter stream {}: COMMAND {}", records.size(),
      records.size() == 1 ? "" : "s", shard_id_string(shard), sequence_number(shard, records.front().offset),
      sequence_number(shard, records.back().offset), dead_letter_->stream().name(), failure));
  return {};
}

}  // namespace kds::cli
