// Reading a Kinesis request, in the two steps AWS takes (wire.md §3):
//   0. RequestBody parses the JSON 1.1 text (simdjson: the body of a PutRecords of 500 records is parsed
//      about ten times faster than by nlohmann, which was half of the request's cost).
//   1. JsonReader takes each member from the JSON 1.1 body and checks its type. The first member of the
//      wrong type fails the whole request with SerializationException, before any constraint is looked at.
//      Members the operation does not know, and members given as null, are ignored, as AWS does.
//   2. Validator checks the members' constraints in the operation's member order and, within a member,
//      in AWS's order (not null, minimum, maximum, pattern, minimum length, maximum length, enum), and
//      reports at most ten failures in one ValidationException.
// The operations' own checks (InvalidArgumentException and the rest) come after both.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kds/errors.h"
#include "kds/status.h"

namespace kds::api {

// A Map of strings to strings (Tags) in the body's order; a key given twice counts once, with its last value.
using StringMap = std::vector<std::pair<std::string, std::string>>;

// A parsed JSON value of a request; it lives as long as the RequestBody it came from.
using Body = simdjson::dom::element;

class RequestBody {
 public:
  // Parses `text`, which need not outlive the body; false when it is not JSON. Integers beyond 64 bits
  // are read as floating-point numbers, as the model's number types take them.
  bool parse(std::string_view text);
  // The parsed value (after a parse that succeeded).
  Body root() const { return root_; }

 private:
  simdjson::dom::parser parser_;
  Body root_;
};

class JsonReader {
 public:
  // `body` must outlive the reader. A body that is not a JSON object fails (SerializationException).
  explicit JsonReader(Body body);

  // Each returns nullopt when the member is absent or null, or when a type error was found (this one or
  // an earlier one, which status() returns).
  std::optional<std::string> string(std::string_view member);
  // An Integer member: a JSON number, rounded down and limited to 2^31-1 as Kinesis does.
  std::optional<int64_t> integer(std::string_view member);
  std::optional<bool> boolean(std::string_view member);
  // A Blob member: padded base64, decoded.
  std::optional<std::string> blob(std::string_view member);
  // A Timestamp member: epoch seconds as a number (possibly fractional), in milliseconds.
  std::optional<int64_t> timestamp_ms(std::string_view member);
  // A List or Structure member, for reading its elements with a reader of their own.
  std::optional<simdjson::dom::array> list(std::string_view member);
  std::optional<Body> structure(std::string_view member);
  // A Map member of strings to strings, and a List member of strings.
  std::optional<StringMap> string_map(std::string_view member);
  std::optional<std::vector<std::string>> string_list(std::string_view member);

  const Status& status() const { return status_; }

 private:
  std::optional<Body> member(std::string_view name);
  void type_error(std::string message);
  // `value` as a String member, or nullopt after a type error.
  std::optional<std::string> string_of(Body value);

  simdjson::dom::object object_;
  Status status_;
};

// The patterns Kinesis's model gives string members.
enum class Pattern {
  kNone,
  kName,            // [a-zA-Z0-9_.-]+ (streams, shards, consumers)
  kHashKey,         // 0|([1-9]\d{0,38})
  kSequenceNumber,  // 0|([1-9]\d{0,128})
  kStreamArn,       // arn:aws.*:kinesis:.*:\d{12}:stream/\S+
  kResourceArn,     // arn:aws.*:kinesis:.*:\d{12}:.*stream/\S+ (a stream's or a consumer's)
  kConsumerArn,  // ^(arn):aws.*:kinesis:.*:\d{12}:.*stream\/[a-zA-Z0-9_.-]+\/consumer\/[a-zA-Z0-9_.-]+:[0-9]+
};

class Validator {
 public:
  // A string member. `min_length`/`max_length` count Unicode characters; 0 means no bound.
  Validator& string(std::string_view member, const std::optional<std::string>& value, bool required,
                    Pattern pattern, size_t min_length, size_t max_length);
  // [a-zA-Z0-9_.-]+ of 1..128 characters: stream and shard ids.
  Validator& name(std::string_view member, const std::optional<std::string>& value, bool required);
  Validator& integer(std::string_view member, const std::optional<int64_t>& value, bool required, int64_t min,
                     int64_t max);
  Validator& enumeration(std::string_view member, const std::optional<std::string>& value, bool required,
                         const std::vector<std::string_view>& values);
  // A blob's length in bytes, shown as Java shows a byte buffer.
  Validator& blob(std::string_view member, const std::optional<std::string>& value, bool required,
                  size_t max_length);
  // A list's number of entries (Kinesis shows the list by its entries' Java names; kds by their count).
  Validator& list_length(std::string_view member, size_t count, size_t min, size_t max);
  // A Map of strings (Tags): its number of entries, then its keys' lengths, then its values' lengths
  // (in characters), each reported once for the whole map as Kinesis does.
  Validator& string_map(std::string_view member, const std::optional<StringMap>& value, bool required,
                        size_t max_entries, size_t max_key_length, size_t max_value_length);
  // A List of strings: its number of entries, then its members' lengths (1..max_length characters).
  Validator& string_list(std::string_view member, const std::optional<std::vector<std::string>>& value,
                         bool required, size_t max_entries, size_t max_length);
  // A List of enum strings: its number of entries (1..max_entries), then its members' values.
  Validator& enumeration_list(std::string_view member, const std::optional<std::vector<std::string>>& value,
                              bool required, size_t max_entries, const std::vector<std::string_view>& values);
  Validator& required(std::string_view member, bool present);

  // ValidationException listing the failures found, or OK.
  Status finish() const;

 private:
  void fail(std::string_view member, std::string value, std::string constraint, bool null = false);
  struct Failure {
    std::string member;
    std::string value;
    std::string constraint;
    bool null = false;
  };
  std::vector<Failure> failures_;
};

bool matches(Pattern pattern, std::string_view text);

// A stream named by StreamName or StreamARN (operations accept either): the name, or
// InvalidArgumentException when neither is given or they name different streams. Call after validation.
Result<std::string> stream_from(const std::optional<std::string>& name,
                                const std::optional<std::string>& arn);

}  // namespace kds::api
