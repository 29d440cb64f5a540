// kds-put: each input line (or delimited record) becomes a record of the stream.
#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/cli.h"
#include "common/output.h"
#include "common/record_splitter.h"
#include "common/text.h"
#include "kds/api/shapes.h"
#include "kds/errors.h"
#include "kds/producer.h"
#include "kds/validate.h"

using namespace kds;
using namespace kds::cli;

namespace {

constexpr const char* kDefaultPartitionKey = "default";

struct Options {
  std::string store;
  StreamName stream;
  std::vector<std::string> files;
  std::string partition_key;
  std::string key_delimiter;
  std::string delimiter = "\\n";
  bool nul = false;
  std::string explicit_hash_key;
  std::string sync = "batch";
  std::string output = "text";
  std::vector<std::string> key_files;
};

struct Input {
  std::string name;  // as shown in messages
  int fd = -1;
};

class Putter {
 public:
  Putter(const Options& options, Producer producer, std::string delimiter,
         std::optional<std::string> key_delimiter, std::optional<u128> explicit_hash)
      : options_(options),
        producer_(std::move(producer)),
        delimiter_(std::move(delimiter)),
        key_delimiter_(std::move(key_delimiter)),
        explicit_hash_(explicit_hash) {}

  // Reads one input to its end; returns an exit status.
  int put_all(const Input& input) {
    // Room for the largest record Kinesis accepts plus its key and the key delimiter.
    const size_t max_record = kMaxRecordDataBytes + 4 * kMaxPartitionKeyChars + 16;
    RecordSplitter splitter(input.fd, delimiter_, max_record);
    splitter.also_wake_on(producer_.ack_wake_fd());  // print acknowledgements as their syncs complete
    splitter.wait_at_most([this] { return static_cast<int>(producer_.ms_until_sync()); });
    for (;;) {
      std::string_view record;
      auto event = splitter.next(&record);
      if (!event.ok()) return fail(input.name, event.error());
      switch (*event) {
        case RecordSplitter::Event::kRecord:
          if (int status = add(input, splitter.record_number(), record); status != kExitOk) return status;
          if (producer_.wants_flush()) {
            if (int status = flush(); status != kExitOk) return status;
          }
          break;
        case RecordSplitter::Event::kPause:
          if (int status = flush(); status != kExitOk) return status;
          break;
        case RecordSplitter::Event::kTooLong:
          print_error(fmt::format(
              "{}: {}: ValidationException: record is longer than the {} byte limit ({} bytes)", input.name,
              location(splitter.record_number()), kMaxRecordDataBytes, splitter.too_long_size()));
          return kExitBadInput;
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
    if (options_.output != "json") return {};
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

  std::string location(uint64_t number) const {
    return fmt::format("{} {}", delimiter_ == "\n" ? "line" : "record", number);
  }

  int add(const Input& input, uint64_t number, std::string_view record) {
    std::string_view key = options_.partition_key;
    if (key.empty()) key = kDefaultPartitionKey;
    std::string_view data = record;
    if (key_delimiter_) {
      const size_t at = record.find(*key_delimiter_);
      if (at != std::string_view::npos) {
        key = record.substr(0, at);
        data = record.substr(at + key_delimiter_->size());
      } else if (options_.partition_key.empty()) {
        print_error(fmt::format("{}: {}: no key delimiter '{}' and no --partition-key to fall back on",
                                input.name, location(number), options_.key_delimiter));
        return kExitBadInput;
      }
    }
    const Status added = producer_.add(key, data, explicit_hash_);
    if (!added.ok()) {
      if (added.error().code() != Errc::kValidation) return fail(added.error());
      fail(fmt::format("{}: {}", input.name, location(number)), added.error());
      return kExitBadInput;
    }
    return kExitOk;
  }

  const Options& options_;
  Producer producer_;
  std::string delimiter_;
  std::optional<std::string> key_delimiter_;
  std::optional<u128> explicit_hash_;
};

int put(const CLI::App& app, Options& options) {
  const std::string stream = resolve_stream(app, options.stream, [&](std::string operand) {
    options.files.insert(options.files.begin(), operand);
  });
  if (app.count("--delimiter") > 0 && options.nul)
    throw UsageError("-0 and --delimiter cannot be used together");
  std::string delimiter = std::string(1, '\0');
  if (!options.nul) {
    auto decoded = decode_escapes(options.delimiter);
    if (!decoded || decoded->empty())
      throw UsageError("--delimiter: give a non-empty delimiter (escapes \\n \\t \\0 \\xHH)");
    delimiter = std::move(*decoded);
  }
  std::optional<std::string> key_delimiter;
  if (app.count("--key-delimiter") > 0) {
    key_delimiter = decode_escapes(options.key_delimiter);
    if (!key_delimiter || key_delimiter->empty())
      throw UsageError("--key-delimiter: give a non-empty delimiter");
  }
  if (app.count("--partition-key") > 0) {
    if (const Status checked = validate_partition_key(options.partition_key); !checked.ok()) {
      return fail(checked.error());
    }
  }
  std::optional<u128> explicit_hash;
  if (app.count("--explicit-hash-key") > 0) {
    auto parsed = parse_explicit_hash_key(options.explicit_hash_key);
    if (!parsed.ok()) return fail(parsed.error());
    explicit_hash = *parsed;
  }

  // Open every input before writing anything, so a missing file leaves the store unchanged.
  std::vector<Input> inputs;
  const std::vector<std::string> names =
      options.files.empty() ? std::vector<std::string>{"-"} : options.files;
  for (const auto& name : names) {
    if (name == "-") {
      enlarge_pipe(STDIN_FILENO);
      inputs.push_back({"stdin", STDIN_FILENO});
      continue;
    }
    const int fd = ::open(name.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return fail(io_error("cannot open " + name, errno));
    inputs.push_back({name, fd});
  }

  auto store = open_store(options.store);
  if (!store.ok()) return fail(store.error());
  StderrReporter reporter;
  ProducerOptions producer_options;
  if (options.sync == "none") {
    producer_options.sync = SyncMode::kNone;
  } else if (options.sync == "batch") {
    producer_options.sync = SyncMode::kBatch;
  } else if (options.sync == "interval" || options.sync.starts_with("interval:")) {
    producer_options.sync = SyncMode::kInterval;
    if (options.sync != "interval") {
      auto ms = parse_integer(options.sync.substr(9));
      if (!ms || *ms < 1 || *ms > 3600000) throw UsageError("--sync interval:MS needs MS from 1 to 3600000");
      producer_options.sync_interval_ms = *ms;
    }
  } else {
    throw UsageError("--sync: '" + options.sync + "' is not batch, interval[:MS] or none");
  }
  auto target = store->open_stream(stream);
  if (!target.ok()) return fail(target.error());
  auto keys = load_keys(options.key_files, uses_keys(target->meta()));
  if (!keys.ok()) return fail(keys.error());
  producer_options.keys = std::move(keys).value();
  auto producer = Producer::open(*store, stream, producer_options, &reporter);
  if (!producer.ok()) return fail(producer.error());

  if (options.files.empty() && ::isatty(STDIN_FILENO) == 1) {
    print_error("reading records from the terminal, one per line; end with Ctrl-D");
  }
  Putter putter(options, std::move(producer).value(), delimiter, key_delimiter, explicit_hash);
  for (const auto& input : inputs) {
    const int status = putter.put_all(input);
    if (status != kExitOk) {
      putter.acknowledge_written();  // records written before the failure are acknowledged once durable
      return status;
    }
  }
  return putter.finish();
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  CLI::App* app_ptr = nullptr;
  return run(
      argc, argv, "kds-put", "Write each input line (or delimited record) to a stream as one record.",
      [&](CLI::App& app) {
        app_ptr = &app;
        add_stream_operand(app, &options.stream);
        app.add_option("FILE", options.files,
                       "Files to read ('-' is standard input; default: standard input)");
        app.add_option(
               "-k,--partition-key", options.partition_key,
               "Partition key of every record (default: 'default'; with -K, for lines without the delimiter)")
            ->type_name("KEY");
        app.add_option("-K,--key-delimiter", options.key_delimiter,
                       "Take each record's partition key from before the first DELIM in it")
            ->type_name("DELIM");
        app.add_option("-D,--delimiter", options.delimiter, "Records are separated by DELIM (default \\n)")
            ->type_name("DELIM");
        app.add_flag("-0", options.nul, "Records are separated by NUL bytes");
        app.add_option("--explicit-hash-key", options.explicit_hash_key,
                       "Route every record by this hash key (0..2^128-1) instead of its partition key")
            ->type_name("HASH");
        app.add_option(
               "--sync", options.sync,
               "When a record counts as stored: batch (after fdatasync; default), interval[:MS] (written, "
               "synced every MS, default 1000) or none (written)")
            ->type_name("MODE");
        add_output_option(app, &options.output);
        add_key_option(app, &options.key_files);
        add_store_option(app, &options.store);
      },
      [&] { return put(*app_ptr, options); });
}
