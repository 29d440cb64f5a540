#include "common.h"

#include <fmt/format.h>

#include <charconv>
#include <vector>

#include "kds/base64.h"
#include "kds/clock.h"
#include "kds/errors.h"

namespace kds::api {

namespace {
constexpr int64_t kNextTokenLifetimeMs = 300'000;
}  // namespace

StreamRef read_stream(JsonReader& reader) {
  StreamRef stream;
  stream.name = reader.string("StreamName");
  stream.arn = reader.string("StreamARN");
  return stream;
}

void put_stream(ordered_json* out, const StreamRef& stream) {
  put_member(out, "StreamName", stream.name);
  put_member(out, "StreamARN", stream.arn);
}

void validate_stream(Validator& validator, const StreamRef& stream) {
  validator.name("streamName", stream.name, false);
  validator.string("streamARN", stream.arn, false, Pattern::kStreamArn, 1, kMaxArnLength);
}

Result<std::string> stream_name(const StreamRef& stream) {
  return stream_from(stream.name, stream.arn);
}

Result<Stream> open_stream(const Context& context, const StreamRef& stream) {
  KDS_ASSIGN(std::string name, stream_name(stream));
  return context.store->open_stream(name);
}

Error on_demand_unsupported() {
  return Error(Errc::kInvalidArgument,
               "StreamMode ON_DEMAND is not supported by this store: its streams are PROVISIONED, with a "
               "ShardCount");
}

Error warm_throughput_unsupported() {
  return Error(Errc::kInvalidArgument, "WarmThroughputMiBps is only valid for on-demand streams");
}

std::string make_token(char kind, int64_t created_ms, std::string_view last, std::string_view stream) {
  std::string text;
  base64_encode(fmt::format("{}:{}:{}:{}:{}", kind, now_ms(), created_ms, last, stream), &text);
  return text;
}

Result<Token> parse_token(char kind, std::string_view text) {
  const Error invalid(Errc::kInvalidArgument,
                      fmt::format("NextToken {} is not a token this store issued.", text));
  auto decoded = base64_decode(text);
  if (!decoded || decoded->size() < 2 || (*decoded)[0] != kind || (*decoded)[1] != ':') return invalid;
  std::vector<std::string> parts;
  size_t start = 2;
  for (int i = 0; i < 3; ++i) {
    const size_t colon = decoded->find(':', start);
    if (colon == std::string::npos) return invalid;
    parts.push_back(decoded->substr(start, colon - start));
    start = colon + 1;
  }
  int64_t issued = 0;
  Token token;
  auto number = [](const std::string& part, int64_t* out) {
    const auto [end, error] = std::from_chars(part.data(), part.data() + part.size(), *out);
    return error == std::errc() && end == part.data() + part.size();
  };
  if (!number(parts[0], &issued) || !number(parts[1], &token.created_ms)) return invalid;
  if (now_ms() - issued > kNextTokenLifetimeMs) {
    return Error(Errc::kExpiredNextToken,
                 fmt::format("The timestamp in the NextToken {} has expired; tokens last {} milliseconds.",
                             text, kNextTokenLifetimeMs));
  }
  token.last = parts[2];
  token.stream = decoded->substr(start);
  return token;
}

}  // namespace kds::api
