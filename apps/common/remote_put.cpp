#include "remote_put.h"

#include <fmt/format.h>

#include "cli.h"
#include "kds/api/shapes.h"
#include "kds/remote/producer.h"
#include "kds/remote/streams.h"
#include "kds/validate.h"
#include "output.h"

namespace kds::cli {

namespace {

class RemotePutter {
 public:
  // `settings` and `producer` must outlive the putter.
  RemotePutter(const PutSettings& settings, remote::Producer& producer, size_t max_record_bytes)
      : settings_(settings), producer_(producer), max_record_bytes_(max_record_bytes) {
    if (settings.explicit_hash) explicit_hash_ = to_decimal(*settings.explicit_hash);
  }

  // Reads one input to its end; returns an exit status.
  int put_all(const Input& input) {
    RecordSplitter splitter(input.fd, settings_.delimiter, max_input_record(max_record_bytes_));
    splitter.also_wake_on(producer_.wake_fd());  // print acknowledgements as the endpoint answers
    std::vector<std::string_view> records;
    for (;;) {
      auto event = splitter.next_group(&records, kGroup);
      if (!event.ok()) return fail(input.name, event.error());
      switch (*event) {
        case RecordSplitter::Event::kRecord:
          if (int status = add(input, splitter.record_number() + 1 - records.size(), records);
              status != kExitOk)
            return status;
          if (held_bytes_ >= kHeldBytes) {
            if (int status = release(); status != kExitOk) return status;
          }
          if (int status = acknowledge(producer_.poll(print_ack())); status != kExitOk) return status;
          break;
        case RecordSplitter::Event::kPause:
        case RecordSplitter::Event::kIdle:
          if (int status = release(); status != kExitOk) return status;
          if (int status = acknowledge(producer_.poll(print_ack())); status != kExitOk) return status;
          break;
        case RecordSplitter::Event::kTooLong:
          return record_too_long(settings_, input, splitter, max_record_bytes_);
        case RecordSplitter::Event::kEnd:
          return kExitOk;
      }
    }
  }

  // Sends what is held back, waits for every record to be stored and acknowledges it; after a failure,
  // acknowledges what was stored before the first record that was not.
  int finish() {
    if (int status = release(); status != kExitOk) return status;
    return acknowledge_sent();
  }

  // After bad input: what was sent is acknowledged once stored; what was held back is dropped, as local
  // kds-put drops what it had not yet written.
  int acknowledge_sent() { return acknowledge(producer_.drain(print_ack())); }

 private:
  remote::Producer::AckFunction print_ack() {
    if (!settings_.json_acks) return {};
    return [](const remote::PutAck& ack) {
      Output::standard().write(api::put_record_json(ack.shard_id, ack.sequence_number, ack.encrypted) + "\n");
    };
  }

  // Flushes the acknowledgements printed so far, then reports `status` (once: a producer that stopped
  // returns its error from every later call). After an error, the requests still in flight are answered
  // and what they stored acknowledged first, so that the count of records not acknowledged is final.
  int acknowledge(const Status& status) {
    if (!status.ok() && failed_status_ == kExitOk) (void)producer_.drain(print_ack());
    Output::standard().flush();
    if (status.ok()) return kExitOk;
    if (failed_status_ != kExitOk) return failed_status_;
    const uint64_t left = producer_.unacknowledged();
    const Error& error = status.error();
    return failed_status_ = fail(Error::named(
               error.code(), std::string(error.name()),
               fmt::format("{}; {} record{} not acknowledged", error.message(), left, left == 1 ? "" : "s")));
  }

  // Queues `records`, numbered from `first_number` on, once all of them are valid: as on a store, a bad
  // record in a small input leaves the stream as it was.
  int add(const Input& input, uint64_t first_number, const std::vector<std::string_view>& records) {
    entries_.clear();
    for (size_t i = 0; i < records.size(); ++i) {
      const auto keyed = split_key(settings_, records[i]);
      if (!keyed) return no_key_delimiter(settings_, input, first_number + i);
      Status valid = validate_partition_key(keyed->key);
      if (valid.ok()) valid = validate_record_size(keyed->key, keyed->data.size(), max_record_bytes_);
      if (!valid.ok()) {
        fail(fmt::format("{}: {}", input.name, record_location(settings_, first_number + i)), valid.error());
        return kExitBadInput;
      }
      entries_.push_back({std::string(keyed->key), std::string(keyed->data), explicit_hash_});
    }
    for (auto& entry : entries_) {
      held_bytes_ += entry.key.size() + entry.data.size();
      held_.push_back(std::move(entry));
    }
    return kExitOk;
  }

  // Hands the records held back to the producer.
  int release() {
    const Status added = producer_.add(held_);
    held_.clear();
    held_bytes_ = 0;
    return added.ok() ? kExitOk : acknowledge(added);
  }

  static constexpr size_t kGroup = 64;
  // Records are held back until the input makes kds-put wait, or this much is held (as a local producer
  // queues up to 8 MiB before writing): so a bad record in input already at hand stores nothing, as on a
  // store.
  static constexpr size_t kHeldBytes = 8 << 20;
  const PutSettings& settings_;
  remote::Producer& producer_;
  size_t max_record_bytes_;
  std::string explicit_hash_;
  int failed_status_ = kExitOk;
  std::vector<remote::PutEntry> entries_;
  std::vector<remote::PutEntry> held_;
  size_t held_bytes_ = 0;
};

// The stream's largest record (MaxRecordSizeInKiB, where the endpoint tells it).
size_t max_record_bytes(const nlohmann::ordered_json& summary) {
  const auto kib = summary.find("MaxRecordSizeInKiB");
  if (kib != summary.end() && kib->is_number_integer() && kib->get<int64_t>() >= kDefaultMaxRecordKiB &&
      kib->get<int64_t>() <= kLargestMaxRecordKiB)
    return static_cast<size_t>(kib->get<int64_t>()) * 1024;
  return kMaxRecordDataBytes;
}

}  // namespace

int put_remote(remote::Client& client, const std::string& stream, const PutSettings& settings,
               const std::vector<Input>& inputs) {
  auto summary = remote::describe_stream_summary(client, stream);
  if (!summary.ok()) return fail(summary.error());
  remote::ProducerSettings producer_settings;
  producer_settings.acknowledgement_details = settings.json_acks;
  auto producer = remote::Producer::open(client.target(), stream, producer_settings);
  if (!producer.ok()) return fail(producer.error());
  RemotePutter putter(settings, **producer, max_record_bytes(*summary));
  hint_if_terminal(inputs);
  for (const auto& input : inputs) {
    const int status = putter.put_all(input);
    if (status != kExitOk) {
      (void)putter.acknowledge_sent();  // records sent before the failure are acknowledged once stored
      return status;
    }
  }
  return putter.finish();
}

}  // namespace kds::cli
