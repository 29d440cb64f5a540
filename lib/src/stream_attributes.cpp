#include "kds/stream_attributes.h"

#include <fmt/format.h>

#include <cstdint>
#include <nlohmann/json.hpp>

#include "kds/store.h"

namespace kds {

using nlohmann::ordered_json;

namespace {

constexpr int kAttributesFormatVersion = 1;

Error bad_attributes(std::string_view path, std::string_view what) {
  return Error(Errc::kCorruption, fmt::format("{}: {}", path, what));
}

ordered_json tags_json(const Tags& tags) {
  ordered_json object = ordered_json::object();
  for (const auto& [key, value] : tags)
    object[key] = value;
  return object;
}

// Throws std::invalid_argument (reported as damage of the file) unless `value` is an object of strings.
Tags tags_of(const ordered_json& value) {
  if (!value.is_object()) throw std::invalid_argument("Tags is not an object");
  Tags tags;
  for (const auto& [key, text] : value.items()) {
    if (key.empty() || !text.is_string()) throw std::invalid_argument("a tag is not a key and a string");
    tags.emplace(key, text.get<std::string>());
  }
  return tags;
}

// An optional string member: empty when absent; std::exception (damage) when not a string.
std::string optional_string(const ordered_json& object, const char* key) {
  return object.contains(key) ? object.at(key).get<std::string>() : std::string();
}

}  // namespace

const ConsumerEntry* StreamAttributes::find_consumer(std::string_view name) const {
  for (const auto& consumer : consumers) {
    if (consumer.name == name) return &consumer;
  }
  return nullptr;
}

std::string StreamAttributes::to_json() const {
  ordered_json doc;
  doc["FormatVersion"] = kAttributesFormatVersion;
  doc["Tags"] = tags_json(tags);
  if (!policy.empty()) doc["Policy"] = policy;
  if (!shard_level_metrics.empty()) doc["ShardLevelMetrics"] = shard_level_metrics;
  doc["Consumers"] = ordered_json::array();
  for (const auto& consumer : consumers) {
    ordered_json item = {{"ConsumerName", consumer.name},
                         {"CreatedMs", consumer.created_ms},
                         {"Tags", tags_json(consumer.tags)}};
    if (!consumer.policy.empty()) item["Policy"] = consumer.policy;
    doc["Consumers"].push_back(std::move(item));
  }
  return doc.dump(1) + "\n";
}

Result<StreamAttributes> StreamAttributes::from_json(std::string_view text, std::string_view path) {
  StreamAttributes attributes;
  try {
    const auto doc = ordered_json::parse(text);
    const auto& version = doc.at("FormatVersion");
    if (!version.is_number_integer() || version.get<int64_t>() != kAttributesFormatVersion) {
      return bad_attributes(
          path, fmt::format("format version {} is not supported (this kds reads version {})", version.dump(),
                            kAttributesFormatVersion));
    }
    attributes.tags = tags_of(doc.at("Tags"));
    attributes.policy = optional_string(doc, "Policy");
    if (doc.contains("ShardLevelMetrics")) {
      if (!doc.at("ShardLevelMetrics").is_array())
        throw std::invalid_argument("ShardLevelMetrics is not an array");
      for (const auto& metric : doc.at("ShardLevelMetrics"))
        attributes.shard_level_metrics.push_back(metric.get<std::string>());
    }
    if (!doc.at("Consumers").is_array()) throw std::invalid_argument("Consumers is not an array");
    for (const auto& item : doc.at("Consumers")) {
      ConsumerEntry consumer;
      consumer.name = item.at("ConsumerName").get<std::string>();
      const auto& created = item.at("CreatedMs");
      if (!created.is_number_integer() ||
          (created.is_number_unsigned() && created.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX))) {
        throw std::invalid_argument("CreatedMs is not an integer of 64 bits");
      }
      consumer.created_ms = created.get<int64_t>();
      consumer.tags = tags_of(item.at("Tags"));
      consumer.policy = optional_string(item, "Policy");
      if (consumer.name.empty() || attributes.find_consumer(consumer.name) != nullptr)
        throw std::invalid_argument("a consumer name is empty or given twice");
      attributes.consumers.push_back(std::move(consumer));
    }
  } catch (const std::exception& e) {
    return bad_attributes(path, fmt::format("not valid stream attributes: {}", e.what()));
  }
  return attributes;
}

Result<StreamAttributes> read_attributes(const Stream& stream) {
  KDS_ASSIGN(auto text, stream.dir().read_file_if_present(kStreamAttributesName));
  if (!text) return StreamAttributes{};
  return StreamAttributes::from_json(*text, stream.dir().path_of(kStreamAttributesName));
}

Status change_attributes(Stream& stream, const std::function<Status(StreamAttributes&)>& change) {
  KDS_ASSIGN(Fd control, stream.lock_control());
  KDS_TRY(stream.check_exists());
  KDS_ASSIGN(StreamAttributes attributes, read_attributes(stream));
  const std::string before = attributes.to_json();
  KDS_TRY(change(attributes));
  const std::string after = attributes.to_json();
  // A change that changed nothing (removing a tag the stream lacks) leaves the file, or its absence, alone.
  if (after == before) return {};
  return stream.dir().write_file_atomic(kStreamAttributesName, after);
}

}  // namespace kds
