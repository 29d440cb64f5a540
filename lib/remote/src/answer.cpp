// Reading large answers with simdjson (answer.h).
#include "answer.h"

#include <cmath>

#include <fmt/format.h>

#include "kds/base64.h"

namespace kds::remote {

Result<JsonElement> parse_answer(simdjson::dom::parser& parser, const std::string& text, const Client& client,
                                 std::string_view operation) {
  const std::string_view json = text.empty() ? std::string_view("{}") : std::string_view(text);
  JsonElement element;
  // simdjson reads past the end of its input: it parses a padded copy (its strings are copied out).
  if (parser.parse(json.data(), json.size(), true).get(element) != simdjson::SUCCESS)
    return client.not_json(operation);
  return element;
}

std::string_view text_of(JsonElement object, std::string_view name) {
  std::string_view text;
  if (object[name].get(text) != simdjson::SUCCESS) return {};
  return text;
}

simdjson::dom::array array_of(JsonElement object, std::string_view name) {
  simdjson::dom::array array;
  if (object[name].get(array) == simdjson::SUCCESS) return array;
  // A default dom::array has no document behind it (iterating it crashes): an empty one is parsed once,
  // and only ever read.
  static simdjson::dom::parser* const empty_parser = new simdjson::dom::parser;
  static const simdjson::dom::array empty = empty_parser->parse(std::string_view("[]")).get_array().value();
  return empty;
}

std::optional<std::vector<ChildShard>> child_shards(JsonElement answer) {
  simdjson::dom::array children;
  if (answer["ChildShards"].get(children) != simdjson::SUCCESS) return std::nullopt;
  std::vector<ChildShard> found;
  for (JsonElement child : children) {
    ChildShard& shard = found.emplace_back(ChildShard{std::string(text_of(child, "ShardId")), {}});
    for (JsonElement parent : array_of(child, "ParentShards")) {
      std::string_view id;
      if (parent.get(id) == simdjson::SUCCESS) shard.parents.emplace_back(id);
    }
    if (shard.id.empty()) found.pop_back();
  }
  return found;
}

Status decode_record(JsonElement entry, const std::string& shard_id, RemoteRecord* record) {
  record->shard_id = shard_id;
  record->sequence_number = text_of(entry, "SequenceNumber");
  record->key = text_of(entry, "PartitionKey");
  record->encrypted = text_of(entry, "EncryptionType") == "KMS";
  record->arrival_ms = 0;
  // Seconds with a fraction, as JSON 1.1 writes timestamps; an integer from some endpoints.
  double arrival = 0;
  if (entry["ApproximateArrivalTimestamp"].get(arrival) == simdjson::SUCCESS)
    record->arrival_ms = std::llround(arrival * 1000);
  if (!base64_decode(text_of(entry, "Data"), &record->data) || record->sequence_number.empty())
    return Error(Errc::kUnavailable,
                 fmt::format("a record of {} came without a sequence number or base64 data", shard_id));
  return {};
}

}  // namespace kds::remote
