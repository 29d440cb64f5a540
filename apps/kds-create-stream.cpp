// kds-create-stream: create a stream with N shards covering the hash-key space evenly.
#include "common/cli.h"
#include "common/remote.h"
#include "common/text.h"
#include "kds/api/operations.h"
#include "kds/compression.h"
#include "kds/remote/streams.h"
#include "kds/validate.h"

using namespace kds;
using namespace kds::cli;

namespace {

struct Options {
  std::string store;
  StreamName stream;
  int64_t shard_count = 1;
  std::string retention_hours = "24";
  std::string max_bytes;
  std::string segment_size;
  std::string max_record_size;
  std::string compression = "none";
  std::string mode = "provisioned";
  std::vector<std::string> key_files;
  remote::RemoteOptions remote;
  bool no_wait = false;
};

// CreateStream, then (AWS's CreateStream takes no retention period) IncreaseStreamRetentionPeriod once
// the stream is ACTIVE.
int create_remote(remote::Client& client, const api::CreateStreamRequest& request,
                  std::optional<int64_t> retention_hours, bool no_wait) {
  const std::string& name = *request.stream.name;
  // The period can be raised only once the stream is ACTIVE: wait for that even with --no-wait.
  auto created =
      remote::change_stream(client, "CreateStream", request.to_json(), name, no_wait && !retention_hours);
  if (!created.ok()) return fail(created.error());
  if (!retention_hours) return kExitOk;
  api::RetentionPeriodRequest retention;
  retention.stream.name = name;
  retention.retention_period_hours = *retention_hours;
  auto raised =
      remote::change_stream(client, "IncreaseStreamRetentionPeriod", retention.to_json(), name, no_wait);
  return raised.ok() ? kExitOk : fail(raised.error());
}

int create(const CLI::App& app, const Options& options) {
  api::CreateStreamRequest request;
  request.stream.name = resolve_stream(app, options.stream);
  request.stream_mode = options.mode == "on-demand" ? "ON_DEMAND" : "PROVISIONED";
  // An on-demand stream is created without a shard count unless one is given (and refused).
  if (options.mode != "on-demand" || app.count("--shard-count") > 0)
    request.shard_count = options.shard_count;
  StreamOptions& stream_options = request.local;
  const auto hours = parse_hours(options.retention_hours);
  if (!hours) {
    throw UsageError("--retention-period-hours: '" + options.retention_hours +
                     "' is not a number of hours (e.g. 48, 36h, 7d)");
  }
  stream_options.retention_hours = *hours;
  if (app.count("--max-record-size") > 0) {
    request.max_record_kib = parse_size_kib(options.max_record_size);
    if (!request.max_record_kib) {
      throw UsageError("--max-record-size: '" + options.max_record_size +
                       "' is not a size in whole KiB (e.g. 2M, 1536K)");
    }
  }
  auto client = remote_client(options.remote);
  if (!client.ok()) return fail(client.error());
  if (*client) {
    refuse_local_only(app, {{"--max-bytes", "a size cap of the local store"},
                            {"--segment-size", "the local store's segment size"},
                            {"--compression", "the local store's compression"},
                            {"--encryption-key-file",
                             "a local key file (start-stream-encryption --key-id "
                             "encrypts a remote stream)"}});
    const bool other_retention = app.count("--retention-period-hours") > 0 && *hours != 24;
    // Checked before CreateStream: the period is set by a second request, which must not fail after the
    // first.
    if (other_retention) {
      if (Status valid = validate_retention_hours(*hours); !valid.ok()) return fail(valid.error());
    }
    return create_remote(**client, request, other_retention ? std::optional<int64_t>(*hours) : std::nullopt,
                         options.no_wait);
  }
  if (app.count("--max-bytes") > 0) {
    auto cap = parse_size_cap(options.max_bytes);
    if (!cap)
      throw UsageError("--max-bytes: '" + options.max_bytes + "' is not a size (e.g. 10G, 512M) or none");
    stream_options.max_shard_bytes = *cap;
  }
  if (app.count("--segment-size") > 0) {
    auto size = parse_size(options.segment_size);
    if (!size)
      throw UsageError("--segment-size: '" + options.segment_size + "' is not a size (e.g. 64M, 512K, 1G)");
    stream_options.segment_bytes = *size;
  }
  const auto level = parse_compression(options.compression);
  if (!level) throw UsageError("--compression: '" + options.compression + "' is not " + kCompressionForms);
  stream_options.compression_level = *level;
  if (app.count("--encryption-key-file") > 1) throw UsageError("--encryption-key-file: give one key");
  if (app.count("--encryption-key-file") == 1) {
    auto keys = load_keys(options.key_files, false);
    if (!keys.ok()) return fail(keys.error());
    stream_options.key = keys->front();
  }
  auto store = open_store(options.store);
  if (!store.ok()) return fail(store.error());
  if (auto created = api::create_stream(api_context(*store, nullptr), request); !created.ok())
    return fail(created.error());
  return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  CLI::App* app_ptr = nullptr;
  return run(
      argc, argv, "kds-create-stream", "Create a stream whose shards divide the hash-key space evenly.",
      [&](CLI::App& app) {
        app_ptr = &app;
        add_stream_operand(app, &options.stream);
        app.add_option("--shard-count", options.shard_count, "Number of shards (default 1)")->type_name("N");
        app.add_option("--mode", options.mode, "Capacity mode (default provisioned)")
            ->type_name("provisioned|on-demand")
            ->check(CLI::IsMember({"provisioned", "on-demand"}));
        app.add_option("--retention-period-hours", options.retention_hours,
                       "Hours records stay readable, 24..8760 (default 24; 36h, 7d also work)")
            ->type_name("HOURS");
        app.add_option("--max-bytes", options.max_bytes,
                       "Also cap each shard at SIZE, deleting its oldest segments (K/M/G; none = no cap)")
            ->type_name("SIZE");
        app.add_option("--segment-size", options.segment_size,
                       "Roll segment files at this size, 4K..1G (default 64M)")
            ->type_name("SIZE");
        app.add_option("--max-record-size", options.max_record_size,
                       "Take records (key and data) of up to SIZE, 1M..10M (default 1M)")
            ->type_name("SIZE");
        app.add_option("--compression", options.compression,
                       std::string("Compress new batches: ") + kCompressionForms + " (default none)")
            ->type_name("CODEC");
        app.add_option("--encryption-key-file", options.key_files,
                       "Encrypt every batch with the key in FILE (32 random bytes, mode 0600)")
            ->type_name("FILE");
        add_store_option(app, &options.store);
        add_remote_options(app, &options.remote);
        add_no_wait_option(app, &options.no_wait);
      },
      [&] { return create(*app_ptr, options); });
}
