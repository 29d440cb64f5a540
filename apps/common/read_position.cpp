#include "read_position.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "kds/clock.h"
#include "kds/errors.h"
#include "kds/shard_id.h"
#include "kds/timestamp.h"

namespace kds::cli {

namespace {

constexpr const char* kIteratorTypes[] = {"AFTER_SEQUENCE_NUMBER", "LATEST", "AT_TIMESTAMP", "AT_SEQUENCE_NUMBER",
                                          "TRIM_HORIZON"};

Error iterator_combination(std::string_view type, bool has_number) {
  return Error(Errc::kInvalidArgument,
               fmt::format("Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and "
                           "StartingSequenceNumber or (2) TRIM_HORIZON or LATEST and no StartingSequenceNumber. "
                           "Request specified {} and {}.",
                           type, has_number ? "also a StartingSequenceNumber" : "no StartingSequenceNumber"));
}

Error invalid_starting_number(std::string_view number, uint32_t shard, std::string_view stream,
                              std::string_view reason) {
  return Error(Errc::kInvalidArgument,
               fmt::format("StartingSequenceNumber {} used in GetShardIterator on shard {} in stream {} under account "
                           "{} is invalid{}.",
                           number, shard_id_string(shard), stream, kAccountId, reason));
}

// Offset after the newest record of the shard.
Result<uint64_t> stored_end(const Stream& stream, const ShardMeta& shard) {
  if (shard.end_offset) return *shard.end_offset;
  KDS_ASSIGN(Dir dir, stream.open_shard_dir(shard.index));
  KDS_ASSIGN(ShardSummary summary, summarize_shard(dir, stream.meta().expiry_boundary_ms(now_ms())));
  return summary.next_offset;
}

}  // namespace

void add_start_options(CLI::App& app, StartOptions* options) {
  app.add_option("--iterator-type,--shard-iterator-type", options->iterator_type,
                 "Where to start: TRIM_HORIZON (default), LATEST, AT_SEQUENCE_NUMBER, AFTER_SEQUENCE_NUMBER, "
                 "AT_TIMESTAMP")
      ->type_name("TYPE");
  app.add_option("--sequence-number,--starting-sequence-number", options->sequence_number,
                 "Sequence number for AT_/AFTER_SEQUENCE_NUMBER (implies AT_SEQUENCE_NUMBER)")
      ->type_name("N");
  app.add_option("--timestamp", options->timestamp,
                 "Arrival time for AT_TIMESTAMP: epoch seconds (with fraction) or ISO-8601 (implies AT_TIMESTAMP)")
      ->type_name("TIME");
}

bool has_start_options(const CLI::App& app) {
  return app.count("--iterator-type") + app.count("--sequence-number") + app.count("--timestamp") > 0;
}

Result<std::vector<ShardStart>> plan_read(const Stream& stream, const CLI::App& app, const StartOptions& options,
                                          std::optional<uint32_t> shard) {
  const bool has_number = app.count("--sequence-number") > 0;
  const bool has_time = app.count("--timestamp") > 0;
  std::string type = options.iterator_type;
  if (app.count("--iterator-type") == 0) {
    type = has_number ? "AT_SEQUENCE_NUMBER" : has_time ? "AT_TIMESTAMP" : "TRIM_HORIZON";
  }
  if (std::find(std::begin(kIteratorTypes), std::end(kIteratorTypes), type) == std::end(kIteratorTypes)) {
    return validation_error({{type, "shardIteratorType",
                              "Member must satisfy enum value set: [AFTER_SEQUENCE_NUMBER, LATEST, AT_TIMESTAMP, "
                              "AT_SEQUENCE_NUMBER, TRIM_HORIZON]"}});
  }
  const bool by_number = type == "AT_SEQUENCE_NUMBER" || type == "AFTER_SEQUENCE_NUMBER";
  if (by_number != has_number && type != "AT_TIMESTAMP") return iterator_combination(type, has_number);
  if (type == "AT_TIMESTAMP" && has_number) return iterator_combination(type, true);
  if (type == "AT_TIMESTAMP" && !has_time) {
    return Error(Errc::kInvalidArgument,
                 "Must specify timestampInMillis parameter for iterator of type AT_TIMESTAMP. Current request has no "
                 "timestamp parameter.");
  }
  if (type != "AT_TIMESTAMP" && has_time) {
    return Error(Errc::kInvalidArgument, fmt::format("A timestamp is only used with AT_TIMESTAMP, not with {}", type));
  }

  ReadStart base;
  std::vector<const ShardMeta*> shards;
  if (shard) shards.push_back(stream.meta().find_shard(*shard));
  if (type == "TRIM_HORIZON") {
    base.kind = ReadStart::Kind::kOffset;
  } else if (type == "LATEST") {
    base.kind = ReadStart::Kind::kLatest;
  } else if (type == "AT_TIMESTAMP") {
    auto ms = parse_timestamp_ms(options.timestamp);
    if (!ms) {
      return validation_error({{options.timestamp, "timestamp",
                                "Member must be epoch seconds (with an optional fraction) or an ISO-8601 time"}});
    }
    const int64_t now = now_ms();
    if (*ms > now) {
      return Error(Errc::kInvalidArgument,
                   fmt::format("The timestampInMillis parameter cannot be greater than the currentTimestampInMillis. "
                               "timestampInMillis: {}, currentTimestampInMillis: {}",
                               *ms, now));
    }
    base.kind = ReadStart::Kind::kTimestamp;
    base.timestamp_ms = *ms;
  } else {
    KDS_ASSIGN(SequencePosition position, parse_sequence_number(options.sequence_number, "startingSequenceNumber"));
    if (shard && position.shard_index != *shard) {
      return Error(Errc::kInvalidArgument,
                   fmt::format("Invalid StartingSequenceNumber. It encodes {}, while it was used in a call to a shard "
                               "with {}",
                               shard_id_string(position.shard_index), shard_id_string(*shard)));
    }
    const ShardMeta* named = stream.meta().find_shard(position.shard_index);
    if (named == nullptr) {
      return invalid_starting_number(options.sequence_number, position.shard_index, stream.name(),
                                     " because it did not come from this stream");
    }
    KDS_ASSIGN(uint64_t end, stored_end(stream, *named));
    if (position.offset >= end) {
      return invalid_starting_number(options.sequence_number, position.shard_index, stream.name(), "");
    }
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

Result<ShardReader> open_reader(const Stream& stream, const ShardStart& start, Reporter* reporter) {
  KDS_ASSIGN(ShardReader reader, stream.open_reader(start.shard_index, reporter));
  KDS_TRY(reader.seek(start.start));
  return reader;
}

}  // namespace kds::cli
