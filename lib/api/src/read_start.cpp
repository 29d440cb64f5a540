#include "kds/api/read_start.h"

#include <set>

#include <fmt/format.h>

#include "kds/api/request.h"
#include "kds/clock.h"
#include "kds/errors.h"
#include "kds/shard_summary.h"

namespace kds::api {

namespace {

Error iterator_combination(std::string_view type, bool has_number) {
  return Error(
      Errc::kInvalidArgument,
      fmt::format("Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and "
                  "StartingSequenceNumber or (2) TRIM_HORIZON or LATEST and no StartingSequenceNumber. "
                  "Request specified {} and {}.",
                  type, has_number ? "also a StartingSequenceNumber" : "no StartingSequenceNumber"));
}

Error invalid_starting_number(std::string_view number, uint32_t shard, std::string_view stream,
                              std::string_view reason) {
  return Error(
      Errc::kInvalidArgument,
      fmt::format("StartingSequenceNumber {} used in GetShardIterator on shard {} in stream {} under account "
                  "{} is invalid{}.",
                  number, shard_id_string(shard), stream, account_id(), reason));
}

}  // namespace

Status check_iterator_arguments(std::string_view type, bool has_number, std::optional<int64_t> timestamp_ms,
                                int64_t now) {
  const bool by_number = type == "AT_SEQUENCE_NUMBER" || type == "AFTER_SEQUENCE_NUMBER";
  if (type == "AT_TIMESTAMP") {
    if (has_number) return iterator_combination(type, true);
    if (!timestamp_ms) {
      return Error(
          Errc::kInvalidArgument,
          "Must specify timestampInMillis parameter for iterator of type AT_TIMESTAMP. Current request has "
          "no timestamp parameter.");
    }
    if (*timestamp_ms > now) {
      return Error(
          Errc::kInvalidArgument,
          fmt::format("The timestampInMillis parameter cannot be greater than the currentTimestampInMillis. "
                      "timestampInMillis: {}, currentTimestampInMillis: {}",
                      *timestamp_ms, now));
    }
    return {};
  }
  if (by_number != has_number) return iterator_combination(type, has_number);
  return {};
}

Result<uint64_t> shard_end_offset(const Stream& stream, const ShardMeta& shard) {
  if (shard.end_offset) return *shard.end_offset;
  KDS_ASSIGN(Dir dir, stream.open_shard_dir(shard.index));
  KDS_ASSIGN(ShardSummary summary, summarize_shard(dir, stream.meta().expiry_boundary_ms(now_ms())));
  return summary.next_offset;
}

Result<SequencePosition> starting_position(const Stream& stream, std::string_view number, bool after,
                                           std::optional<uint32_t> shard) {
  KDS_ASSIGN(SequencePosition position, parse_sequence_number(number, "startingSequenceNumber"));
  if (shard && position.shard_index != *shard) {
    return Error(
        Errc::kInvalidArgument,
        fmt::format("Invalid StartingSequenceNumber. It encodes {}, while it was used in a call to a shard "
                    "with {}",
                    shard_id_string(position.shard_index), shard_id_string(*shard)));
  }
  const ShardMeta* named = stream.meta().find_shard(position.shard_index);
  if (named == nullptr) {
    return invalid_starting_number(number, position.shard_index, stream.name(),
                                   " because it did not come from this stream");
  }
  if (after && position.offset == kBeforeFirstOffset) return SequencePosition{position.shard_index, 0};
  KDS_ASSIGN(uint64_t end, shard_end_offset(stream, *named));
  if (position.offset >= end) return invalid_starting_number(number, position.shard_index, stream.name(), "");
  if (after) ++position.offset;
  return position;
}

Result<uint64_t> iterator_start_offset(const Stream& stream, const ShardMeta& shard, std::string_view type,
                                       const std::optional<std::string>& sequence_number,
                                       std::optional<int64_t> timestamp_ms, Reporter* reporter) {
  if (type == "TRIM_HORIZON") return uint64_t{0};
  if (type == "LATEST") return shard_end_offset(stream, shard);
  if (type == "AT_TIMESTAMP") {
    KDS_ASSIGN(ShardReader reader, stream.open_reader(shard.index, reporter));
    KDS_TRY(reader.seek_timestamp(*timestamp_ms));
    std::vector<ReadRecord> first;
    KDS_ASSIGN(bool found, reader.next_batch(&first, 1));
    return found && !first.empty() ? first.front().offset : reader.next_offset();
  }
  KDS_ASSIGN(SequencePosition start,
             starting_position(stream, *sequence_number, type == "AFTER_SEQUENCE_NUMBER", shard.index));
  return start.offset;
}

namespace {

// The shard `named`, then every shard descending from it (children have higher indexes).
std::vector<const ShardMeta*> lineage_from(const StreamMeta& meta, uint32_t named) {
  std::vector<const ShardMeta*> shards;
  std::set<uint32_t> lineage{named};
  for (const auto& candidate : meta.shards) {
    const bool child = (candidate.parent && lineage.count(*candidate.parent) > 0) ||
                       (candidate.adjacent_parent && lineage.count(*candidate.adjacent_parent) > 0);
    if (candidate.index == named || child) {
      lineage.insert(candidate.index);
      shards.push_back(&candidate);
    }
  }
  return shards;
}

// The first shard's start for the request's type (the request already checked).
Result<ReadStart> first_start(const Stream& stream, const StreamReadRequest& request,
                              std::optional<uint32_t>* named) {
  const std::string& type = request.iterator_type;
  if (type == "TRIM_HORIZON") return ReadStart{ReadStart::Kind::kOffset, 0, 0};
  if (type == "LATEST") return ReadStart{ReadStart::Kind::kLatest, 0, 0};
  if (type == "AT_TIMESTAMP") return ReadStart{ReadStart::Kind::kTimestamp, 0, *request.timestamp_ms};
  KDS_ASSIGN(SequencePosition position, starting_position(stream, *request.sequence_number,
                                                          type == "AFTER_SEQUENCE_NUMBER", request.shard));
  *named = position.shard_index;
  return ReadStart{ReadStart::Kind::kOffset, position.offset, 0};
}

}  // namespace

Result<std::vector<ShardStart>> plan_read(const Stream& stream, const StreamReadRequest& request) {
  KDS_TRY(Validator().enumeration("shardIteratorType", request.iterator_type, true, kIteratorTypes).finish());
  KDS_TRY(check_iterator_arguments(request.iterator_type, request.sequence_number.has_value(),
                                   request.timestamp_ms, now_ms()));
  if (request.shard) KDS_TRY(stream.shard(*request.shard));
  std::optional<uint32_t> named;
  KDS_ASSIGN(ReadStart start, first_start(stream, request, &named));

  std::vector<const ShardMeta*> shards;
  if (request.shard) {
    shards.push_back(stream.meta().find_shard(*request.shard));
  } else if (named) {
    shards = lineage_from(stream.meta(), *named);
  } else {
    const int64_t now = now_ms();
    for (const auto& candidate : stream.meta().shards) {
      if (!stream.meta().shard_expired(candidate, now)) shards.push_back(&candidate);
    }
  }
  std::vector<ShardStart> plan;
  for (const ShardMeta* meta : shards) {
    plan.push_back({meta->index, start, meta->end_offset});
    // Only the shard the sequence number names starts part-way; its descendants start at the beginning.
    if (named) start.offset = 0;
  }
  return plan;
}

}  // namespace kds::api
