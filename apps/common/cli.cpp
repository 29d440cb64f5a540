#include "cli.h"

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "kds/errors.h"
#include "output.h"

namespace kds::cli {

namespace {
std::string& name_storage() {
  static std::string name = "kds";
  return name;
}
}  // namespace

const std::string& program_name() {
  return name_storage();
}

int exit_code_for(const Error& error) {
  switch (error.code()) {
    case Errc::kValidation:
    case Errc::kInvalidArgument:
    case Errc::kSerialization:
    case Errc::kExpiredIterator:
    case Errc::kExpiredNextToken:
      return kExitUsage;
    case Errc::kResourceNotFound:
      return kExitNotFound;
    case Errc::kResourceInUse:
      return kExitInUse;
    case Errc::kLimitExceeded:
    case Errc::kThroughputExceeded:
      return kExitLimit;
    case Errc::kAccessDenied:
      return kExitCredentials;
    case Errc::kUnavailable:
      return kExitUnavailable;
    case Errc::kCorruption:
    case Errc::kIo:
    case Errc::kNoSpace:
      return kExitFailure;
  }
  return kExitFailure;
}

void print_error(std::string_view text) {
  std::string line = program_name() + ": ";
  for (char c : text)
    line += (c == '\n' || c == '\r') ? ' ' : c;
  line += '\n';
  // One write, so lines from concurrent tools do not interleave.
  (void)!::write(STDERR_FILENO, line.data(), line.size());
}

namespace {
// The library's text, then how to act on it with a tool's options (the library names no options).
std::string with_hint(const Error& error) {
  std::string text = error.to_string();
  if (error.message().ends_with(kKeyNotGiven))
    text += ": give it with --encryption-key-file or KDS_ENCRYPTION_KEY_FILE";
  if (error.message().starts_with("no store:")) text += "; give one with --store";
  return text;
}
}  // namespace

int fail(const Error& error) {
  print_error(with_hint(error));
  return exit_code_for(error);
}

int fail(std::string_view context, const Error& error) {
  print_error(fmt::format("{}: {}", context, with_hint(error)));
  return exit_code_for(error);
}

api::Context api_context(const Store& store, Reporter* reporter, std::vector<Key> keys) {
  api::Context context;
  context.store = &store;
  context.reporter = reporter;
  context.keys = std::move(keys);
  context.resolve_key = [](std::string_view path) { return load_key_file(std::string(path)); };
  return context;
}

void add_store_option(CLI::App& app, std::string* store) {
  app.add_option("--store", *store, "Store directory (default: $KDS_STORE, else $XDG_DATA_HOME/kds)")
      ->type_name("DIR");
}

void add_output_option(CLI::App& app, std::string* output) {
  app.add_option("--output", *output, "Output format")
      ->type_name("text|json")
      ->check(CLI::IsMember({"text", "json"}))
      ->default_str("text");
}

void add_stream_operand(CLI::App& app, StreamName* stream) {
  app.add_option("STREAM", stream->operand, "Stream name")->type_name("STREAM");
  app.add_option("--stream-name", stream->option, "Stream name (instead of the STREAM operand)")
      ->type_name("STREAM");
}

std::string resolve_stream(const CLI::App& app, const StreamName& stream,
                           const std::function<void(std::string)>& shift) {
  const bool by_option = app.count("--stream-name") > 0;
  const bool by_operand = app.count("STREAM") > 0;
  if (!by_option && !by_operand) throw UsageError("a stream name is required (STREAM or --stream-name)");
  if (!by_option) return stream.operand;
  if (by_operand) {
    if (!shift)
      throw UsageError("unexpected operand '" + stream.operand + "' (the stream is given by --stream-name)");
    shift(stream.operand);
  }
  return stream.option;
}

void add_key_option(CLI::App& app, std::vector<std::string>* files) {
  app.add_option(
         "--encryption-key-file", *files,
         "Key file (32 random bytes, mode 0600) of an encrypted stream (default: $KDS_ENCRYPTION_KEY_FILE)")
      ->type_name("FILE");
}

bool uses_keys(const StreamMeta& meta) {
  return meta.encryption_type != "NONE" || !meta.key_fingerprints.empty();
}

Result<std::vector<Key>> load_keys(const std::vector<std::string>& files, bool stream_uses_keys) {
  std::vector<std::string> paths = files;
  if (paths.empty() && stream_uses_keys) {
    if (const char* env = std::getenv("KDS_ENCRYPTION_KEY_FILE"); env != nullptr && *env != '\0') {
      paths.emplace_back(env);
    }
  }
  std::vector<Key> keys;
  for (const auto& path : paths) {
    KDS_ASSIGN(Key key, load_key_file(path));
    keys.push_back(key);
  }
  return keys;
}

Result<Store> open_store(const std::string& store_option) {
  std::string path = store_option;
  if (path.empty()) {
    KDS_ASSIGN(path, Store::default_path());
  }
  return Store::open(path);
}

Result<Stream> open_stream_for_reading(const Store& store, std::string_view name,
                                       const std::vector<std::string>& key_files) {
  KDS_ASSIGN(Stream stream, store.open_stream(name));
  KDS_ASSIGN(auto keys, load_keys(key_files, uses_keys(stream.meta())));
  KDS_TRY(stream.use_keys(keys));
  KDS_TRY(stream.check_read_keys());
  return stream;
}

Result<std::optional<uint32_t>> shard_option(const CLI::App& app, const Stream& stream,
                                             const std::string& text) {
  if (app.count("--shard-id") == 0) return std::optional<uint32_t>();
  auto index = parse_shard_id(text);
  if (!index || stream.meta().find_shard(*index) == nullptr) return shard_not_found(text, stream.name());
  return std::optional<uint32_t>(*index);
}

void StderrReporter::damage(const DamageReport& report) {
  found_damage_ = true;
  print_error(fmt::format("Corruption: {} at byte {} ({} bytes): {}", report.path, report.position,
                          report.length, report.what));
}

void StderrReporter::repaired(const DamageReport& report) {
  print_error(fmt::format("repaired {} at byte {} ({} bytes): {}", report.path, report.position,
                          report.length, report.what));
}

int run(int argc, char** argv, const char* name, const char* description,
        const std::function<void(CLI::App&)>& define, const std::function<int()>& body) {
  name_storage() = name;
  // Die quietly of SIGPIPE as cat does, even when the parent left it ignored.
  ::signal(SIGPIPE, SIG_DFL);
  CLI::App app(description, name);
  app.set_version_flag("-V,--version", fmt::format("{} (kds) {}", name, KDS_VERSION));
  app.footer(fmt::format("See {}(1) and kds(7).", name));
  app.get_formatter()->column_width(36);
  define(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) {
      app.exit(e);
      return kExitOk;
    }
    print_error(fmt::format("{} (try '{} --help')", e.what(), name));
    return kExitUsage;
  }
  // A script moved to an endpoint with KDS_ENDPOINT must not have a tool quietly keep to the local store.
  const char* endpoint = std::getenv("KDS_ENDPOINT");
  if (endpoint != nullptr && *endpoint != '\0' && app.get_option_no_throw("--endpoint") == nullptr &&
      std::string_view(name) != "kds-serve") {
    print_error(
        fmt::format("KDS_ENDPOINT is set, but {} works on a local store only (it has no remote mode); "
                    "unset KDS_ENDPOINT to run it",
                    name));
    return kExitUsage;
  }
  try {
    const int status = body();
    const Status flushed = Output::standard().finish();
    if (!flushed.ok()) return fail(flushed.error());
    return status;
  } catch (const UsageError& e) {
    print_error(fmt::format("{} (try '{} --help')", e.what(), name));
    return kExitUsage;
  } catch (const nlohmann::json::exception& e) {
    // The last resort for JSON the tools did not make (an endpoint's answer of an unexpected shape).
    print_error(fmt::format("unexpected JSON: {}", e.what()));
    return kExitFailure;
  }
}

}  // namespace kds::cli
