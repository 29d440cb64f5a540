// kds-put's loop: reads records from inputs, queues them on a Producer and prints acknowledgements as
// the sync mode makes records durable.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "cli.h"
#include "kds/api/shapes.h"
#include "kds/errors.h"
#include "kds/hash_key.h"
#include "kds/producer.h"
#include "kds/validate.h"
#include "output.h"
#include "record_splitter.h"

namespace kds::cli {

inline constexpr const char* kDefaultPartitionKey = "default";

struct Input {
  std::string name;  // as shown in messages
  int fd = -1;
};

// What kds-put's options say about turning input into records.
struct PutSettings {
  std::string delimiter;                     // between records, decoded and not empty
  std::optional<std::string> key_delimiter;  // -K, decoded
  std::string key_delimiter_text;            // -K as given, for messages
  std::string partition_key;                 // -k; empty: kDefaultPartitionKey
  std::optional<u128> explicit_hash;
  bool json_acks = false;  // print one PutRecord answer per record
};

// Opens every input ("-" is standard input; none given: standard input) before anything is written, so a
// missing file leaves the store unchanged.
Result<std::vector<Input>> open_inputs(const std::vector<std::string>& files);

// Says on standard error how to end the input when standard input is read from a terminal.
void hint_if_terminal(const std::vector<Input>& inputs);

// --sync batch|interval[:MS]|none into `options`; throws UsageError for anything else.
void parse_sync_mode(const std::string& text, ProducerOptions* options);

// A record's partition key and data, as -k and -K say.
struct KeyedRecord {
  std::string_view key;
  std::string_view data;
};
// nullopt when -K finds no delimiter in `record` and there is no --partition-key to fall back on.
std::optional<KeyedRecord> split_key(const PutSettings& settings, std::string_view record);

// "line 12" or, with another delimiter than a newline, "record 12".
std::string record_location(const PutSettings& settings, uint64_t number);
// The longest input record a stream whose records hold up to `max_data` bytes may take: room for the key
// and the key delimiter too.
size_t max_input_record(size_t max_data);
// Print the error of a record too long for `max_data` / without a key delimiter; return kExitBadInput.
int record_too_long(const PutSettings& settings, const Input& input, const RecordSplitter& splitter,
                    size_t max_data);
int no_key_delimiter(const PutSettings& settings, const Input& input, uint64_t number);

class Putter {
 public:
  // `settings` must outlive the putter.
  Putter(const PutSettings& settings, Producer producer)
      : settings_(settings), producer_(std::move(producer)), explicit_hash_(settings.explicit_hash) {}

  // Reads one input to its end; returns an exit status.
  int put_all(const Input& input) {
    // Room for the largest record the stream accepts plus its key and the key delimiter.
    const size_t max_data = producer_.stream().meta().max_record_bytes();
    RecordSplitter splitter(input.fd, settings_.delimiter, max_input_record(max_data));
    splitter.also_wake_on(producer_.ack_wake_fd());  // print acknowledgements as their syncs complete
    splitter.wait_at_most([this] { return static_cast<int>(producer_.ms_until_sync()); });
    std::vector<std::string_view> records;
    for (;;) {
      // Records come in groups so that the producer hashes their keys many at a time.
      auto event = splitter.next_group(&records, kGroup);
      if (!event.ok()) return fail(input.name, event.error());
      switch (*event) {
        case RecordSplitter::Event::kRecord:
          if (int status = add(input, splitter.record_number() + 1 - records.size(), records);
              status != kExitOk)
            return status;
          if (producer_.wants_flush()) {
            if (int status = flush(); status != kExitOk) return status;
          }
          break;
        case RecordSplitter::Event::kPause:
          if (int status = flush(); status != kExitOk) return status;
          break;
        case RecordSplitter::Event::kTooLong:
          return record_too_long(settings_, input, splitter, max_data);
        case RecordSplitter::Event::kIdle:
          if (const Status synced = producer_.sync_written(); !synced.ok()) return fail(synced.error());
          if (int status = acknowledge(producer_.poll_acks(print_ack())); status != kExitOk) return status;
          break;
        case RecordSplitter::Event::kEnd:
          return kExitOk;
      }
    }
  }

  // Writes what is queued. In batch mode the sync runs on the library's worker meanwhile: records are
  // visible to readers at once and acknowledged when their sync completes.
  int flush() { return acknowledge(producer_.flush(print_ack(), false)); }

  void acknowledge_written() { (void)acknowledge(producer_.drain(print_ack())); }

  // At the end of input everything is acknowledged, and synced unless the mode is none.
  int finish() {
    if (int status = flush(); status != kExitOk) return status;
    if (const Status synced = producer_.sync_written(); !synced.ok()) return fail(synced.error());
    return acknowledge(producer_.drain(print_ack()));
  }

 private:
  std::function<void(const RecordAck&)> print_ack() {
    if (!settings_.json_acks) return {};
    return [](const RecordAck& ack) {
      Output::standard().write(api::put_record_json(ack.shard_index, ack.offset, ack.encrypted) + "\n");
    };
  }

  // Flushes the acknowledgements printed so far, then reports `status`.
  int acknowledge(const Status& status) {
    Output::standard().flush();
    if (!status.ok()) return fail(status.error());
    return kExitOk;
  }

  // Queues `records`, numbered from `first_number` on; stops at the first bad one.
  int add(const Input& input, uint64_t first_number, const std::vector<std::string_view>& records) {
    inputs_.clear();
    std::optional<uint64_t> missing_delimiter;  // the number of a record without one
    for (std::string_view record : records) {
      const auto keyed = split_key(settings_, record);
      if (!keyed) {
        missing_delimiter = first_number + inputs_.size();
        break;
      }
      inputs_.push_back({keyed->key, keyed->data, explicit_hash_});
    }
    size_t added = 0;
    const Status status = producer_.add_many(inputs_, &added);
    if (!status.ok()) {
      if (status.error().code() != Errc::kValidation) return fail(status.error());
      fail(fmt::format("{}: {}", input.name, record_location(settings_, first_number + added)),
           status.error());
      return kExitBadInput;
    }
    if (missing_delimiter) return no_key_delimiter(settings_, input, *missing_delimiter);
    return kExitOk;
  }

  static constexpr size_t kGroup = 64;
  const PutSettings& settings_;
  Producer producer_;
  std::optional<u128> explicit_hash_;
  std::vector<Producer::Input> inputs_;
};

}  // namespace kds::cli
