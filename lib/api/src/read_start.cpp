#include "kds/api/read_start.h"

#include <fmt/format.h>

#include "kds/clock.h"
#include "kds/errors.h"
#include "kds/shard_reader.h"

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
                  number, shard_id_string(shard), stream, kAccountId, reason));
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

Result<SequencePosition> starting_position(const Stream& stream, std::string_view number,
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
  KDS_ASSIGN(uint64_t end, shard_end_offset(stream, *named));
  if (position.offset >= end) return invalid_starting_number(number, position.shard_index, stream.name(), "");
  return position;
}

}  // namespace kds::api
