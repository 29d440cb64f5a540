#include "kds/api/shapes.h"

#include <fmt/format.h>

#include "kds/base64.h"
#include "kds/shard_id.h"
#include "kds/timestamp.h"

namespace kds::api {

using nlohmann::ordered_json;

double epoch_seconds(int64_t ms) {
  return static_cast<double>(ms) / 1000.0;
}

namespace {
ordered_json range_json(const HashKeyRange& range) {
  return {{"StartingHashKey", to_decimal(range.start)}, {"EndingHashKey", to_decimal(range.end)}};
}
}  // namespace

ordered_json shard_json(const ShardMeta& shard) {
  ordered_json item;
  item["ShardId"] = shard.id();
  if (shard.parent) item["ParentShardId"] = shard_id_string(*shard.parent);
  if (shard.adjacent_parent) item["AdjacentParentShardId"] = shard_id_string(*shard.adjacent_parent);
  item["HashKeyRange"] = range_json(shard.range);
  ordered_json sequence;
  sequence["StartingSequenceNumber"] = to_decimal(shard.starting_sequence_number());
  if (auto ending = shard.ending_sequence_number()) sequence["EndingSequenceNumber"] = to_decimal(*ending);
  item["SequenceNumberRange"] = std::move(sequence);
  return item;
}

ordered_json child_shard_json(const ShardMeta& shard) {
  ordered_json item;
  item["ShardId"] = shard.id();
  ordered_json parents = ordered_json::array();
  if (shard.parent) parents.push_back(shard_id_string(*shard.parent));
  if (shard.adjacent_parent) parents.push_back(shard_id_string(*shard.adjacent_parent));
  item["ParentShards"] = std::move(parents);
  item["HashKeyRange"] = range_json(shard.range);
  return item;
}

void append_json_escaped(std::string_view text, std::string* out) {
  // Runs of characters that need no escape are appended whole: keys and names rarely have any.
  auto needs_escape = [](char c) { return c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20; };
  size_t start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (!needs_escape(c)) continue;
    out->append(text.data() + start, i - start);
    start = i + 1;
    switch (c) {
      case '"':
        *out += "\\\"";
        break;
      case '\\':
        *out += "\\\\";
        break;
      case '\n':
        *out += "\\n";
        break;
      case '\r':
        *out += "\\r";
        break;
      case '\t':
        *out += "\\t";
        break;
      default:
        *out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
    }
  }
  out->append(text.data() + start, text.size() - start);
}

void append_record_json(const RecordShape& record, bool with_shard_id, std::string* out) {
  append_record_json(to_decimal(make_sequence_number(record.shard_index, record.offset)), record.arrival_ms,
                     record.key, record.data, record.encrypted,
                     with_shard_id ? shard_id_string(record.shard_index) : std::string(), out);
}

void append_record_json(std::string_view sequence_number, int64_t arrival_ms, std::string_view key,
                        std::string_view data, bool encrypted, std::string_view shard_id, std::string* out) {
  *out += "{\"SequenceNumber\": \"";
  append_json_escaped(sequence_number, out);
  *out += "\", \"ApproximateArrivalTimestamp\": ";
  *out += format_epoch_seconds(arrival_ms);
  *out += ", \"Data\": \"";
  base64_encode(data, out);
  *out += "\", \"PartitionKey\": \"";
  append_json_escaped(key, out);
  *out += encrypted ? "\", \"EncryptionType\": \"KMS\"" : "\", \"EncryptionType\": \"NONE\"";
  if (!shard_id.empty()) {
    *out += ", \"ShardId\": \"";
    append_json_escaped(shard_id, out);
    *out += '"';
  }
  *out += '}';
}

std::string put_record_json(uint32_t shard_index, uint64_t offset, bool encrypted) {
  return put_record_json(shard_id_string(shard_index), to_decimal(make_sequence_number(shard_index, offset)),
                         encrypted);
}

std::string put_record_json(std::string_view shard_id, std::string_view sequence_number, bool encrypted) {
  std::string json = R"({"ShardId": ")";
  append_json_escaped(shard_id, &json);  // escaped: in remote mode an endpoint wrote it
  json += R"(", "SequenceNumber": ")";
  append_json_escaped(sequence_number, &json);
  json += encrypted ? R"(", "EncryptionType": "KMS"})" : R"(", "EncryptionType": "NONE"})";
  return json;
}

}  // namespace kds::api
