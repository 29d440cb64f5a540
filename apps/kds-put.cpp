// kds-put: each input line (or delimited record) becomes a record of the stream.
#include <unistd.h>

#include <string>
#include <vector>

#include "common/cli.h"
#include "common/output.h"
#include "common/put_loop.h"
#include "common/remote.h"
#include "common/remote_put.h"
#include "common/text.h"
#include "kds/validate.h"

using namespace kds;
using namespace kds::cli;

namespace {

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
  remote::RemoteOptions remote;
};

int put(const CLI::App& app, Options& options) {
  const std::string stream = resolve_stream(app, options.stream, [&](std::string operand) {
    options.files.insert(options.files.begin(), operand);
  });
  if (app.count("--delimiter") > 0 && options.nul)
    throw UsageError("-0 and --delimiter cannot be used together");
  PutSettings settings;
  settings.delimiter = std::string(1, '\0');
  if (!options.nul) {
    auto decoded = decode_escapes(options.delimiter);
    if (!decoded || decoded->empty())
      throw UsageError("--delimiter: give a non-empty delimiter (escapes \\n \\t \\0 \\xHH)");
    settings.delimiter = std::move(*decoded);
  }
  if (app.count("--key-delimiter") > 0) {
    settings.key_delimiter = decode_escapes(options.key_delimiter);
    if (!settings.key_delimiter || settings.key_delimiter->empty())
      throw UsageError("--key-delimiter: give a non-empty delimiter");
  }
  settings.key_delimiter_text = options.key_delimiter;
  settings.partition_key = options.partition_key;
  settings.json_acks = options.output == "json";
  if (app.count("--partition-key") > 0) {
    if (const Status checked = validate_partition_key(options.partition_key); !checked.ok()) {
      return fail(checked.error());
    }
  }
  if (app.count("--explicit-hash-key") > 0) {
    auto parsed = parse_explicit_hash_key(options.explicit_hash_key);
    if (!parsed.ok()) return fail(parsed.error());
    settings.explicit_hash = *parsed;
  }

  auto client = remote_client(options.remote);
  if (!client.ok()) return fail(client.error());
  if (*client) {
    refuse_local_only(app,
                      {{"--sync", "the local store's durability (an endpoint acknowledges stored records)"},
                       {"--encryption-key-file", "a local key file"}});
  }
  auto inputs = open_inputs(options.files);
  if (!inputs.ok()) return fail(inputs.error());
  if (*client) return put_remote(**client, stream, settings, *inputs);

  auto store = open_store(options.store);
  if (!store.ok()) return fail(store.error());
  StderrReporter reporter;
  ProducerOptions producer_options;
  parse_sync_mode(options.sync, &producer_options);
  auto target = store->open_stream(stream);
  if (!target.ok()) return fail(target.error());
  auto keys = load_keys(options.key_files, uses_keys(target->meta()));
  if (!keys.ok()) return fail(keys.error());
  producer_options.keys = std::move(keys).value();
  auto producer = Producer::open(*store, stream, producer_options, &reporter);
  if (!producer.ok()) return fail(producer.error());

  hint_if_terminal(*inputs);
  Putter putter(settings, std::move(producer).value());
  for (const auto& input : *inputs) {
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
        add_remote_options(app, &options.remote);
      },
      [&] { return put(*app_ptr, options); });
}
