#include "put_loop.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "cli.h"
#include "text.h"

namespace kds::cli {

Result<std::vector<Input>> open_inputs(const std::vector<std::string>& files) {
  std::vector<Input> inputs;
  const std::vector<std::string> names = files.empty() ? std::vector<std::string>{"-"} : files;
  for (const auto& name : names) {
    if (name == "-") {
      enlarge_pipe(STDIN_FILENO);
      inputs.push_back({"stdin", STDIN_FILENO});
      continue;
    }
    const int fd = ::open(name.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return io_error("cannot open " + name, errno);
    inputs.push_back({name, fd});
  }
  return inputs;
}

void hint_if_terminal(const std::vector<Input>& inputs) {
  for (const Input& input : inputs) {
    if (input.fd == STDIN_FILENO && ::isatty(STDIN_FILENO) == 1) {
      print_error("reading records from the terminal, one per line; end with Ctrl-D");
      return;
    }
  }
}

void parse_sync_mode(const std::string& text, ProducerOptions* options) {
  if (text == "none") {
    options->sync = SyncMode::kNone;
  } else if (text == "batch") {
    options->sync = SyncMode::kBatch;
  } else if (text == "interval" || text.starts_with("interval:")) {
    options->sync = SyncMode::kInterval;
    if (text != "interval") {
      auto ms = parse_integer(text.substr(9));
      if (!ms || *ms < 1 || *ms > 3600000) throw UsageError("--sync interval:MS needs MS from 1 to 3600000");
      options->sync_interval_ms = *ms;
    }
  } else {
    throw UsageError("--sync: '" + text + "' is not batch, interval[:MS] or none");
  }
}

std::optional<KeyedRecord> split_key(const PutSettings& settings, std::string_view record) {
  KeyedRecord keyed{settings.partition_key, record};
  if (keyed.key.empty()) keyed.key = kDefaultPartitionKey;
  if (!settings.key_delimiter) return keyed;
  const size_t at = record.find(*settings.key_delimiter);
  if (at != std::string_view::npos)
    return KeyedRecord{record.substr(0, at), record.substr(at + settings.key_delimiter->size())};
  if (settings.partition_key.empty()) return std::nullopt;
  return keyed;
}

std::string record_location(const PutSettings& settings, uint64_t number) {
  return fmt::format("{} {}", settings.delimiter == "\n" ? "line" : "record", number);
}

size_t max_input_record(size_t max_data) {
  return max_data + 4 * kMaxPartitionKeyChars + 16;
}

int record_too_long(const PutSettings& settings, const Input& input, const RecordSplitter& splitter,
                    size_t max_data) {
  print_error(fmt::format("{}: {}: ValidationException: record is longer than the {} byte limit ({} bytes)",
                          input.name, record_location(settings, splitter.record_number()), max_data,
                          splitter.too_long_size()));
  return kExitBadInput;
}

int no_key_delimiter(const PutSettings& settings, const Input& input, uint64_t number) {
  print_error(fmt::format("{}: {}: no key delimiter '{}' and no --partition-key to fall back on", input.name,
                          record_location(settings, number), settings.key_delimiter_text));
  return kExitBadInput;
}

}  // namespace kds::cli
