// Pieces every operation uses: reading and checking the stream a request names, and opening it.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "kds/api/operations.h"
#include "kds/api/request.h"
#include "kds/stream_attributes.h"

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

// InvalidArgumentException for asking a stream to be ON_DEMAND, or for a warm throughput (which only
// on-demand streams have): kds streams are PROVISIONED.
Error on_demand_unsupported();
Error warm_throughput_unsupported();

// LimitExceededException when `added` more open shards would take the store past context.shard_limit.
Status check_shard_limit(const Context& context, int64_t added);

// ---- Tags and consumers (tags.cpp, consumers.cpp) ----

// The Tags member of a request, checked as the model bounds it.
void validate_tags(Validator& validator, const std::optional<StringMap>& tags, bool required);
// Tags as CreateStream and RegisterStreamConsumer take them: checked as AddTagsToStream checks them for
// a resource with none yet; `kind` and `name` ("stream", "orders") name it in the texts.
Result<Tags> new_tags(const StringMap& tags, std::string_view kind, std::string_view name);

// The model's longest StreamARN, ResourceARN and ConsumerARN.
inline constexpr size_t kMaxArnLength = 2048;

// What a ResourceARN or ConsumerARN names: a stream, or a consumer of it with the creation time (in
// seconds) its ARN carries (-1 when it was named by StreamARN and ConsumerName instead).
struct ArnTarget {
  std::string stream;
  std::optional<std::string> consumer;
  int64_t consumer_seconds = 0;
};
void validate_resource_arn(Validator& validator, const std::optional<std::string>& arn);
// Call after validation (the ARN matches the ResourceARN or ConsumerARN pattern).
Result<ArnTarget> parse_resource_arn(std::string_view arn);
// The consumer `target` names, when the stream has it, and with the creation time its ARN carries (an ARN
// names one registration: a consumer registered again under the name has another); else null.
const ConsumerEntry* find_consumer(const StreamAttributes& attributes, const ArnTarget& target);

// A stream or a consumer as the operations on either see it (tags, resource policies): what names it in
// texts, and its members in the StreamAttributes it lives in.
struct Resource {
  std::string_view kind;  // "stream" or "consumer"
  std::string_view name;
  Tags* tags = nullptr;
  std::string* policy = nullptr;
};
// Under the stream's control lock, lets `edit` change the stream or consumer `arn` names (after
// validation) and keeps the change unless `edit` fails; ResourceNotFoundException when there is none.
Status change_resource(const Context& context, std::string_view arn,
                       const std::function<Status(Resource&)>& edit);
// Hands the stream or consumer `arn` names, as stored, to `read` (valid during the call only).
Status read_resource(const Context& context, std::string_view arn,
                     const std::function<void(const Resource&)>& read);

// Pagination tokens (ListStreams, ListShards, ListStreamConsumers): "<kind>:<issued ms>:<stream created
// ms>:<last item>:<stream>", base64, valid for 300 s as Kinesis's. They are not secret: a changed token
// only changes which page comes next. `last` must not contain ':'.
std::string make_token(char kind, int64_t created_ms, std::string_view last, std::string_view stream);
struct Token {
  int64_t created_ms = 0;
  std::string last;
  std::string stream;
};
// InvalidArgumentException for a token of another kind or not made here, ExpiredNextTokenException for
// one older than 300 s.
Result<Token> parse_token(char kind, std::string_view text);

// Writing a request for the remote client: `value` as member `name` of `out` when it is present.
template <class T>
void put_member(ordered_json* out, const char* name, const std::optional<T>& value) {
  if (value) (*out)[name] = *value;
}
// StreamName and StreamARN, when given.
void put_stream(ordered_json* out, const StreamRef& stream);

// Returns the request `reader` filled, or its type error.
template <class T>
Result<T> finish_reading(const JsonReader& reader, T request) {
  if (!reader.status().ok()) return reader.status().error();
  return request;
}

}  // namespace kds::api
