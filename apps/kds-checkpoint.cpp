// kds-checkpoint: show a stream's consumer applications, or one application's checkpoint, lease and lag
// per shard; set, reset or delete its checkpoints (as kafka-consumer-groups --reset-offsets).
#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/cli.h"
#include "common/read_position.h"
#include "kds/clock.h"
#include "kds/consumer.h"
#include "kds/errors.h"
#include "kds/hash_key.h"
#include "kds/shard_id.h"
#include "kds/shard_summary.h"

using namespace kds;
using namespace kds::cli;

namespace {

struct Options {
  std::string store;
  StreamName stream;
  std::string app;
  std::string output = "text";
  std::vector<std::string> set;
  std::string reset;
  std::string timestamp;
  bool remove = false;
};

struct Row {
  std::string shard_id;
  std::string checkpoint;
  std::string owner;
  std::optional<int64_t> lease_left_ms;
  ShardLag lag;
};

std::string checkpoint_text(uint32_t index, const ShardProgress& progress) {
  if (progress.finished) return "SHARD_END";
  if (progress.next_offset == 0) return "TRIM_HORIZON";
  return to_decimal(make_sequence_number(index, progress.next_offset - 1));
}

Result<std::vector<Row>> rows_of(const Stream& stream, const AppState& state) {
  std::vector<Row> rows;
  const int64_t now = now_ms();
  for (const auto& shard : stream.meta().shards) {
    auto it = state.shards.find(shard.index);
    const ShardProgress progress = it != state.shards.end() ? it->second : ShardProgress{};
    Row row{shard.id(), checkpoint_text(shard.index, progress), progress.owner, std::nullopt, {}};
    if (!progress.owner.empty()) row.lease_left_ms = progress.lease_expires_ms - now;
    KDS_ASSIGN(row.lag, shard_lag(stream, shard.index, progress));
    rows.push_back(std::move(row));
  }
  return rows;
}

void print_table(const std::vector<std::vector<std::string>>& table) {
  std::vector<size_t> widths;
  for (const auto& line : table) {
    widths.resize(std::max(widths.size(), line.size()));
    for (size_t i = 0; i < line.size(); ++i)
      widths[i] = std::max(widths[i], line[i].size());
  }
  for (const auto& line : table) {
    std::string text;
    for (size_t i = 0; i < line.size(); ++i)
      text += i + 1 < line.size() ? fmt::format("{:<{}}  ", line[i], widths[i]) : line[i];
    fmt::print("{}\n", text);
  }
}

Error app_not_found(std::string_view app, std::string_view stream) {
  return Error(Errc::kResourceNotFound, fmt::format("Application {} not found on stream {}", app, stream));
}

// Changes are refused while a worker holds a live lease: it would overwrite them at its next checkpoint.
Status check_no_workers(const AppState& state) {
  const int64_t now = now_ms();
  for (const auto& [index, progress] : state.shards) {
    if (progress.leased(now)) {
      return Error(Errc::kResourceInUse,
                   fmt::format("Application {} has running workers ({} holds {}); stop them first", state.app,
                               progress.owner, shard_id_string(index)));
    }
  }
  return {};
}

int show_app(const Stream& stream, const Options& options) {
  auto state = read_app_state(stream, options.app);
  if (!state.ok()) return fail(state.error());
  if (!*state) return fail(app_not_found(options.app, stream.name()));
  auto rows = rows_of(stream, **state);
  if (!rows.ok()) return fail(rows.error());
  if (options.output == "json") {
    nlohmann::ordered_json doc = {{"AppName", options.app}, {"Shards", nlohmann::ordered_json::array()}};
    for (const auto& row : *rows) {
      doc["Shards"].push_back(
          {{"ShardId", row.shard_id},
           {"Checkpoint", row.checkpoint},
           {"LeaseOwner", row.owner.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(row.owner)},
           {"LeaseExpiresInMillis",
            row.lease_left_ms ? nlohmann::ordered_json(*row.lease_left_ms) : nlohmann::ordered_json()},
           {"LagRecords", row.lag.records},
           {"LagMillis", row.lag.ms}});
    }
    fmt::print("{}\n", doc.dump());
    return kExitOk;
  }
  std::vector<std::vector<std::string>> table = {
      {"SHARD_ID", "CHECKPOINT", "OWNER", "LEASE", "LAG_RECORDS", "LAG_MS"}};
  for (const auto& row : *rows) {
    std::string lease = "-";
    if (row.lease_left_ms)
      lease = *row.lease_left_ms < 0
                  ? "expired"
                  : fmt::format("{:.1f}s", static_cast<double>(*row.lease_left_ms) / 1000.0);
    table.push_back({row.shard_id, row.checkpoint, row.owner.empty() ? "-" : row.owner, lease,
                     std::to_string(row.lag.records), std::to_string(row.lag.ms)});
  }
  print_table(table);
  return kExitOk;
}

int list_applications(const Stream& stream, const Options& options) {
  auto apps = summarize_apps(stream);
  if (!apps.ok()) return fail(apps.error());
  nlohmann::ordered_json doc = {{"Applications", nlohmann::ordered_json::array()}};
  std::vector<std::vector<std::string>> table = {{"APP", "SHARDS", "WORKERS", "LAG_RECORDS", "LAG_MS"}};
  for (const auto& app : *apps) {
    doc["Applications"].push_back({{"AppName", app.app},
                                   {"Shards", app.shards},
                                   {"Workers", app.workers},
                                   {"LagRecords", app.lag.records},
                                   {"LagMillis", app.lag.ms}});
    table.push_back({app.app, std::to_string(app.shards), std::to_string(app.workers),
                     std::to_string(app.lag.records), std::to_string(app.lag.ms)});
  }
  if (options.output == "json") {
    fmt::print("{}\n", doc.dump());
  } else {
    print_table(table);
  }
  return kExitOk;
}

// --set SHARD SEQ: SEQ and every record before it count as processed. Checked before anything is locked or
// made, so a bad argument leaves the store as it was.
struct SetCheckpoint {
  uint32_t shard = 0;
  ShardProgress progress;
};

Result<SetCheckpoint> parse_set(const Stream& stream, const std::vector<std::string>& args) {
  auto index = parse_shard_id(args[0]);
  const ShardMeta* shard = index ? stream.meta().find_shard(*index) : nullptr;
  if (shard == nullptr)
    return Error(Errc::kResourceNotFound,
                 fmt::format("Shard {} not found in stream {}", args[0], stream.name()));
  KDS_ASSIGN(SequencePosition position, parse_sequence_number(args[1], "sequenceNumber"));
  KDS_ASSIGN(Dir dir, stream.open_shard_dir(shard->index));
  KDS_ASSIGN(ShardSummary summary, summarize_shard(dir));
  if (position.shard_index != shard->index || position.offset >= summary.next_offset) {
    return Error(Errc::kInvalidArgument,
                 fmt::format("Sequence number {} is not a record of {}", args[1], shard->id()));
  }
  SetCheckpoint set{shard->index, {}};
  set.progress.next_offset = position.offset + 1;
  set.progress.finished = shard->end_offset && set.progress.next_offset >= *shard->end_offset;
  return set;
}

int change(const CLI::App& app, Stream& stream, const Options& options) {
  const bool resetting = app.count("--reset") > 0;
  std::optional<ReadStart> start;
  if (resetting || app.count("--set") > 0) {
    const std::optional<std::string> timestamp =
        app.count("--timestamp") > 0 ? std::optional(options.timestamp) : std::nullopt;
    auto parsed = application_start(resetting ? options.reset : "TRIM_HORIZON", timestamp, true);
    if (!parsed.ok()) return fail(parsed.error());
    start = *parsed;
  }
  std::optional<SetCheckpoint> set;
  if (app.count("--set") > 0) {
    auto parsed = parse_set(stream, options.set);
    if (!parsed.ok()) return fail(parsed.error());
    set = *parsed;
  }
  if (options.remove) {
    // Looked for first, so that deleting an application that never was leaves no trace in the store.
    auto existing = read_app_state(stream, options.app);
    if (!existing.ok()) return fail(existing.error());
    if (!*existing) return fail(app_not_found(options.app, stream.name()));
  }
  Status changed = change_app_state(stream, options.app, [&](std::optional<AppState>& state) -> Status {
    if (options.remove) {
      if (!state) return app_not_found(options.app, stream.name());
      KDS_TRY(check_no_workers(*state));
      state.reset();
      return {};
    }
    if (state) KDS_TRY(check_no_workers(*state));
    KDS_ASSIGN(AppState fresh, new_app_state(stream, options.app, *start, now_ms()));
    if (!state || resetting) {
      if (state) fresh.created_ms = state->created_ms;
      state = std::move(fresh);
    }
    if (set) {
      ShardProgress& progress = state->shards[set->shard];
      progress.next_offset = set->progress.next_offset;
      progress.finished = set->progress.finished;
    }
    return {};
  });
  if (!changed.ok()) return fail(changed.error());
  return kExitOk;
}

int checkpoint(const CLI::App& app, Options& options) {
  const std::string stream_name = resolve_stream(app, options.stream);
  if (options.output != "text" && options.output != "json")
    throw UsageError(fmt::format("--output: '{}' is not text or json", options.output));
  const int changes =
      (app.count("--set") > 0 ? 1 : 0) + (app.count("--reset") > 0 ? 1 : 0) + (options.remove ? 1 : 0);
  if (changes > 1) throw UsageError("--set, --reset and --delete cannot be combined");
  if (changes > 0 && app.count("--app") == 0) throw UsageError("--set, --reset and --delete need --app");
  if (app.count("--timestamp") > 0 && app.count("--reset") == 0)
    throw UsageError("--timestamp needs --reset");
  if (app.count("--app") > 0) {
    if (auto valid = check_app_name(options.app); !valid.ok()) return fail(valid.error());
  }
  auto store = open_store(options.store);
  if (!store.ok()) return fail(store.error());
  auto stream = store->open_stream(stream_name);
  if (!stream.ok()) return fail(stream.error());
  if (changes > 0) return change(app, *stream, options);
  if (app.count("--app") > 0) return show_app(*stream, options);
  return list_applications(*stream, options);
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  CLI::App* app_ptr = nullptr;
  return run(
      argc, argv, "kds-checkpoint",
      "Show a stream's consumer applications, or one application's checkpoint, lease and lag per shard; set, "
      "reset or delete its checkpoints.",
      [&](CLI::App& app) {
        app_ptr = &app;
        add_stream_operand(app, &options.stream);
        app.add_option("--app", options.app, "Show (or change) this application")->type_name("NAME");
        app.add_option("--set", options.set,
                       "Count the record SEQ of SHARD, and every record before it, as processed")
            ->expected(2)
            ->type_name("SHARD SEQ");
        app.add_option(
               "--reset", options.reset,
               "Set every shard's checkpoint to TRIM_HORIZON, LATEST or AT_TIMESTAMP (with --timestamp)")
            ->type_name("POSITION");
        app.add_option("--timestamp", options.timestamp,
                       "Arrival time for --reset AT_TIMESTAMP: epoch seconds or ISO-8601")
            ->type_name("TIME");
        app.add_flag("--delete", options.remove, "Delete the application's checkpoints and leases");
        add_output_option(app, &options.output);
        add_store_option(app, &options.store);
      },
      [&] { return checkpoint(*app_ptr, options); });
}
