#include "read_position.h"

#include <fmt/format.h>

#include <algorithm>

#include "cli.h"
#include "kds/api/read_start.h"
#include "kds/api/request.h"
#include "kds/clock.h"
#include "kds/errors.h"
#include "kds/shard_id.h"
#include "kds/timestamp.h"
#include "text.h"

namespace kds::cli {

void add_start_options(CLI::App& app, StartOptions* options) {
  app.add_option("--iterator-type,--shard-iterator-type", options->iterator_type,
                 "Where to start: TRIM_HORIZON (default), LATEST, AT_SEQUENCE_NUMBER, AFTER_SEQUENCE_NUMBER, "
                 "AT_TIMESTAMP")
      ->type_name("TYPE");
  app.add_option("--sequence-number,--starting-sequence-number", options->sequence_number,
                 "Sequence number for AT_/AFTER_SEQUENCE_NUMBER (implies AT_SEQUENCE_NUMBER)")
      ->type_name("N");
  app.add_option(
         "--timestamp", options->timestamp,
         "Arrival time for AT_TIMESTAMP: epoch seconds (with fraction) or ISO-8601 (implies AT_TIMESTAMP)")
      ->type_name("TIME");
}

bool has_start_options(const CLI::App& app) {
  return app.count("--iterator-type") + app.count("--sequence-number") + app.count("--timestamp") > 0;
}

Result<ReadStart> application_start(const std::string& position, const std::optional<std::string>& timestamp,
                                    bool position_given) {
  const std::string type = position_given || !timestamp ? position : "AT_TIMESTAMP";
  KDS_TRY(
      api::Validator().enumeration("start", type, true, {"TRIM_HORIZON", "LATEST", "AT_TIMESTAMP"}).finish());
  std::optional<int64_t> timestamp_ms;
  if (timestamp) {
    timestamp_ms = parse_timestamp_ms(*timestamp);
    if (!timestamp_ms) {
      return validation_error(
          {{*timestamp, "timestamp",
            "Member must be epoch seconds (with an optional fraction) or an ISO-8601 time"}});
    }
    if (type != "AT_TIMESTAMP")
      return Error(Errc::kInvalidArgument,
                   fmt::format("--timestamp is only used with AT_TIMESTAMP, not {}", type));
  }
  KDS_TRY(api::check_iterator_arguments(type, false, timestamp_ms, now_ms()));
  ReadStart start;
  if (type == "LATEST") start.kind = ReadStart::Kind::kLatest;
  if (type == "AT_TIMESTAMP") {
    start.kind = ReadStart::Kind::kTimestamp;
    start.timestamp_ms = *timestamp_ms;
  }
  return start;
}

Result<api::StreamReadRequest> read_request(const CLI::App& app, const StartOptions& options,
                                            std::optional<uint32_t> shard) {
  const bool has_number = app.count("--sequence-number") > 0;
  const bool has_time = app.count("--timestamp") > 0;
  api::StreamReadRequest request;
  request.shard = shard;
  request.iterator_type = options.iterator_type;
  if (app.count("--iterator-type") == 0) {
    request.iterator_type = has_number ? "AT_SEQUENCE_NUMBER" : has_time ? "AT_TIMESTAMP" : "TRIM_HORIZON";
  }
  if (has_number) request.sequence_number = options.sequence_number;
  if (has_time && request.iterator_type == "AT_TIMESTAMP") {
    request.timestamp_ms = parse_timestamp_ms(options.timestamp);
    if (!request.timestamp_ms) {
      return validation_error(
          {{options.timestamp, "timestamp",
            "Member must be epoch seconds (with an optional fraction) or an ISO-8601 time"}});
    }
  }
  KDS_TRY(api::Validator()
              .enumeration("shardIteratorType", request.iterator_type, true, api::kIteratorTypes)
              .finish());
  KDS_TRY(api::check_iterator_arguments(request.iterator_type, has_number, request.timestamp_ms, now_ms()));
  if (has_time && request.iterator_type != "AT_TIMESTAMP") {
    // Kinesis ignores a Timestamp the type does not use; a user who typed one meant something.
    return Error(
        Errc::kInvalidArgument,
        fmt::format("A timestamp is only used with AT_TIMESTAMP, not with {}", request.iterator_type));
  }
  return request;
}

Result<std::vector<ShardStart>> plan_read(const Stream& stream, const CLI::App& app,
                                          const StartOptions& options, std::optional<uint32_t> shard) {
  KDS_ASSIGN(const auto request, read_request(app, options, shard));
  return api::plan_read(stream, request);
}

Result<FollowPlan> plan_follow(const Stream& stream, const CLI::App& app, const StartOptions& options,
                               std::optional<uint32_t> shard) {
  KDS_ASSIGN(auto starts, plan_read(stream, app, options, shard));
  FollowPlan plan;
  for (const ShardStart& start : starts) {
    plan.scope.insert(start.shard_index);
    plan.starts[start.shard_index] = start.start;
  }
  return plan;
}

LinesOption parse_lines(const std::string& text) {
  if (!text.empty() && text[0] == '+') {
    auto from = parse_integer(text.substr(1));
    if (!from || *from < 0) throw UsageError("--lines: '" + text + "' is not +K with K a whole number");
    return {true, static_cast<uint64_t>(std::max<int64_t>(*from, 1))};
  }
  auto count = parse_integer(text);
  if (!count || *count < 0) throw UsageError("--lines: '" + text + "' is not a number of records (N or +K)");
  return {false, static_cast<uint64_t>(*count)};
}

Result<FollowPlan> plan_lines(const Stream& stream, const std::string& text, std::optional<uint32_t> shard) {
  const LinesOption lines = parse_lines(text);
  FollowPlan plan;
  std::vector<uint32_t> shards;
  if (shard) {
    shards.push_back(*shard);
  } else {
    for (const auto& meta : stream.meta().shards)
      shards.push_back(meta.index);
  }
  plan.scope.insert(shards.begin(), shards.end());
  if (lines.from_record) {
    for (uint32_t index : shards)
      plan.starts[index] = {ReadStart::Kind::kOffset, lines.count - 1, 0};
    return plan;
  }
  KDS_ASSIGN(auto starts, last_records_start(stream, shards, lines.count));
  for (const auto& [index, offset] : starts)
    plan.starts[index] = {ReadStart::Kind::kOffset, offset, 0};
  return plan;
}

Result<ShardReader> open_reader(const Stream& stream, const ShardStart& start, Reporter* reporter) {
  KDS_ASSIGN(ShardReader reader, stream.open_reader(start.shard_index, reporter));
  KDS_TRY(reader.seek(start.start));
  return reader;
}

}  // namespace kds::cli
