#include "kds/api/request.h"

#include <nlohmann/json.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <unordered_map>

#include "kds/base64.h"
#include "kds/validate.h"

namespace kds::api {

using simdjson::dom::element_type;

// The texts are the Coral (Java) deserializer's, as AWS returns them; kinesalite's tests record them.
namespace {

constexpr std::string_view kBigNumber = "class com.amazon.coral.value.json.numbers.TruncatingBigNumber";

bool is_number(Body value) {
  return value.is_int64() || value.is_uint64() || value.is_double();
}

std::string_view structural_error(Body value) {
  return value.is_array() ? "Start of list found where not expected"
                          : "Start of structure or map found where not expected.";
}

bool is_base64_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
}

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  return c == '+' ? 62 : 63;
}

// The reason padded base64 is refused, or empty when it is canonical: every character of the alphabet,
// padding only at the end, and the bits the padding leaves over zero (so that it encodes back the same).
std::string base64_problem(std::string_view text) {
  if (text.size() % 4 != 0) {
    return fmt::format("Base64 encoded length is expected a multiple of 4 bytes but found: {}", text.size());
  }
  size_t pads = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const bool pad = text[i] == '=';
    if (!pad && !is_base64_char(text[i])) return fmt::format("Invalid Base64 character: '{}'", text[i]);
    if (pad && i + 1 < text.size() && text[i + 1] != '=') {
      return fmt::format("Invalid Base64 character: '{}'", text[i]);
    }
    pads += pad ? 1 : 0;
  }
  constexpr std::string_view kNotCanonical =
      "Invalid last non-pad Base64 character dectected";  // sic, as AWS
  if (pads > 2) return std::string(kNotCanonical);
  if (pads > 0) {
    const int last = base64_value(text[text.size() - pads - 1]);
    const int unused_bits = pads == 1 ? 0x3 : 0xF;
    if ((last & unused_bits) != 0) return std::string(kNotCanonical);
  }
  return {};
}

}  // namespace

bool RequestBody::parse(std::string_view text) {
  auto parsed = parser_.parse(text.data(), text.size());
  if (parsed.error() == simdjson::NUMBER_ERROR) {
    // simdjson takes no integer past 64 bits; nlohmann reads it as a double, which simdjson then takes.
    nlohmann::json wide = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (wide.is_discarded()) return false;
    const std::string narrowed = wide.dump();
    parsed = parser_.parse(narrowed.data(), narrowed.size());
  }
  if (parsed.error()) return false;
  root_ = parsed.value_unsafe();
  return true;
}

JsonReader::JsonReader(Body body) {
  if (body.get_object().get(object_) != simdjson::SUCCESS) {
    status_ = Error(Errc::kSerialization, "The request body is not a JSON object");
  }
}

std::optional<Body> JsonReader::member(std::string_view name) {
  if (!status_.ok()) return std::nullopt;
  std::optional<Body> found;
  for (auto field : object_) {  // the last of duplicate members counts, as with Jackson
    if (field.key == name) found = field.value;
  }
  if (found && found->is_null()) return std::nullopt;
  return found;
}

void JsonReader::type_error(std::string message) {
  status_ = Error(Errc::kSerialization, std::move(message));
}

std::optional<std::string> JsonReader::string_of(Body value) {
  if (value.is_string()) return std::string(value.get_string().value_unsafe());
  if (value.is_bool()) {
    type_error("class java.lang.Boolean can not be converted to an String");
  } else if (is_number(value)) {
    type_error(fmt::format("{} can not be converted to an String", kBigNumber));
  } else {
    type_error(std::string(structural_error(value)));
  }
  return std::nullopt;
}

std::optional<std::string> JsonReader::string(std::string_view name) {
  const auto value = member(name);
  if (!value) return std::nullopt;
  return string_of(*value);
}

std::optional<int64_t> JsonReader::integer(std::string_view name) {
  const auto value = member(name);
  if (!value) return std::nullopt;
  if (is_number(*value)) {
    constexpr double kMax = std::numeric_limits<int32_t>::max();
    constexpr double kMin = std::numeric_limits<int32_t>::min();
    if (value->is_int64()) {
      return std::clamp<int64_t>(value->get_int64().value_unsafe(), static_cast<int64_t>(kMin),
                                 static_cast<int64_t>(kMax));
    }
    if (value->is_uint64()) {
      return static_cast<int64_t>(
          std::min<uint64_t>(value->get_uint64().value_unsafe(), static_cast<uint64_t>(kMax)));
    }
    const double floored = std::floor(value->get_double().value_unsafe());
    return static_cast<int64_t>(std::clamp(floored, kMin, kMax));
  }
  if (value->is_bool()) {
    type_error("class java.lang.Boolean can not be converted to an Integer");
  } else if (value->is_string()) {
    type_error("class java.lang.String can not be converted to an Integer");
  } else {
    type_error(std::string(structural_error(*value)));
  }
  return std::nullopt;
}

std::optional<bool> JsonReader::boolean(std::string_view name) {
  const auto value = member(name);
  if (!value) return std::nullopt;
  if (value->is_bool()) return value->get_bool().value_unsafe();
  if (is_number(*value)) {
    type_error(fmt::format("{} can not be converted to an Boolean", kBigNumber));
  } else if (value->is_string()) {
    std::string upper(value->get_string().value_unsafe());
    std::transform(upper.begin(), upper.end(), upper.begin(),
                   [](char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; });
    type_error(fmt::format("'{}' can not be converted to an Boolean", upper));
  } else {
    type_error(std::string(structural_error(*value)));
  }
  return std::nullopt;
}

std::optional<std::string> JsonReader::blob(std::string_view name) {
  const auto value = member(name);
  if (!value) return std::nullopt;
  if (value->is_string()) {
    const std::string_view text = value->get_string().value_unsafe();
    if (std::string problem = base64_problem(text); !problem.empty()) {
      type_error(fmt::format("'{}' can not be converted to a Blob: {}", text, problem));
      return std::nullopt;
    }
    return base64_decode(text);
  }
  if (value->is_bool()) {
    type_error("class java.lang.Boolean can not be converted to a Blob");
  } else if (is_number(*value)) {
    type_error(fmt::format("{} can not be converted to a Blob", kBigNumber));
  } else {
    type_error(std::string(structural_error(*value)));
  }
  return std::nullopt;
}

std::optional<int64_t> JsonReader::timestamp_ms(std::string_view name) {
  const auto value = member(name);
  if (!value) return std::nullopt;
  if (is_number(*value)) {
    double seconds = 0;
    if (value->is_int64()) {
      seconds = static_cast<double>(value->get_int64().value_unsafe());
    } else if (value->is_uint64()) {
      seconds = static_cast<double>(value->get_uint64().value_unsafe());
    } else {
      seconds = value->get_double().value_unsafe();
    }
    const double ms = std::round(seconds * 1000.0);
    constexpr double kLimit = 9.2e18;  // inside int64_t
    return static_cast<int64_t>(std::clamp(ms, -kLimit, kLimit));
  }
  if (value->is_bool()) {
    type_error("class java.lang.Boolean can not be converted to milliseconds since epoch");
  } else if (value->is_string()) {
    type_error("class java.lang.String can not be converted to milliseconds since epoch");
  } else {
    type_error(std::string(structural_error(*value)));
  }
  return std::nullopt;
}

std::optional<simdjson::dom::array> JsonReader::list(std::string_view name) {
  const auto value = member(name);
  if (!value) return std::nullopt;
  if (value->is_array()) return value->get_array().value_unsafe();
  type_error(value->is_object() ? "Start of structure or map found where not expected."
                                : "Expected list or null");
  return std::nullopt;
}

std::optional<StringMap> JsonReader::string_map(std::string_view name) {
  const auto value = member(name);
  if (!value) return std::nullopt;
  if (!value->is_object()) {
    type_error(value->is_array() ? "Start of list found where not expected" : "Expected map or null");
    return std::nullopt;
  }
  StringMap map;
  std::unordered_map<std::string_view, size_t> index;  // key (in the parsed body) to its entry in `map`
  const simdjson::dom::object object = value->get_object().value_unsafe();
  for (auto field : object) {
    if (field.value.is_null()) continue;
    auto text = string_of(field.value);
    if (!text) return std::nullopt;
    auto [at, added] = index.emplace(field.key, map.size());
    if (added) {
      map.emplace_back(std::string(field.key), std::move(*text));
    } else {
      map[at->second].second = std::move(*text);
    }
  }
  return map;
}

std::optional<std::vector<std::string>> JsonReader::string_list(std::string_view name) {
  auto array = list(name);
  if (!array) return std::nullopt;
  std::vector<std::string> strings;
  for (auto element : *array) {
    if (element.is_null()) continue;
    auto text = string_of(element);
    if (!text) return std::nullopt;
    strings.push_back(std::move(*text));
  }
  return strings;
}

std::optional<Body> JsonReader::structure(std::string_view name) {
  const auto value = member(name);
  if (!value || value->is_object()) return value;
  type_error(value->is_array() ? "Start of list found where not expected" : "Expected null");
  return std::nullopt;
}

namespace {
// arn:aws.*:kinesis:.*:\d{12}:stream/\S+ in one pass (std::regex recurses per character, and a request
// member can be megabytes long): the earliest ":kinesis:" leaves the most room, and then any ":stream/"
// after it with twelve digits and a colon before it and only non-space characters after it will do.
bool matches_stream_arn(std::string_view text) {
  if (!text.starts_with("arn:aws")) return false;
  const size_t kinesis = text.find(":kinesis:", 7);
  if (kinesis == std::string_view::npos) return false;
  const size_t earliest = kinesis + 9 + 13;  // ":kinesis:" ".*" ":" twelve digits
  size_t last_space = std::string_view::npos;
  for (size_t i = 0; i < text.size(); ++i) {
    if (std::isspace(static_cast<unsigned char>(text[i]))) last_space = i;
  }
  for (size_t at = text.find(":stream/", earliest - 1); at != std::string_view::npos;
       at = text.find(":stream/", at + 1)) {
    if (at < earliest || at + 8 >= text.size()) continue;
    if (last_space != std::string_view::npos && last_space >= at + 8) continue;
    const std::string_view digits = text.substr(at - 12, 12);
    if (text[at - 13] == ':' &&
        std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return true;
  }
  return false;
}

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
         c == '-';
}

// For arn:aws.*:kinesis:.*:\d{12}: at the start of `text`: the position after the earliest such prefix
// (which leaves the most room for what follows), or npos.
size_t after_account(std::string_view text) {
  if (!text.starts_with("arn:aws")) return std::string_view::npos;
  const size_t kinesis = text.find(":kinesis:", 7);
  if (kinesis == std::string_view::npos) return std::string_view::npos;
  for (size_t colon = text.find(':', kinesis + 9); colon != std::string_view::npos;
       colon = text.find(':', colon + 1)) {
    if (colon + 13 >= text.size() || text[colon + 13] != ':') continue;
    const std::string_view digits = text.substr(colon + 1, 12);
    if (std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return colon + 14;
  }
  return std::string_view::npos;
}

// arn:aws.*:kinesis:.*:\d{12}:.*stream/\S+: some "stream/" after the account, followed by one or more
// characters none of which is white space.
bool matches_resource_arn(std::string_view text) {
  const size_t start = after_account(text);
  if (start == std::string_view::npos) return false;
  size_t first_allowed = start;  // a "stream/" before the last space has a space after it
  for (size_t i = start; i < text.size(); ++i) {
    if (std::isspace(static_cast<unsigned char>(text[i]))) first_allowed = i + 1;
  }
  for (size_t at = text.find("stream/", start); at != std::string_view::npos;
       at = text.find("stream/", at + 1)) {
    if (at + 7 < text.size() && at + 7 >= first_allowed) return true;
  }
  return false;
}

// ...:\d{12}:.*stream/NAME/consumer/NAME:DIGITS, read from the end: names hold no '/' or ':', so the
// tail can be taken apart only one way.
bool matches_consumer_arn(std::string_view text) {
  size_t end = text.size();
  size_t digits = end;
  while (digits > 0 && text[digits - 1] >= '0' && text[digits - 1] <= '9')
    --digits;
  if (digits == end || digits == 0 || text[digits - 1] != ':') return false;
  size_t name = digits - 1;
  while (name > 0 && is_name_char(text[name - 1]))
    --name;
  constexpr std::string_view kConsumer = "/consumer/";
  if (name == digits - 1 || name < kConsumer.size() ||
      text.substr(name - kConsumer.size(), kConsumer.size()) != kConsumer)
    return false;
  end = name - kConsumer.size();
  size_t stream = end;
  while (stream > 0 && is_name_char(text[stream - 1]))
    --stream;
  constexpr std::string_view kStream = "stream/";
  if (stream == end || stream < kStream.size() ||
      text.substr(stream - kStream.size(), kStream.size()) != kStream)
    return false;
  const size_t start = after_account(text);
  return start != std::string_view::npos && start <= stream - kStream.size();
}
}  // namespace

bool matches(Pattern pattern, std::string_view text) {
  auto digits = [](std::string_view s, size_t max_digits) {
    if (s == "0") return true;
    return !s.empty() && s.size() <= max_digits + 1 && s[0] >= '1' && s[0] <= '9' &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  switch (pattern) {
    case Pattern::kNone:
      return true;
    case Pattern::kName:
      return !text.empty() && std::all_of(text.begin(), text.end(), is_name_char);
    case Pattern::kHashKey:
      return digits(text, 38);
    case Pattern::kSequenceNumber:
      return digits(text, 128);
    case Pattern::kStreamArn:
      return matches_stream_arn(text);
    case Pattern::kResourceArn:
      return matches_resource_arn(text);
    case Pattern::kConsumerArn:
      return matches_consumer_arn(text);
  }
  return false;
}

namespace {
std::string_view pattern_text(Pattern pattern) {
  switch (pattern) {
    case Pattern::kNone:
      return "";
    case Pattern::kName:
      return "[a-zA-Z0-9_.-]+";
    case Pattern::kHashKey:
      return "0|([1-9]\\d{0,38})";
    case Pattern::kSequenceNumber:
      return "0|([1-9]\\d{0,128})";
    case Pattern::kStreamArn:
      return "arn:aws.*:kinesis:.*:\\d{12}:stream/\\S+";
    case Pattern::kResourceArn:
      return "arn:aws.*:kinesis:.*:\\d{12}:.*stream/\\S+";
    case Pattern::kConsumerArn:
      return "^(arn):aws.*:kinesis:.*:\\d{12}:.*stream\\/[a-zA-Z0-9_.-]+\\/consumer\\/[a-zA-Z0-9_.-]+:[0-9]+";
  }
  return "";
}
}  // namespace

void Validator::fail(std::string_view member, std::string value, std::string constraint, bool null) {
  if (failures_.size() < kMaxViolationsListed) {
    failures_.push_back({std::string(member), std::move(value), std::move(constraint), null});
  }
}

Validator& Validator::required(std::string_view member, bool present) {
  if (!present) fail(member, {}, "Member must not be null", true);
  return *this;
}

Validator& Validator::list_length(std::string_view member, size_t count, size_t min, size_t max) {
  const std::string shown = fmt::format("[{} entries]", count);
  if (count < min)
    fail(member, shown, fmt::format("Member must have length greater than or equal to {}", min));
  if (count > max) fail(member, shown, fmt::format("Member must have length less than or equal to {}", max));
  return *this;
}

namespace {
// Java's rendering of a Map and of a List, as Kinesis shows them in a ValidationException.
std::string map_text(const StringMap& map) {
  std::string text = "{";
  for (const auto& [key, value] : map)
    text += fmt::format("{}{}={}", text.size() > 1 ? ", " : "", key, value);
  return text + "}";
}

std::string list_text(const std::vector<std::string>& list) {
  return fmt::format("[{}]", fmt::join(list, ", "));
}

bool length_between(std::string_view text, size_t min, size_t max) {
  const int64_t length = std::max<int64_t>(utf8_length(text), 0);
  return length >= static_cast<int64_t>(min) && length <= static_cast<int64_t>(max);
}

std::string lengths_constraint(size_t min, size_t max) {
  return fmt::format(
      "[Member must have length less than or equal to {}, Member must have length greater than or equal to "
      "{}]",
      max, min);
}
}  // namespace

Validator& Validator::string_map(std::string_view member, const std::optional<StringMap>& value,
                                 bool is_required, size_t max_entries, size_t max_key_length,
                                 size_t max_value_length) {
  if (!value) return is_required ? required(member, false) : *this;
  const std::string shown = map_text(*value);
  if (value->empty()) fail(member, shown, "Member must have length greater than or equal to 1");
  if (value->size() > max_entries)
    fail(member, shown, fmt::format("Member must have length less than or equal to {}", max_entries));
  if (!std::all_of(value->begin(), value->end(),
                   [&](const auto& entry) { return length_between(entry.first, 1, max_key_length); })) {
    fail(member, shown, "Map keys must satisfy constraint: " + lengths_constraint(1, max_key_length));
  }
  if (!std::all_of(value->begin(), value->end(),
                   [&](const auto& entry) { return length_between(entry.second, 0, max_value_length); })) {
    fail(member, shown, "Map value must satisfy constraint: " + lengths_constraint(0, max_value_length));
  }
  return *this;
}

Validator& Validator::string_list(std::string_view member,
                                  const std::optional<std::vector<std::string>>& value, bool is_required,
                                  size_t max_entries, size_t max_length) {
  if (!value) return is_required ? required(member, false) : *this;
  const std::string shown = list_text(*value);
  if (value->empty()) fail(member, shown, "Member must have length greater than or equal to 1");
  if (value->size() > max_entries)
    fail(member, shown, fmt::format("Member must have length less than or equal to {}", max_entries));
  if (!std::all_of(value->begin(), value->end(),
                   [&](const std::string& entry) { return length_between(entry, 1, max_length); })) {
    fail(member, shown, "Member must satisfy constraint: " + lengths_constraint(1, max_length));
  }
  return *this;
}

Validator& Validator::enumeration_list(std::string_view member,
                                       const std::optional<std::vector<std::string>>& value, bool is_required,
                                       size_t max_entries, const std::vector<std::string_view>& values) {
  if (!value) return is_required ? required(member, false) : *this;
  const std::string shown = list_text(*value);
  if (value->empty()) fail(member, shown, "Member must have length greater than or equal to 1");
  if (value->size() > max_entries)
    fail(member, shown, fmt::format("Member must have length less than or equal to {}", max_entries));
  if (!std::all_of(value->begin(), value->end(), [&](const std::string& entry) {
        return std::find(values.begin(), values.end(), entry) != values.end();
      })) {
    fail(member, shown,
         fmt::format("Member must satisfy constraint: [Member must satisfy enum value set: [{}]]",
                     fmt::join(values, ", ")));
  }
  return *this;
}

Validator& Validator::string(std::string_view member, const std::optional<std::string>& value,
                             bool is_required, Pattern pattern, size_t min_length, size_t max_length) {
  if (!value) return is_required ? required(member, false) : *this;
  if (!matches(pattern, *value)) {
    fail(member, *value,
         fmt::format("Member must satisfy regular expression pattern: {}", pattern_text(pattern)));
  }
  const int64_t length = std::max<int64_t>(utf8_length(*value), 0);
  if (min_length > 0 && length < static_cast<int64_t>(min_length)) {
    fail(member, *value, fmt::format("Member must have length greater than or equal to {}", min_length));
  }
  if (max_length > 0 && length > static_cast<int64_t>(max_length)) {
    fail(member, *value, fmt::format("Member must have length less than or equal to {}", max_length));
  }
  return *this;
}

Validator& Validator::name(std::string_view member, const std::optional<std::string>& value,
                           bool is_required) {
  return string(member, value, is_required, Pattern::kName, 1, kMaxStreamNameLength);
}

Validator& Validator::integer(std::string_view member, const std::optional<int64_t>& value, bool is_required,
                              int64_t min, int64_t max) {
  if (!value) return is_required ? required(member, false) : *this;
  if (*value < min) {
    fail(member, std::to_string(*value),
         fmt::format("Member must have value greater than or equal to {}", min));
  }
  if (*value > max) {
    fail(member, std::to_string(*value), fmt::format("Member must have value less than or equal to {}", max));
  }
  return *this;
}

Validator& Validator::enumeration(std::string_view member, const std::optional<std::string>& value,
                                  bool is_required, const std::vector<std::string_view>& values) {
  if (!value) return is_required ? required(member, false) : *this;
  if (std::find(values.begin(), values.end(), *value) == values.end()) {
    fail(member, *value, fmt::format("Member must satisfy enum value set: [{}]", fmt::join(values, ", ")));
  }
  return *this;
}

Validator& Validator::blob(std::string_view member, const std::optional<std::string>& value, bool is_required,
                           size_t max_length) {
  if (!value) return is_required ? required(member, false) : *this;
  if (value->size() > max_length) {
    fail(member, fmt::format("java.nio.HeapByteBuffer[pos=0 lim={0} cap={0}]", value->size()),
         fmt::format("Member must have length less than or equal to {}", max_length));
  }
  return *this;
}

Status Validator::finish() const {
  if (failures_.empty()) return {};
  std::vector<Violation> violations;
  for (const Failure& f : failures_)
    violations.push_back({f.value, f.member, f.constraint, f.null});
  return validation_error(violations.data(), violations.size());
}

Result<std::string> stream_from(const std::optional<std::string>& name,
                                const std::optional<std::string>& arn) {
  if (!name && !arn) {
    return Error(Errc::kInvalidArgument, "Stream arn and stream name can't be empty at the same time");
  }
  if (!arn) return *name;
  const size_t at = arn->find(":stream/");
  const std::string from_arn = arn->substr(at + 8);
  if (name && *name != from_arn) {
    return Error(Errc::kInvalidArgument,
                 fmt::format("StreamARN {} and StreamName {} name different streams", *arn, *name));
  }
  return from_arn;
}

}  // namespace kds::api
