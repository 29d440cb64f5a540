// kds-tail: print the last records of a stream, then follow it as it grows, across shards and reshards.
#include <signal.h>
#include <unistd.h>

#include <fmt/format.h>

#include <atomic>
#include <optional>
#include <string>

#include "common/cli.h"
#include "common/output.h"
#include "common/read_position.h"
#include "common/record_printer.h"
#include "common/remote.h"
#include "common/remote_read.h"
#include "common/stop_signal.h"
#include "common/text.h"
#include "kds/errors.h"
#include "kds/follower.h"

using namespace kds;
using namespace kds::cli;

namespace {

constexpr int kFallbackWaitMs = 1000;

struct Options {
  std::string store;
  StreamName stream;
  std::string lines = "10";
  std::string shard_id;
  bool no_follow_children = false;
  StartOptions start;
  int64_t count = 0;
  RecordOutputOptions output;
  std::vector<std::string> key_files;
  std::string consumer;
  remote::RemoteOptions remote;
};

int tail(const CLI::App& app, Options& options) {
  const std::string stream_name = resolve_stream(app, options.stream);
  RecordPrinter printer = RecordPrinter::from_options(app, options.output);
  Output& out = Output::standard();
  if (options.output.unbuffered) out.set_line_buffered(true);
  if (app.count("--lines") > 0 && has_start_options(app)) {
    throw UsageError("--lines cannot be combined with --iterator-type, --sequence-number or --timestamp");
  }
  if (app.count("--count") > 0 && options.count < 1) {
    return fail(validation_error(
        {{std::to_string(options.count), "count", "Member must have value greater than or equal to 1"}}));
  }
  auto client = remote_client(options.remote);
  if (!client.ok()) return fail(client.error());
  if (*client) {
    refuse_local_only(app, {{"--encryption-key-file", "a local key file"}});
    auto read = remote_read(app, options.shard_id, options.start, has_start_options(app));
    if (!read.ok()) return fail(read.error());
    std::optional<LinesOption> lines;
    if (!has_start_options(app)) lines = parse_lines(options.lines);
    std::optional<std::string> consumer;
    if (app.count("--consumer") > 0) consumer = options.consumer;
    return tail_remote(**client, stream_name, *read, lines, !options.no_follow_children, options.count,
                       consumer, printer);
  }
  if (app.count("--consumer") > 0)
    throw UsageError("--consumer reads through enhanced fan-out (SubscribeToShard), which needs --endpoint");
  auto store = open_store(options.store);
  if (!store.ok()) return fail(store.error());
  auto stream = open_stream_for_reading(*store, stream_name, options.key_files);
  if (!stream.ok()) return fail(stream.error());
  auto shard_given = shard_option(app, *stream, options.shard_id);
  if (!shard_given.ok()) return fail(shard_given.error());
  const std::optional<uint32_t> shard = *shard_given;
  StderrReporter reporter;
  auto plan = has_start_options(app) ? plan_follow(*stream, app, options.start, shard)
                                     : plan_lines(*stream, options.lines, shard);
  if (!plan.ok()) return fail(plan.error());
  plan->follow_children = !options.no_follow_children;

  install_stop_handlers();
  auto follower = StreamFollower::open(std::move(stream).value(), std::move(plan).value(), &reporter);
  if (!follower.ok()) return fail(follower.error());
  int64_t printed = 0;
  const std::string name = stream_name;
  for (;;) {
    auto delivered = follower->deliver_available([&](uint32_t shard_index, const ReadRecord& record) {
      printer.print(output_record(name, shard_index, record), &out.buffer());
      out.end_record();
      ++printed;
      return !(options.count > 0 && printed >= options.count) && stop_signal() == 0;
    });
    // Never wait with records still in the buffer.
    out.flush();
    if (!delivered.ok()) return fail(delivered.error());
    if (options.count > 0 && printed >= options.count) break;
    if (stop_signal() != 0) die_of(stop_signal());
    if (follower->finished()) break;
    auto broken = follower->wait(kFallbackWaitMs, STDOUT_FILENO);
    if (!broken.ok()) return fail(broken.error());
    // The reader of our output has gone (`kds-tail s | head -1`): end as a write would, by SIGPIPE.
    if (*broken) die_of(SIGPIPE);
  }
  return reporter.found_damage() ? kExitCorruption : kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  CLI::App* app_ptr = nullptr;
  return run(
      argc, argv, "kds-tail",
      "Print the last records of a stream, then follow it as records arrive, across shards and reshards.",
      [&](CLI::App& app) {
        app_ptr = &app;
        add_stream_operand(app, &options.stream);
        app.add_option(
               "-n,--lines", options.lines,
               "Start with the last N records (default 10; 0 for none), or +K: from record K of each shard")
            ->type_name("N|+K");
        app.add_option("--shard-id", options.shard_id,
                       "Follow this shard (and the shards it is split or merged into)")
            ->type_name("ID");
        app.add_flag("--no-follow-children", options.no_follow_children,
                     "Stop at the end of a closed shard instead of going on into its children");
        add_start_options(app, &options.start);
        app.add_option(
               "--consumer", options.consumer,
               "With --endpoint: follow through enhanced fan-out (SubscribeToShard) as this consumer, "
               "registered if it is not")
            ->type_name("NAME");
        app.add_option("--count", options.count, "Exit after printing N records")->type_name("N");
        add_record_output_options(app, &options.output);
        add_key_option(app, &options.key_files);
        add_store_option(app, &options.store);
        add_remote_options(app, &options.remote);
      },
      [&] { return tail(*app_ptr, options); });
}
