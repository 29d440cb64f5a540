// What every kds-* tool shares: option names, exit statuses, the error line, the store it opens.
#pragma once

#include <CLI/CLI.hpp>

#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kds/api/operations.h"
#include "kds/cipher.h"
#include "kds/report.h"
#include "kds/status.h"
#include "kds/store.h"

namespace kds::cli {

// Exit statuses, the same for every tool (kds(7), EXIT STATUS).
enum ExitCode : int {
  kExitOk = 0,
  kExitFailure = 1,      // I/O error, full disk, permission, damaged metadata
  kExitUsage = 2,        // bad option or operand, or a value Kinesis rejects (ValidationException,
                         // InvalidArgumentException)
  kExitNotFound = 3,     // ResourceNotFoundException: no such stream, shard or record
  kExitInUse = 4,        // ResourceInUseException: stream exists or is busy
  kExitLimit = 5,        // LimitExceededException
  kExitBadInput = 6,     // a record read from the input is invalid (kds-put)
  kExitCorruption = 7,   // damaged data was found and skipped; everything else was output
  kExitCredentials = 8,  // remote mode: no credentials found, or the endpoint refused them
  kExitUnavailable = 9,  // remote mode: the endpoint could not be reached, or failed (5xx)
};

int exit_code_for(const Error& error);

// The program name errors are prefixed with ("kds-get").
const std::string& program_name();

// Prints "<program>: <text>" as one line on stderr (newlines in text become spaces).
void print_error(std::string_view text);
// Prints the error and returns its exit status.
int fail(const Error& error);
// As fail, with a context such as "app.log:12" before the error.
int fail(std::string_view context, const Error& error);

// Options every tool that opens a store takes.
void add_store_option(CLI::App& app, std::string* store);
// `--output text|json`.
void add_output_option(CLI::App& app, std::string* output);
// The stream, as first operand STREAM or as --stream-name (as in the AWS CLI).
struct StreamName {
  std::string operand;
  std::string option;
};
void add_stream_operand(CLI::App& app, StreamName* stream);
// The stream name given. With --stream-name, what the parser took as STREAM is really the tool's next
// operand: it is handed to `shift` (or refused when the tool takes no other operand). Throws UsageError
// when no stream was named.
std::string resolve_stream(const CLI::App& app, const StreamName& stream,
                           const std::function<void(std::string)>& shift = {});

// `--encryption-key-file FILE` (repeatable), else $KDS_ENCRYPTION_KEY_FILE.
void add_key_option(CLI::App& app, std::vector<std::string>* files);
// Loads the keys named by the option or the environment (none when neither is given). The environment's
// key is only loaded for a stream that uses keys, so a stale $KDS_ENCRYPTION_KEY_FILE never gets in the
// way of an unencrypted stream.
Result<std::vector<Key>> load_keys(const std::vector<std::string>& files, bool stream_uses_keys);
// Whether reading or writing `meta`'s stream needs a key.
bool uses_keys(const StreamMeta& meta);

// Opens the store named by --store, else $KDS_STORE, else the XDG default.
Result<Store> open_store(const std::string& store_option);

// Opens `name` for reading with the keys of --encryption-key-file (or the environment's, when the stream
// uses keys), refusing an encrypted stream before anything is printed when its keys were not given.
Result<Stream> open_stream_for_reading(const Store& store, std::string_view name,
                                       const std::vector<std::string>& key_files);

// The shard `--shard-id TEXT` names in `stream`, nullopt without the option, or the error Kinesis gives
// for a shard that cannot be parsed or does not exist.
Result<std::optional<uint32_t>> shard_option(const CLI::App& app, const Stream& stream,
                                             const std::string& text);

// What the API layer's operations run against, for a tool: `store`, the keys given (if any) and
// `reporter` (may be null); KeyIds are key files' paths. Everything must outlive the context.
api::Context api_context(const Store& store, Reporter* reporter, std::vector<Key> keys = {});

// Reports damage on stderr and remembers that some was found (for exit status kExitCorruption).
class StderrReporter : public Reporter {
 public:
  void damage(const DamageReport& report) override;
  void repaired(const DamageReport& report) override;
  bool found_damage() const { return found_damage_; }

 private:
  std::atomic<bool> found_damage_{false};  // kds-serve reports from many threads
};

// Runs a tool: sets up signals, builds the CLI11 app with --help, --version and a "See NAME(1)" footer,
// lets `define` add options, parses, and calls `body`. Parse errors exit 2 (help and version 0); a
// UsageError thrown from body prints and exits 2.
int run(int argc, char** argv, const char* name, const char* description,
        const std::function<void(CLI::App&)>& define, const std::function<int()>& body);

// Thrown by tool bodies for command-line mistakes found after parsing.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace kds::cli
