#include "kds/errors.h"

#include <fmt/format.h>

#include "kds/shard_id.h"

namespace kds {

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
  return fmt::format("arn:aws:kinesis:{}:{}:stream/{}", kRegion, kAccountId, stream);
}

Error stream_not_found(std::string_view stream) {
  return Error(Errc::kResourceNotFound,
               fmt::format("Stream {} under account {} not found.", stream, kAccountId));
}

Error stream_exists(std::string_view stream) {
  return Error(Errc::kResourceInUse,
               fmt::format("Stream {} under account {} already exists.", stream, kAccountId));
}

Error stream_not_active(std::string_view stream, std::string_view status) {
  return Error(Errc::kResourceInUse, fmt::format("Stream {} under account {} not ACTIVE, instead in state {}",
                                                 stream, kAccountId, status));
}

Error shard_not_found(std::string_view shard_as_given, std::string_view stream) {
  std::string shown(shard_as_given);
  if (auto index = parse_shard_id(shard_as_given)) shown = shard_id_string(*index);
  return Error(Errc::kResourceNotFound, fmt::format("Could not find shard {} in stream {} under account {}.",
                                                    shown, stream, kAccountId));
}

Error record_not_found(std::string_view stream, std::string_view sequence_number) {
  return Error(Errc::kResourceNotFound,
               fmt::format("Record with sequence number {} not found in stream {} under "
                           "account {}.",
                           sequence_number, stream, kAccountId));
}

Error shard_does_not_exist(uint32_t shard_index, std::string_view stream) {
  return Error(Errc::kResourceNotFound, fmt::format("Shard {} in stream {} under account {} does not exist",
                                                    shard_id_string(shard_index), stream, kAccountId));
}

}  // namespace kds
