// RegisterStreamConsumer, DescribeStreamConsumer, ListStreamConsumers, DeregisterStreamConsumer, and
// the ARNs that name streams and consumers; stream_attributes.h keeps the consumers.
//
// Registration and deregistration are immediate in a local store: RegisterStreamConsumer answers
// CREATING, as Kinesis's answer always does (clients wait for ACTIVE before subscribing), and every later
// description says ACTIVE; a deregistered consumer is gone at once rather than DELETING for a while.
#include <fmt/format.h>

#include <algorithm>

#include "common.h"
#include "kds/api/shapes.h"
#include "kds/clock.h"
#include "kds/errors.h"

namespace kds::api {

namespace {

constexpr size_t kMaxConsumersPerStream = 20;
constexpr int64_t kListConsumersPage = 100;
constexpr int64_t kMaxListConsumersPage = 10000;

ConsumerSummary summary_of(const ConsumerEntry& consumer, std::string_view stream) {
  return ConsumerSummary{std::string(stream), consumer.name, consumer.created_ms};
}

void validate_consumer(Validator& validator, const ConsumerRef& consumer) {
  validator.string("streamARN", consumer.stream_arn, false, Pattern::kStreamArn, 1, kMaxArnLength);
  validator.name("consumerName", consumer.consumer_name, false);
  validator.string("consumerARN", consumer.consumer_arn, false, Pattern::kConsumerArn, 1, kMaxArnLength);
}

// The consumer a request names, after validation: by its ARN (StreamARN and ConsumerName, when given too,
// must agree with it) or by StreamARN and ConsumerName.
Result<ArnTarget> consumer_target(const ConsumerRef& consumer) {
  if (!consumer.consumer_arn) {
    if (!consumer.stream_arn || !consumer.consumer_name) {
      return Error(Errc::kInvalidArgument,
                   "ConsumerARN or both ConsumerName and StreamARN are required for this request.");
    }
    KDS_ASSIGN(std::string stream, stream_from(std::nullopt, consumer.stream_arn));
    return ArnTarget{std::move(stream), consumer.consumer_name, -1};
  }
  KDS_ASSIGN(ArnTarget target, parse_resource_arn(*consumer.consumer_arn));
  if (consumer.stream_arn) {
    KDS_ASSIGN(std::string stream, stream_from(std::nullopt, consumer.stream_arn));
    if (stream != target.stream) {
      return Error(Errc::kInvalidArgument, fmt::format("ConsumerARN {} is not a consumer of StreamARN {}.",
                                                       *consumer.consumer_arn, *consumer.stream_arn));
    }
  }
  if (consumer.consumer_name && *consumer.consumer_name != *target.consumer) {
    return Error(Errc::kInvalidArgument,
                 fmt::format("ConsumerARN {} and ConsumerName {} name different consumers.",
                             *consumer.consumer_arn, *consumer.consumer_name));
  }
  return target;
}

}  // namespace

// ---- ARNs ----

void validate_resource_arn(Validator& validator, const std::optional<std::string>& arn) {
  validator.string("resourceARN", arn, true, Pattern::kResourceArn, 1, kMaxArnLength);
}

Result<ArnTarget> parse_resource_arn(std::string_view arn) {
  ArnTarget target;
  if (matches(Pattern::kConsumerArn, arn)) {
    // .../stream/STREAM/consumer/NAME:SECONDS, names without '/' or ':'.
    const size_t colon = arn.rfind(':');
    const size_t consumer = arn.rfind("/consumer/", colon);
    const size_t stream = arn.rfind("stream/", consumer);
    target.stream = std::string(arn.substr(stream + 7, consumer - stream - 7));
    target.consumer = std::string(arn.substr(consumer + 10, colon - consumer - 10));
    const std::string_view seconds = arn.substr(colon + 1);
    // More digits than an int64_t holds name no consumer; -2 matches no creation time.
    target.consumer_seconds = -2;
    if (seconds.size() <= 18) target.consumer_seconds = std::stoll(std::string(seconds));
    return target;
  }
  const size_t canonical = arn.find(":stream/");
  target.stream = std::string(canonical != std::string_view::npos ? arn.substr(canonical + 8)
                                                                  : arn.substr(arn.rfind("stream/") + 7));
  if (!matches(Pattern::kName, target.stream)) {
    return Error(
        Errc::kResourceNotFound,
        fmt::format("Resource ARN {} names no stream or consumer under account {}.", arn, account_id()));
  }
  return target;
}

const ConsumerEntry* find_consumer(const StreamAttributes& attributes, const ArnTarget& target) {
  const ConsumerEntry* consumer = attributes.find_consumer(*target.consumer);
  if (consumer == nullptr) return nullptr;
  if (target.consumer_seconds != -1 && consumer->created_ms / 1000 != target.consumer_seconds) return nullptr;
  return consumer;
}

namespace {

ConsumerEntry* find_consumer(StreamAttributes& attributes, const ArnTarget& target) {
  return const_cast<ConsumerEntry*>(find_consumer(std::as_const(attributes), target));
}

Result<Resource> resource_in(StreamAttributes& attributes, const ArnTarget& target, std::string_view arn) {
  if (!target.consumer) return Resource{"stream", target.stream, &attributes.tags, &attributes.policy};
  ConsumerEntry* consumer = find_consumer(attributes, target);
  if (consumer == nullptr) return consumer_not_found(arn, target.stream);
  return Resource{"consumer", consumer->name, &consumer->tags, &consumer->policy};
}
}  // namespace

Status change_resource(const Context& context, std::string_view arn,
                       const std::function<Status(Resource&)>& edit) {
  KDS_ASSIGN(ArnTarget target, parse_resource_arn(arn));
  KDS_ASSIGN(Stream stream, context.store->open_stream(target.stream));
  return change_attributes(stream, [&](StreamAttributes& attributes) -> Status {
    KDS_ASSIGN(Resource resource, resource_in(attributes, target, arn));
    return edit(resource);
  });
}

Status read_resource(const Context& context, std::string_view arn,
                     const std::function<void(const Resource&)>& read) {
  KDS_ASSIGN(ArnTarget target, parse_resource_arn(arn));
  KDS_ASSIGN(Stream stream, context.store->open_stream(target.stream));
  KDS_ASSIGN(StreamAttributes attributes, read_attributes(stream));
  KDS_ASSIGN(Resource resource, resource_in(attributes, target, arn));
  read(resource);
  return {};
}

// ---- Shapes ----

std::string ConsumerSummary::arn() const {
  return fmt::format("{}/consumer/{}:{}", stream_arn(stream), name, created_ms / 1000);
}

ordered_json ConsumerSummary::to_json(bool with_stream_arn) const {
  ordered_json out = {{"ConsumerName", name},
                      {"ConsumerARN", arn()},
                      {"ConsumerStatus", status},
                      {"ConsumerCreationTimestamp", epoch_seconds(created_ms)}};
  if (with_stream_arn) out["StreamARN"] = stream_arn(stream);
  return out;
}

ordered_json RegisterStreamConsumerResponse::to_json() const {
  return {{"Consumer", consumer.to_json(false)}};
}

ordered_json DescribeStreamConsumerResponse::to_json() const {
  return {{"ConsumerDescription", consumer.to_json(true)}};
}

ordered_json ListStreamConsumersResponse::to_json() const {
  ordered_json list = ordered_json::array();
  for (const auto& consumer : consumers)
    list.push_back(consumer.to_json(false));
  ordered_json out = {{"Consumers", std::move(list)}};
  if (next_token) out["NextToken"] = *next_token;
  return out;
}

// ---- Operations ----

Result<RegisterStreamConsumerRequest> RegisterStreamConsumerRequest::from_json(Body body) {
  JsonReader reader(body);
  RegisterStreamConsumerRequest request;
  request.stream_arn = reader.string("StreamARN");
  request.consumer_name = reader.string("ConsumerName");
  request.tags = reader.string_map("Tags");
  return finish_reading(reader, std::move(request));
}

Result<RegisterStreamConsumerResponse> register_stream_consumer(
    const Context& context, const RegisterStreamConsumerRequest& request) {
  Validator validator;
  validator.string("streamARN", request.stream_arn, true, Pattern::kStreamArn, 1, kMaxArnLength);
  validator.name("consumerName", request.consumer_name, true);
  validate_tags(validator, request.tags, false);
  KDS_TRY(validator.finish());
  KDS_ASSIGN(std::string name, stream_from(std::nullopt, request.stream_arn));
  KDS_ASSIGN(Stream stream, context.store->open_stream(name));
  ConsumerEntry added{*request.consumer_name, now_ms(), {}, {}};
  if (request.tags) {
    KDS_ASSIGN(added.tags, new_tags(*request.tags, "consumer", added.name));
  }
  KDS_TRY(change_attributes(stream, [&](StreamAttributes& attributes) -> Status {
    if (attributes.find_consumer(added.name) != nullptr) return consumer_exists(added.name, name);
    if (attributes.consumers.size() >= kMaxConsumersPerStream)
      return consumer_limit_exceeded(name, kMaxConsumersPerStream);
    attributes.consumers.push_back(added);
    return {};
  }));
  RegisterStreamConsumerResponse response{summary_of(added, name)};
  response.consumer.status = "CREATING";
  return response;
}

Result<ConsumerRequest> ConsumerRequest::from_json(Body body) {
  JsonReader reader(body);
  ConsumerRequest request;
  request.consumer.stream_arn = reader.string("StreamARN");
  request.consumer.consumer_name = reader.string("ConsumerName");
  request.consumer.consumer_arn = reader.string("ConsumerARN");
  return finish_reading(reader, std::move(request));
}

Result<DescribeStreamConsumerResponse> describe_stream_consumer(const Context& context,
                                                                const ConsumerRequest& request) {
  Validator validator;
  validate_consumer(validator, request.consumer);
  KDS_TRY(validator.finish());
  KDS_ASSIGN(ArnTarget target, consumer_target(request.consumer));
  KDS_ASSIGN(Stream stream, context.store->open_stream(target.stream));
  KDS_ASSIGN(StreamAttributes attributes, read_attributes(stream));
  const ConsumerEntry* consumer = find_consumer(attributes, target);
  if (consumer == nullptr) {
    return consumer_not_found(request.consumer.consumer_arn.value_or(*target.consumer), target.stream);
  }
  return DescribeStreamConsumerResponse{summary_of(*consumer, target.stream)};
}

Status deregister_stream_consumer(const Context& context, const ConsumerRequest& request) {
  Validator validator;
  validate_consumer(validator, request.consumer);
  KDS_TRY(validator.finish());
  KDS_ASSIGN(ArnTarget target, consumer_target(request.consumer));
  KDS_ASSIGN(Stream stream, context.store->open_stream(target.stream));
  return change_attributes(stream, [&](StreamAttributes& attributes) -> Status {
    const ConsumerEntry* consumer = find_consumer(attributes, target);
    if (consumer == nullptr) {
      return consumer_not_found(request.consumer.consumer_arn.value_or(*target.consumer), target.stream);
    }
    attributes.consumers.erase(attributes.consumers.begin() + (consumer - attributes.consumers.data()));
    return {};
  });
}

Result<ListStreamConsumersRequest> ListStreamConsumersRequest::from_json(Body body) {
  JsonReader reader(body);
  ListStreamConsumersRequest request;
  request.stream_arn = reader.string("StreamARN");
  request.next_token = reader.string("NextToken");
  request.max_results = reader.integer("MaxResults");
  request.stream_creation_timestamp_ms = reader.timestamp_ms("StreamCreationTimestamp");
  return finish_reading(reader, std::move(request));
}

Result<ListStreamConsumersResponse> list_stream_consumers(const Context& context,
                                                          const ListStreamConsumersRequest& request) {
  Validator validator;
  validator.string("streamARN", request.stream_arn, true, Pattern::kStreamArn, 1, kMaxArnLength);
  validator.string("nextToken", request.next_token, false, Pattern::kNone, 1, 1048576);
  validator.integer("maxResults", request.max_results, false, 1, kMaxListConsumersPage);
  KDS_TRY(validator.finish());
  KDS_ASSIGN(std::string name, stream_from(std::nullopt, request.stream_arn));
  std::optional<int64_t> created = request.stream_creation_timestamp_ms;
  std::string after;
  if (request.next_token && request.stream_creation_timestamp_ms) {
    return Error(Errc::kInvalidArgument,
                 "NextToken and StreamCreationTimestamp cannot be provided together.");
  }
  if (request.next_token) {
    KDS_ASSIGN(Token token, parse_token('C', *request.next_token));
    if (token.stream != name) {
      return Error(Errc::kInvalidArgument,
                   fmt::format("NextToken {} was issued for another stream.", *request.next_token));
    }
    after = token.last;
    created = token.created_ms;
  }
  KDS_ASSIGN(Stream stream, context.store->open_stream(name));
  // The name was deleted and created again since the token or timestamp was taken.
  if (created && *created != stream.meta().created_ms) return stream_not_found(name);
  KDS_ASSIGN(StreamAttributes attributes, read_attributes(stream));
  std::vector<const ConsumerEntry*> sorted;
  for (const auto& consumer : attributes.consumers) {
    if (consumer.name > after) sorted.push_back(&consumer);
  }
  std::sort(sorted.begin(), sorted.end(), [](const auto* a, const auto* b) { return a->name < b->name; });
  const auto limit = static_cast<size_t>(request.max_results.value_or(kListConsumersPage));
  ListStreamConsumersResponse response;
  for (const ConsumerEntry* consumer : sorted) {
    if (response.consumers.size() == limit) {
      response.next_token = make_token('C', stream.meta().created_ms, response.consumers.back().name, name);
      break;
    }
    response.consumers.push_back(summary_of(*consumer, name));
  }
  return response;
}

}  // namespace kds::api
