// kds-set-retention: raise or lower a stream's retention period, and set or remove its size cap.
#include "common/cli.h"
#include "common/remote.h"
#include "common/text.h"
#include "kds/api/operations.h"
#include "kds/remote/streams.h"
#include "kds/retention.h"

using namespace kds;
using namespace kds::cli;

namespace {

// Increase- or DecreaseStreamRetentionPeriod, whichever moves the period the stream has to `hours`.
int set_remote(remote::Client& client, const std::string& stream, int64_t hours, bool no_wait) {
  auto summary = remote::describe_stream_summary(client, stream);
  if (!summary.ok()) return fail(summary.error());
  const auto found = summary->find("RetentionPeriodHours");
  const int64_t current = found != summary->end() && found->is_number_integer() ? found->get<int64_t>() : 0;
  if (current == hours) return kExitOk;
  api::RetentionPeriodRequest request;
  request.stream.name = stream;
  request.retention_period_hours = hours;
  auto changed = remote::change_stream(
      client, hours > current ? "IncreaseStreamRetentionPeriod" : "DecreaseStreamRetentionPeriod",
      request.to_json(), stream, no_wait);
  return changed.ok() ? kExitOk : fail(changed.error());
}

}  // namespace

int main(int argc, char** argv) {
  StreamName stream_name;
  std::string store_option, hours_text, max_bytes;
  remote::RemoteOptions remote_options;
  bool no_wait = false;
  CLI::App* app_ptr = nullptr;
  return run(
      argc, argv, "kds-set-retention",
      "Set how long a stream keeps records (24..8760 hours), and optionally a per-shard size cap.",
      [&](CLI::App& app) {
        app_ptr = &app;
        add_stream_operand(app, &stream_name);
        app.add_option("HOURS", hours_text, "Retention period in hours (also 36h, 7d, 2w)");
        app.add_option("--retention-period-hours", hours_text, "Same as HOURS")->type_name("HOURS");
        app.add_option(
               "--max-bytes", max_bytes,
               "Cap each shard at SIZE, deleting its oldest segments (K/M/G; 0 or none removes the cap)")
            ->type_name("SIZE");
        add_store_option(app, &store_option);
        add_remote_options(app, &remote_options);
        add_no_wait_option(app, &no_wait);
      },
      [&] {
        const std::string stream =
            resolve_stream(*app_ptr, stream_name, [&](std::string operand) { hours_text = operand; });
        if (app_ptr->count("HOURS") > 0 && app_ptr->count("--retention-period-hours") > 0) {
          throw UsageError("give the retention period once, as HOURS or as --retention-period-hours");
        }
        if (hours_text.empty()) throw UsageError("the retention period HOURS is required");
        const auto hours = parse_hours(hours_text);
        if (!hours)
          throw UsageError("HOURS: '" + hours_text + "' is not a number of hours (e.g. 48, 36h, 7d)");
        auto client = remote_client(remote_options);
        if (!client.ok()) return fail(client.error());
        if (*client) {
          refuse_local_only(*app_ptr, {{"--max-bytes", "a size cap of the local store"}});
          return set_remote(**client, stream, *hours, no_wait);
        }
        std::optional<uint64_t> cap;
        if (app_ptr->count("--max-bytes") > 0) {
          cap = parse_size_cap(max_bytes);
          if (!cap)
            throw UsageError("--max-bytes: '" + max_bytes + "' is not a size (e.g. 10G, 512M) or none");
        }
        auto store = open_store(store_option);
        if (!store.ok()) return fail(store.error());
        StderrReporter reporter;
        if (auto set = set_retention(*store, stream, *hours, cap, &reporter); !set.ok())
          return fail(set.error());
        return static_cast<int>(kExitOk);
      });
}
