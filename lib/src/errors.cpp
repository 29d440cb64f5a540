#include "kds/errors.h"

#include <algorithm>

#include <fmt/format.h>

#include "kds/shard_id.h"

namespace kds {

namespace {
struct Identity {
  std::string region{kDefaultRegion};
  std::string account_id{kDefaultAccountId};
};
Identity& identity() {
  static Identity value;
  return value;
}
}  // namespace

std::string_view account_id() {
  return identity().account_id;
}

std::string_view region() {
  return identity().region;
}

void set_identity(std::string_view region, std::string_view account_id) {
  identity() = {std::string(region), std::string(account_id)};
}

bool is_account_id(std::string_view text) {
  return text.size() == 12 &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool is_region(std::string_view text) {
  auto allowed = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; };
  return !text.empty() && text.size() <= 32 && text.front() >= 'a' && text.front() <= 'z' &&
         std::all_of(text.begin(), text.end(), allowed);
}

Error validation_error(const Violation* violations, size_t count) {
  std::string text = count == 1 ? std::string("1 validation error detected: ")
                                : fmt::format("{} validation errors detected: ", count);
  for (size_t i = 0; i < count; ++i) {
    if (i > 0) text += "; ";
    const Violation& v = violations[i];
    if (v.null) {
      text += fmt::format("Value null at '{}' failed to satisfy constraint: {}", v.member, v.constraint);
    } else {
      text +=
          fmt::format("Value '{}' at '{}' failed to satisfy constraint: {}", v.value, v.member, v.constraint);
    }
  }
  return Error(Errc::kValidation, std::move(text));
}

Error validation_error(std::initializer_list<Violation> violations) {
  return validation_error(violations.begin(), violations.size());
}

std::string stream_arn(std::string_view stream) {
  return fmt::format("arn:aws:kinesis:{}:{}:stream/{}", region(), account_id(), stream);
}

Error stream_not_found(std::string_view stream) {
  return Error(Errc::kResourceNotFound,
               fmt::format("Stream {} under account {} not found.", stream, account_id()));
}

Error stream_exists(std::string_view stream) {
  return Error(Errc::kResourceInUse,
               fmt::format("Stream {} under account {} already exists.", stream, account_id()));
}

Error stream_not_active(std::string_view stream, std::string_view status) {
  return Error(Errc::kResourceInUse, fmt::format("Stream {} under account {} not ACTIVE, instead in state {}",
                                                 stream, account_id(), status));
}

Error consumers_exist(std::string_view stream) {
  return Error(Errc::kResourceInUse,
               fmt::format("Stream {} under account {} has registered consumers. Deregister them, or set "
                           "EnforceConsumerDeletion to delete the stream with its consumers.",
                           stream, account_id()));
}

Error consumer_exists(std::string_view consumer, std::string_view stream) {
  return Error(Errc::kResourceInUse, fmt::format("Consumer {} of stream {} under account {} already exists.",
                                                 consumer, stream, account_id()));
}

Error consumer_not_found(std::string_view consumer, std::string_view stream) {
  return Error(Errc::kResourceNotFound, fmt::format("Consumer {} of stream {} under account {} not found.",
                                                    consumer, stream, account_id()));
}

Error consumer_limit_exceeded(std::string_view stream, int64_t limit) {
  return Error(
      Errc::kLimitExceeded,
      fmt::format("Stream {} under account {} already has {} registered consumers, the most a stream "
                  "can have.",
                  stream, account_id(), limit));
}

Error shard_not_found(std::string_view shard_as_given, std::string_view stream) {
  std::string shown(shard_as_given);
  if (auto index = parse_shard_id(shard_as_given)) shown = shard_id_string(*index);
  return Error(Errc::kResourceNotFound, fmt::format("Could not find shard {} in stream {} under account {}.",
                                                    shown, stream, account_id()));
}

Error record_not_found(std::string_view stream, std::string_view sequence_number) {
  return Error(Errc::kResourceNotFound,
               fmt::format("Record with sequence number {} not found in stream {} under "
                           "account {}.",
                           sequence_number, stream, account_id()));
}

Error shard_does_not_exist(uint32_t shard_index, std::string_view stream) {
  return Error(Errc::kResourceNotFound, fmt::format("Shard {} in stream {} under account {} does not exist",
                                                    shard_id_string(shard_index), stream, account_id()));
}

Error shard_limit_exceeded(int64_t current, int64_t limit, int64_t added) {
  return Error(
      Errc::kLimitExceeded,
      fmt::format("This request would exceed the shard limit for the account {} in {}. Current shard "
                  "count for the account: {}. Limit: {}. Number of additional shards that would have "
                  "resulted from this request: {}. Refer to the AWS Service Limits page "
                  "(http://docs.aws.amazon.com/general/latest/gr/aws_service_limits.html) for current "
                  "limits and how to request higher limits.",
                  account_id(), region(), current, limit, added));
}

}  // namespace kds
