// The exact Kinesis texts for errors a user can provoke, in one place so every tool words them alike.
// A local store has no account or region; messages use Kinesis's placeholders for them (kinesis.md §0)
// unless the process is given its own (kds-serve --account-id, --region).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include "kds/status.h"

namespace kds {

inline constexpr std::string_view kDefaultAccountId = "000000000000";
inline constexpr std::string_view kDefaultRegion = "us-east-1";

// The account and region that ARNs and messages name: the defaults, or what set_identity() gave. A process
// has one of each; set it once, before other threads read it (the values are not guarded).
std::string_view account_id();
std::string_view region();
void set_identity(std::string_view region, std::string_view account_id);
// Whether `text` can be an account id (twelve digits, as ARNs have it) or a region name (lower-case letters,
// digits and hyphens, starting with a letter, at most 32 characters, e.g. eu-west-1).
bool is_account_id(std::string_view text);
bool is_region(std::string_view text);
inline constexpr size_t kMaxViolationsListed = 10;

// One failed constraint of a request member, as ValidationException reports it.
struct Violation {
  std::string_view value;
  std::string_view member;      // camelCase member name, e.g. "streamName"
  std::string_view constraint;  // e.g. "Member must have length less than or equal to 128"
  bool null = false;            // the member is absent: "Value null at ..." (no quotes)
};

// "1 validation error detected: Value '...' at '...' failed to satisfy constraint: ..." (joined with "; "
// and counted when there are several; Kinesis lists at most kMaxViolationsListed, and so do callers).
Error validation_error(std::initializer_list<Violation> violations);
Error validation_error(const Violation* violations, size_t count);

// Ends every message about an encrypted batch or stream whose key the caller did not give, so a front end
// can add how to give one (a tool names its option, a server its key directory).
inline constexpr std::string_view kKeyNotGiven = "that key was not given";

std::string stream_arn(std::string_view stream);

Error stream_not_found(std::string_view stream);
Error stream_exists(std::string_view stream);
Error stream_not_active(std::string_view stream, std::string_view status);
// For a shard id that cannot be parsed or names no shard of the stream (split, merge, get by shard).
Error shard_not_found(std::string_view shard_as_given, std::string_view stream);
// For a sequence number that names no stored record (kds-get STREAM SEQUENCE_NUMBER; Kinesis has no
// operation that reads one record, so the text follows its not-found ones).
Error record_not_found(std::string_view stream, std::string_view sequence_number);
// For a well-formed shard id that names no shard (iterator-style calls).
Error shard_does_not_exist(uint32_t shard_index, std::string_view stream);
// DeleteStream without EnforceConsumerDeletion on a stream with registered consumers.
Error consumers_exist(std::string_view stream);
// RegisterStreamConsumer of a name the stream has; Describe/DeregisterStreamConsumer of one it has not
// (`consumer` is the name, or the consumer ARN when the request gave only that).
Error consumer_exists(std::string_view consumer, std::string_view stream);
Error consumer_not_found(std::string_view consumer, std::string_view stream);
// RegisterStreamConsumer on a stream that has `limit` consumers already.
Error consumer_limit_exceeded(std::string_view stream, int64_t limit);
// For a CreateStream, SplitShard or UpdateShardCount that would take the account's open shards past its
// quota (kds-serve --shard-limit): `current` open now, `added` more asked for.
Error shard_limit_exceeded(int64_t current, int64_t limit, int64_t added);

}  // namespace kds
