#include "read_position.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

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

Result<std::vector<ShardStart>> plan_read(const Stream& stream, const CLI::App& app,
                                          const StartOptions& options, std::optional<uint32_t> shard) {
  const bool has_number = app.count("--sequence-number") > 0;
  const bool has_time = app.count("--timestamp") > 0;
  std::string type = options.iterator_type;
  if (app.count("--iterator-type") == 0) {
    type = has_number ? "AT_SEQUENCE_NUMBER" : has_time ? "AT_TIMESTAMP" : "TRIM_HORIZON";
  }
  KDS_TRY(api::Validator().enumeration("shardIteratorType", type, true, api::kIteratorTypes).finish());
  const bool by_number = type == "AT_SEQUENCE_NUMBER" || type == "AFTER_SEQUENCE_NUMBER";
  std::optional<int64_t> timestamp_ms;
  if (has_time && type == "AT_TIMESTAMP") {
    timestamp_ms = parse_timestamp_ms(options.timestamp);
    if (!timestamp_ms) {
      return validation_error(
          {{options.timestamp, "timestamp",
            "Member must be epoch seconds (with an optional fraction) or an ISO-8601 time"}});
    }
  }
  if (type == "AT_TIMESTAMP" || !has_time) {
    KDS_TRY(api::check_iterator_arguments(type, has_number, timestamp_ms, now_ms()));
  } else {
    // Kinesis ignores a Timestamp the type does not use; a user who typed one meant something.
    KDS_TRY(api::check_iterator_arguments(type, has_number, std::nullopt, now_ms()));
    return Error(Errc::kInvalidArgument,
                 fmt::format("A timestamp is only used with AT_TIMESTAMP, not with {}", type));
  }

  ReadStart base;
  std::vector<const ShardMeta*> shards;
  if (shard) shards.push_back(stream.meta().find_shard(*shard));
  if (type == "TRIM_HORIZON") {
    base.kind = ReadStart::Kind::kOffset;
  } else if (type == "LATEST") {
    base.kind = ReadStart::Kind::kLatest;
  } else if (type == "AT_TIMESTAMP") {
    base.kind = ReadStart::Kind::kTimestamp;
    base.timestamp_ms = *timestamp_ms;
  } else {
    KDS_ASSIGN(SequencePosition position, api::starting_position(stream, options.sequence_number, shard));
    const ShardMeta* named = stream.meta().find_shard(position.shard_index);
    base.kind = ReadStart::Kind::kOffset;
    base.offset = type == "AFTER_SEQUENCE_NUMBER" ? position.offset + 1 : position.offset;
    if (!shard) {
      // The named shard, then every shard descending from it (children have higher indexes).
      std::set<uint32_t> lineage{named->index};
      for (const auto& candidate : stream.meta().shards) {
        const bool child = (candidate.parent && lineage.count(*candidate.parent) > 0) ||
                           (candidate.adjacent_parent && lineage.count(*candidate.adjacent_parent) > 0);
        if (candidate.index == named->index || child) {
          lineage.insert(candidate.index);
          shards.push_back(&candidate);
        }
      }
    }
  }
  if (shards.empty()) {
    const int64_t now = now_ms();
    for (const auto& candidate : stream.meta().shards) {
      if (!stream.meta().shard_expired(candidate, now)) shards.push_back(&candidate);
    }
  }

  std::vector<ShardStart> plan;
  for (const ShardMeta* meta : shards) {
    ShardStart start{meta->index, base, meta->end_offset};
    // Only the shard the sequence number names starts part-way; its descendants start at the beginning.
    if (by_number && plan.size() > 0) start.start.offset = 0;
    plan.push_back(start);
  }
  return plan;
}

// The scope and starts that -n/--lines asks for: the last N records (of the stream, or of one shard), or
// every record from record K of each shard with +K.
Result<FollowPlan> plan_lines(const Stream& stream, const std::string& text, std::optional<uint32_t> shard) {
  FollowPlan plan;
  std::vector<uint32_t> shards;
  if (shard) {
    shards.push_back(*shard);
  } else {
    for (const auto& meta : stream.meta().shards)
      shards.push_back(meta.index);
  }
  plan.scope.insert(shards.begin(), shards.end());
  if (!text.empty() && text[0] == '+') {
    auto from = parse_integer(text.substr(1));
    if (!from || *from < 0) throw UsageError("--lines: '" + text + "' is not +K with K a whole number");
    for (uint32_t index : shards)
      plan.starts[index] = {ReadStart::Kind::kOffset, static_cast<uint64_t>(std::max<int64_t>(*from, 1) - 1),
                            0};
    return plan;
  }
  auto count = parse_integer(text);
  if (!count || *count < 0) throw UsageError("--lines: '" + text + "' is not a number of records (N or +K)");
  KDS_ASSIGN(auto starts, last_records_start(stream, shards, static_cast<uint64_t>(*count)));
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
