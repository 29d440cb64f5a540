// kds-get: print records of a stream, by sequence number or in order from an iterator position.
#include <fmt/format.h>

#include <optional>
#include <string>
#include <vector>

#include "common/cli.h"
#include "common/output.h"
#include "common/read_position.h"
#include "common/record_printer.h"
#include "common/record_reading.h"
#include "common/remote.h"
#include "common/remote_read.h"
#include "kds/errors.h"
#include "kds/shard_reader.h"

using namespace kds;
using namespace kds::cli;

namespace {

struct Options {
  std::string store;
  StreamName stream;
  std::vector<std::string> sequence_numbers;
  std::string shard_id;
  StartOptions start;
  int64_t limit = 0;
  RecordOutputOptions output;
  std::vector<std::string> key_files;
  remote::RemoteOptions remote;
};

int get(const CLI::App& app, Options& options) {
  const std::string stream_name = resolve_stream(app, options.stream, [&](std::string operand) {
    options.sequence_numbers.insert(options.sequence_numbers.begin(), operand);
  });
  RecordPrinter record_printer = RecordPrinter::from_options(app, options.output);
  if (options.output.unbuffered) Output::standard().set_line_buffered(true);
  if (app.count("--limit") > 0 && options.limit < 1) {
    return fail(validation_error(
        {{std::to_string(options.limit), "limit", "Member must have value greater than or equal to 1"}}));
  }
  const bool by_number = !options.sequence_numbers.empty();
  if (by_number && (app.count("--shard-id") > 0 || has_start_options(app))) {
    throw UsageError("SEQUENCE_NUMBER operands cannot be combined with --shard-id or iterator options");
  }
  auto client = remote_client(options.remote);
  if (!client.ok()) return fail(client.error());
  if (*client) {
    refuse_local_only(app, {{"--encryption-key-file", "a local key file"}});
    auto read = remote_read(app, options.shard_id, options.start, !by_number);
    if (!read.ok()) return fail(read.error());
    return get_remote(**client, stream_name, options.sequence_numbers, *read, options.limit, record_printer);
  }
  auto store = open_store(options.store);
  if (!store.ok()) return fail(store.error());
  auto stream = open_stream_for_reading(*store, stream_name, options.key_files);
  if (!stream.ok()) return fail(stream.error());
  StderrReporter reporter;
  LimitedPrinter printer(*stream, std::move(record_printer), options.limit);
  Status printed;
  if (by_number) {
    printed = print_by_sequence_numbers(*stream, options.sequence_numbers, printer, &reporter);
  } else {
    auto shard = shard_option(app, *stream, options.shard_id);
    if (!shard.ok()) return fail(shard.error());
    auto plan = plan_read(*stream, app, options.start, *shard);
    if (!plan.ok()) return fail(plan.error());
    printed = print_in_order(*stream, *plan, printer, &reporter);
  }
  if (!printed.ok()) return fail(printed.error());
  return reporter.found_damage() ? kExitCorruption : kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  CLI::App* app_ptr = nullptr;
  return run(
      argc, argv, "kds-get",
      "Print records of a stream: by sequence number, or in order from a starting position.",
      [&](CLI::App& app) {
        app_ptr = &app;
        add_stream_operand(app, &options.stream);
        app.add_option("SEQUENCE_NUMBER", options.sequence_numbers,
                       "Print the records with these sequence numbers");
        app.add_option("--shard-id", options.shard_id,
                       "Read only this shard (default: every shard, parents first)")
            ->type_name("ID");
        add_start_options(app, &options.start);
        app.add_option("--limit", options.limit, "Stop after N records")->type_name("N");
        add_record_output_options(app, &options.output);
        add_key_option(app, &options.key_files);
        add_store_option(app, &options.store);
        add_remote_options(app, &options.remote);
      },
      [&] { return get(*app_ptr, options); });
}
