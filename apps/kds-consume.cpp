// kds-consume: consume a stream as a named application, with a checkpoint per shard and leases shared by
// every worker of the application; print each batch, or run a command on it.
#include <unistd.h>

#include <fmt/format.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/batch_handler.h"
#include "common/cli.h"
#include "common/command_runner.h"
#include "common/output.h"
#include "common/read_position.h"
#include "common/record_printer.h"
#include "common/stop_signal.h"
#include "common/text.h"
#include "kds/consumer.h"
#include "kds/errors.h"
#include "kds/producer.h"
#include "kds/validate.h"

using namespace kds;
using namespace kds::cli;

namespace {

constexpr int64_t kMaxBatchSize = 10000;
constexpr int64_t kMaxBatchWindowMs = 300 * 1000;
constexpr int64_t kMaxParallel = 64;
constexpr int64_t kMinLeaseMs = 1000;
constexpr int64_t kMaxLeaseMs = 3600 * 1000;

struct Options {
  std::string store;
  StreamName stream;
  std::vector<std::string> command;
  std::string app;
  std::string start = "TRIM_HORIZON";
  std::string timestamp;
  int64_t batch_size = 1000;
  std::string batch_window = "0";
  bool until_caught_up = false;
  int64_t retries = 2;
  int64_t parallel = 1;
  bool bisect = false;
  std::string on_failure = "stop";
  std::string lease_timeout = "10s";
  RecordOutputOptions output;
  std::vector<std::string> key_files;
};

int64_t duration_option(const std::string& text, const char* option, int64_t min_ms, int64_t max_ms,
                        const char* range) {
  auto ms = parse_duration_ms(text);
  if (!ms || *ms < min_ms || *ms > max_ms)
    throw UsageError(
        fmt::format("{}: '{}' is not a duration of {} (such as 500ms, 10s, 2m)", option, text, range));
  return *ms;
}

std::string worker_id() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  return fmt::format("{}:{}", host[0] != '\0' ? host : "localhost", ::getpid());
}

int consume(const CLI::App& app, Options& options) {
  const std::string stream_name = resolve_stream(app, options.stream, [&](std::string operand) {
    options.command.insert(options.command.begin(), operand);
  });
  if (auto valid = check_app_name(options.app); !valid.ok()) return fail(valid.error());
  RecordPrinter printer = RecordPrinter::from_options(app, options.output);
  if (options.output.unbuffered) Output::standard().set_line_buffered(true);
  if (options.batch_size < 1 || options.batch_size > kMaxBatchSize) {
    return fail(validation_error(
        {{std::to_string(options.batch_size), "batchSize", "Member must have value between 1 and 10000"}}));
  }
  if (options.parallel < 1 || options.parallel > kMaxParallel) {
    return fail(validation_error(
        {{std::to_string(options.parallel), "parallel", "Member must have value between 1 and 64"}}));
  }
  if (options.retries < 0 || options.retries > 10000) {
    return fail(validation_error(
        {{std::to_string(options.retries), "retries", "Member must have value between 0 and 10000"}}));
  }
  ConsumerOptions consumer;
  consumer.app = options.app;
  consumer.worker = worker_id();
  consumer.batch_size = static_cast<uint32_t>(options.batch_size);
  consumer.batch_window_ms =
      duration_option(options.batch_window, "--batch-window", 0, kMaxBatchWindowMs, "0 to 5m");
  consumer.lease_ms =
      duration_option(options.lease_timeout, "--lease-timeout", kMinLeaseMs, kMaxLeaseMs, "1s to 1h");
  consumer.until_caught_up = options.until_caught_up;
  auto start = application_start(
      options.start, app.count("--timestamp") > 0 ? std::optional(options.timestamp) : std::nullopt,
      app.count("--start") > 0);
  if (!start.ok()) return fail(start.error());
  consumer.start = *start;
  FailurePolicy policy;
  policy.retries = static_cast<int>(options.retries);
  policy.bisect = options.bisect;
  if (options.on_failure.starts_with("dead-letter:")) {
    policy.dead_letter = options.on_failure.substr(12);
    if (auto valid = validate_stream_name(*policy.dead_letter); !valid.ok())
      return fail("--on-failure", valid.error());
  } else if (options.on_failure != "stop") {
    throw UsageError(fmt::format("--on-failure: '{}' is not stop or dead-letter:STREAM", options.on_failure));
  }
  if (options.command.empty() && (policy.dead_letter || options.bisect || app.count("--retries") > 0))
    throw UsageError("--retries, --bisect-on-error and --on-failure need a COMMAND (after --)");

  // A COMMAND that cannot be run is found before anything is read or created.
  if (!options.command.empty()) {
    if (auto found = find_command(options.command[0]); !found.ok()) throw UsageError(found.error().message());
  }
  auto store = open_store(options.store);
  if (!store.ok()) return fail(store.error());
  auto stream = open_stream_for_reading(*store, stream_name, options.key_files);
  if (!stream.ok()) return fail(stream.error());
  std::optional<Producer> dead_letter;
  if (policy.dead_letter) {
    ProducerOptions producer_options;
    auto keys = load_keys(options.key_files, false);
    if (!keys.ok()) return fail(keys.error());
    producer_options.keys = *keys;
    auto opened = Producer::open(*store, *policy.dead_letter, producer_options, nullptr);
    if (!opened.ok()) return fail("dead-letter stream", opened.error());
    dead_letter.emplace(std::move(opened).value());
  }
  // --parallel K: K workers of the application in this process, one thread each, sharing the shards
  // through leases as workers in separate processes do. Standard output and the dead-letter producer are
  // shared, under `shared`.
  std::mutex shared;
  std::atomic<bool> failed{false};
  auto stopping = [&failed] { return stop_signal() != 0 || failed.load(); };
  std::vector<std::unique_ptr<BatchHandler>> handlers;
  std::vector<Stream> streams;
  streams.push_back(std::move(stream).value());
  for (int64_t i = 0; i < options.parallel; ++i) {
    if (i > 0) {
      auto opened = open_stream_for_reading(*store, stream_name, options.key_files);
      if (!opened.ok()) return fail(opened.error());
      streams.push_back(std::move(opened).value());
    }
    handlers.push_back(std::make_unique<BatchHandler>(stream_name, options.app, printer, options.command,
                                                      policy, dead_letter ? &*dead_letter : nullptr, &shared,
                                                      stopping));
  }
  StderrReporter reporter;
  install_stop_handlers();
  std::vector<Status> results(static_cast<size_t>(options.parallel));
  size_t first_failure = 0;  // written by the one thread that sets `failed`
  auto work = [&](size_t i) {
    ConsumerOptions mine = consumer;
    if (options.parallel > 1) mine.worker += fmt::format("/{}", i + 1);
    ConsumerWorker worker(std::move(streams[i]), std::move(mine), &reporter);
    BatchHandler& handler = *handlers[i];
    results[i] =
        worker.run([&](const ConsumerBatch& batch, size_t* done) { return handler.handle(batch, done); },
                   stopping, [](const std::string& text) { print_error("warning: " + text); });
    // The first worker to fail is the one to report: the others then stop, some with a "stopped" error.
    if (!results[i].ok() && !failed.exchange(true)) first_failure = i;
  };
  std::vector<std::thread> threads;
  for (size_t i = 1; i < results.size(); ++i)
    threads.emplace_back(work, i);
  work(0);
  for (auto& thread : threads)
    thread.join();
  if (stop_signal() != 0) die_of(stop_signal());
  if (failed) {
    const Status& result = results[first_failure];
    if (!handlers[first_failure]->command_failed()) return fail(result.error());
    print_error(result.error().message());
    return kExitFailure;
  }
  return reporter.found_damage() ? kExitCorruption : kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  CLI::App* app_ptr = nullptr;
  return run(
      argc, argv, "kds-consume",
      "Consume a stream as a named application: a checkpoint per shard, shards shared by the application's "
      "workers through leases, each batch printed or given to COMMAND.",
      [&](CLI::App& app) {
        app_ptr = &app;
        add_stream_operand(app, &options.stream);
        app.add_option("COMMAND", options.command,
                       "Run this command (after --) once per batch, the batch on its standard input")
            ->type_name("COMMAND");
        app.add_option("--app", options.app, "The application's name: its checkpoints and leases")
            ->type_name("NAME")
            ->required();
        app.add_option("--start", options.start,
                       "Where a new application starts: TRIM_HORIZON (default), LATEST or AT_TIMESTAMP")
            ->type_name("POSITION");
        app.add_option("--timestamp", options.timestamp,
                       "Arrival time for AT_TIMESTAMP: epoch seconds or ISO-8601 (implies AT_TIMESTAMP)")
            ->type_name("TIME");
        app.add_option("--batch-size", options.batch_size, "Records per batch, at most (default 1000)")
            ->type_name("N");
        app.add_option("--batch-window", options.batch_window,
                       "Wait up to this long for a batch to fill (default 0)")
            ->type_name("DURATION");
        app.add_flag("--until-caught-up", options.until_caught_up,
                     "Exit once no shard this worker could hold has a record left");
        app.add_option("--retries", options.retries, "Run a failing batch again up to N times (default 2)")
            ->type_name("N");
        app.add_flag("--bisect-on-error", options.bisect,
                     "Split a batch that failed every run in two, and process each half");
        app.add_option(
               "--on-failure", options.on_failure,
               "After the retries: stop (default) or dead-letter:STREAM (put the records there, go on)")
            ->type_name("ACTION");
        app.add_option("--parallel", options.parallel,
                       "Process up to K shards at once: K workers in this process (default 1)")
            ->type_name("K");
        app.add_option("--lease-timeout", options.lease_timeout,
                       "A worker's lease that is not renewed for this long is taken over (default 10s)")
            ->type_name("DURATION");
        add_record_output_options(app, &options.output);
        add_key_option(app, &options.key_files);
        add_store_option(app, &options.store);
      },
      [&] { return consume(*app_ptr, options); });
}
