#include "kds/metadata.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <nlohmann/json.hpp>

#include "kds/compression.h"
#include "kds/validate.h"

namespace kds {

using nlohmann::ordered_json;

std::optional<u128> ShardMeta::ending_sequence_number() const {
  if (!end_offset) return std::nullopt;
  return make_sequence_number(index, *end_offset == 0 ? 0 : *end_offset - 1);
}

const ShardMeta* StreamMeta::find_shard(uint32_t index) const {
  auto it = std::lower_bound(shards.begin(), shards.end(), index,
                             [](const ShardMeta& shard, uint32_t value) { return shard.index < value; });
  return it != shards.end() && it->index == index ? &*it : nullptr;
}

std::vector<const ShardMeta*> StreamMeta::open_shards() const {
  std::vector<const ShardMeta*> open;
  for (const auto& shard : shards) {
    if (shard.is_open()) open.push_back(&shard);
  }
  std::sort(open.begin(), open.end(),
            [](const ShardMeta* a, const ShardMeta* b) { return a->range.start < b->range.start; });
  return open;
}

int64_t StreamMeta::expiry_boundary_ms(int64_t now_ms) const {
  return std::max(trim_before_ms, now_ms - retention_hours * 3600 * 1000);
}

bool StreamMeta::shard_expired(const ShardMeta& shard, int64_t now_ms) const {
  if (shard.is_open()) return false;
  const auto last = shard.last_arrival_ms ? shard.last_arrival_ms : shard.closed_ms;
  return last && *last < expiry_boundary_ms(now_ms);
}

std::string StreamMeta::to_json() const {
  ordered_json doc;
  doc["FormatVersion"] = format_version;
  doc["StreamName"] = name;
  doc["StreamStatus"] = status;
  doc["StreamCreationTimestampMs"] = created_ms;
  doc["RetentionPeriodHours"] = retention_hours;
  doc["TrimBeforeMs"] = trim_before_ms;
  doc["MaxShardBytes"] = max_shard_bytes;
  doc["SegmentBytes"] = segment_bytes;
  doc["SegmentMaxAgeMs"] = segment_max_age_ms;
  doc["Compression"] = compression_text(compression_level);
  doc["EncryptionType"] = encryption_type;
  if (!key_fingerprint.empty()) doc["KeyFingerprint"] = key_fingerprint;
  if (!key_fingerprints.empty()) doc["KeyFingerprints"] = key_fingerprints;
  if (max_record_kib != kDefaultMaxRecordKiB) doc["MaxRecordSizeInKiB"] = max_record_kib;
  doc["NextShardIndex"] = next_shard_index;
  ordered_json list = ordered_json::array();
  for (const auto& shard : shards) {
    ordered_json item;
    item["ShardId"] = shard.id();
    if (shard.parent) item["ParentShardId"] = shard_id_string(*shard.parent);
    if (shard.adjacent_parent) item["AdjacentParentShardId"] = shard_id_string(*shard.adjacent_parent);
    item["StartingHashKey"] = to_decimal(shard.range.start);
    item["EndingHashKey"] = to_decimal(shard.range.end);
    item["CreatedMs"] = shard.created_ms;
    if (shard.closed_ms) item["ClosedMs"] = *shard.closed_ms;
    if (shard.end_offset) item["EndOffset"] = *shard.end_offset;
    if (shard.last_arrival_ms) item["LastArrivalMs"] = *shard.last_arrival_ms;
    list.push_back(std::move(item));
  }
  doc["Shards"] = std::move(list);
  return doc.dump(1) + "\n";
}

namespace {

Error bad_meta(std::string_view path, std::string_view what) {
  return Error(Errc::kCorruption, fmt::format("{}: {}", path, what));
}

std::optional<uint32_t> shard_field(const ordered_json& item, const char* key) {
  if (!item.contains(key)) return std::nullopt;
  const auto& value = item.at(key);
  if (!value.is_string()) throw std::invalid_argument(fmt::format("{} is not a string", key));
  auto index = parse_shard_id(value.get<std::string>());
  if (!index || value.get<std::string>() != shard_id_string(*index)) {
    throw std::invalid_argument(fmt::format("{} is not a shard id", key));
  }
  return index;
}

// nlohmann's get<T>() casts a float or an out-of-range integer without complaint (undefined behaviour for
// a float past T's range), so every integer field goes through this check first.
template <typename T>
T integer_value(const ordered_json& value, const char* key) {
  bool fits = false;
  if (value.is_number_unsigned()) {
    fits = value.get<uint64_t>() <= static_cast<uint64_t>(std::numeric_limits<T>::max());
  } else if (value.is_number_integer()) {
    const auto signed_value = value.get<int64_t>();
    fits = signed_value >= static_cast<int64_t>(std::numeric_limits<T>::min()) &&
           (signed_value < 0 || static_cast<uint64_t>(signed_value) <= std::numeric_limits<T>::max());
  } else {
    throw std::invalid_argument(fmt::format("{} is not an integer", key));
  }
  if (!fits) throw std::invalid_argument(fmt::format("{} is out of range", key));
  return value.get<T>();
}

template <typename T>
T integer_field(const ordered_json& object, const char* key) {
  return integer_value<T>(object.at(key), key);
}

template <typename T>
std::optional<T> optional_integer_field(const ordered_json& object, const char* key) {
  if (!object.contains(key)) return std::nullopt;
  return integer_value<T>(object.at(key), key);
}

u128 hash_field(const ordered_json& item, const char* key) {
  auto value = parse_decimal_u128(item.at(key).get<std::string>());
  if (!value) throw std::invalid_argument(fmt::format("{} is not a hash key", key));
  return *value;
}

// Open shards must cover the hash-key space exactly once; lineage must name existing, older shards.
std::optional<std::string> check_shards(const StreamMeta& meta) {
  for (size_t i = 0; i < meta.shards.size(); ++i) {
    const auto& shard = meta.shards[i];
    if (i > 0 && shard.index <= meta.shards[i - 1].index) return "shards are not in ascending index order";
    if (shard.index >= meta.next_shard_index) return "a shard index is not below NextShardIndex";
    if (shard.range.start > shard.range.end) return fmt::format("{} has an empty hash-key range", shard.id());
    for (auto parent : {shard.parent, shard.adjacent_parent}) {
      if (parent && *parent >= shard.index)
        return fmt::format("{} names a parent that is not older", shard.id());
    }
  }
  const auto open = meta.open_shards();
  if (open.empty()) return "no open shard";
  u128 expected = 0;
  for (size_t i = 0; i < open.size(); ++i) {
    if (open[i]->range.start != expected) return "open shards do not cover the hash-key space exactly once";
    if (i + 1 < open.size()) {
      if (open[i]->range.end == kMaxHashKey) return "open shards overlap";
      expected = open[i]->range.end + 1;
    } else if (open[i]->range.end != kMaxHashKey) {
      return "open shards do not reach the end of the hash-key space";
    }
  }
  return std::nullopt;
}

}  // namespace

Result<StreamMeta> StreamMeta::from_json(std::string_view text, std::string_view path) {
  StreamMeta meta;
  try {
    const auto doc = ordered_json::parse(text);
    meta.format_version = integer_field<int>(doc, "FormatVersion");
    if (meta.format_version != kStreamFormatVersion) {
      return bad_meta(path, fmt::format("format version {} is not supported (this kds reads version {})",
                                        meta.format_version, kStreamFormatVersion));
    }
    meta.name = doc.at("StreamName").get<std::string>();
    meta.status = doc.at("StreamStatus").get<std::string>();
    meta.created_ms = integer_field<int64_t>(doc, "StreamCreationTimestampMs");
    meta.retention_hours = integer_field<int64_t>(doc, "RetentionPeriodHours");
    meta.trim_before_ms = optional_integer_field<int64_t>(doc, "TrimBeforeMs").value_or(0);
    meta.max_shard_bytes = optional_integer_field<uint64_t>(doc, "MaxShardBytes").value_or(0);
    meta.segment_bytes = integer_field<uint64_t>(doc, "SegmentBytes");
    meta.segment_max_age_ms = integer_field<int64_t>(doc, "SegmentMaxAgeMs");
    const std::string compression = doc.value("Compression", std::string("none"));
    const auto level = parse_compression(compression);
    if (!level) return bad_meta(path, fmt::format("unknown Compression '{}'", compression));
    meta.compression_level = *level;
    meta.encryption_type = doc.value("EncryptionType", std::string("NONE"));
    meta.key_fingerprint = doc.value("KeyFingerprint", std::string());
    meta.key_fingerprints = doc.value("KeyFingerprints", std::vector<std::string>());
    meta.max_record_kib =
        optional_integer_field<int64_t>(doc, "MaxRecordSizeInKiB").value_or(kDefaultMaxRecordKiB);
    meta.next_shard_index = integer_field<uint32_t>(doc, "NextShardIndex");
    for (const auto& item : doc.at("Shards")) {
      ShardMeta shard;
      const auto index = shard_field(item, "ShardId");
      if (!index) throw std::invalid_argument("a shard has no ShardId");
      shard.index = *index;
      shard.parent = shard_field(item, "ParentShardId");
      shard.adjacent_parent = shard_field(item, "AdjacentParentShardId");
      shard.range = {hash_field(item, "StartingHashKey"), hash_field(item, "EndingHashKey")};
      shard.created_ms = integer_field<int64_t>(item, "CreatedMs");
      shard.closed_ms = optional_integer_field<int64_t>(item, "ClosedMs");
      shard.end_offset = optional_integer_field<uint64_t>(item, "EndOffset");
      shard.last_arrival_ms = optional_integer_field<int64_t>(item, "LastArrivalMs");
      meta.shards.push_back(std::move(shard));
    }
  } catch (const std::exception& e) {
    return bad_meta(path, fmt::format("not valid stream metadata: {}", e.what()));
  }
  if (!validate_retention_hours(meta.retention_hours).ok())
    return bad_meta(path, "RetentionPeriodHours out of range");
  if (!validate_max_record_kib(meta.max_record_kib).ok())
    return bad_meta(path, "MaxRecordSizeInKiB out of range");
  if (meta.segment_bytes < kMinSegmentBytes || meta.segment_bytes > kMaxSegmentBytes ||
      meta.segment_max_age_ms <= 0) {
    return bad_meta(path, "segment settings out of range");
  }
  const bool encrypted = meta.encryption_type == "KMS";
  if ((!encrypted && meta.encryption_type != "NONE") || encrypted != !meta.key_fingerprint.empty() ||
      (encrypted && std::find(meta.key_fingerprints.begin(), meta.key_fingerprints.end(),
                              meta.key_fingerprint) == meta.key_fingerprints.end())) {
    return bad_meta(path, "inconsistent encryption settings");
  }
  if (auto problem = check_shards(meta)) return bad_meta(path, *problem);
  return meta;
}

}  // namespace kds
