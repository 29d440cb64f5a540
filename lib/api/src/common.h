// Pieces every operation uses: reading and checking the stream a request names, and opening it.
#pragma once

#include <cstdint>
#include <string>

#include "kds/api/operations.h"
#include "kds/api/request.h"

namespace kds::api {

// ShardCount and TargetShardCount as the API model bounds them; the store's own limit is lower
// (kMaxOpenShards, LimitExceededException).
inline constexpr int64_t kMaxShardCountMember = 100000;

// Reads StreamName and StreamARN.
StreamRef read_stream(JsonReader& reader);
// Checks StreamName and StreamARN (both optional: an operation needs one of them, which stream_name()
// checks after validation).
void validate_stream(Validator& validator, const StreamRef& stream);
Result<std::string> stream_name(const StreamRef& stream);
Result<Stream> open_stream(const Context& context, const StreamRef& stream);

// LimitExceededException when `added` more open shards would take the store past context.shard_limit.
Status check_shard_limit(const Context& context, int64_t added);

// Returns the request `reader` filled, or its type error.
template <class T>
Result<T> finish_reading(const JsonReader& reader, T request) {
  if (!reader.status().ok()) return reader.status().error();
  return request;
}

}  // namespace kds::api
