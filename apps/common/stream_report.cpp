#include "stream_report.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "kds/api/operations.h"
#include "kds/api/shapes.h"
#include "kds/clock.h"
#include "kds/compression.h"
#include "kds/consumer.h"
#include "kds/errors.h"
#include "kds/remote/streams.h"
#include "kds/shard_summary.h"
#include "kds/store.h"
#include "kds/timestamp.h"

namespace kds::cli {

using nlohmann::ordered_json;

namespace {

// Per-shard statistics, the local answer to CloudWatch's shard metrics: beside StreamDescription, so
// that object keeps exactly the AWS shape.
Result<ordered_json> statistics_json(const Stream& stream) {
  const StreamMeta& meta = stream.meta();
  const int64_t now = now_ms();
  ordered_json list = ordered_json::array();
  for (const auto& shard : meta.shards) {
    if (meta.shard_expired(shard, now)) continue;
    KDS_ASSIGN(Dir dir, stream.open_shard_dir(shard.index));
    KDS_ASSIGN(ShardSummary summary, summarize_shard(dir, meta.expiry_boundary_ms(now)));
    ordered_json item;
    item["ShardId"] = shard.id();
    item["State"] = shard.is_open() ? "OPEN" : "CLOSED";
    item["Records"] = summary.records();
    item["BytesOnDisk"] = summary.bytes_on_disk;
    item["Segments"] = summary.segments;
    item["OldestArrivalTimestamp"] = summary.oldest_arrival_ms
                                         ? ordered_json(api::epoch_seconds(*summary.oldest_arrival_ms))
                                         : ordered_json(nullptr);
    item["NewestArrivalTimestamp"] = summary.newest_arrival_ms
                                         ? ordered_json(api::epoch_seconds(*summary.newest_arrival_ms))
                                         : ordered_json(nullptr);
    list.push_back(std::move(item));
  }
  return list;
}

}  // namespace

Result<std::string> describe_json(const Store& store, const Stream& stream) {
  api::Context context;
  context.store = &store;
  api::DescribeStreamRequest request;
  request.stream.name = stream.name();
  ordered_json doc;
  ordered_json shards = ordered_json::array();
  for (;;) {
    KDS_ASSIGN(api::DescribeStreamResponse page, api::describe_stream(context, request));
    for (const auto& shard : page.shards)
      shards.push_back(api::shard_json(shard));
    if (page.shards.empty() || !page.has_more_shards) {
      doc = page.to_json();
      break;
    }
    request.exclusive_start_shard_id = page.shards.back().id();
  }
  doc["StreamDescription"]["Shards"] = std::move(shards);
  doc["StreamDescription"]["HasMoreShards"] = false;
  KDS_ASSIGN(doc["ShardStatistics"], statistics_json(stream));
  KDS_ASSIGN(auto apps, summarize_apps(stream));
  if (!apps.empty()) {
    ordered_json list = ordered_json::array();
    for (const auto& app : apps) {
      list.push_back({{"AppName", app.app},
                      {"Workers", app.workers},
                      {"LagRecords", app.lag.records},
                      {"LagMillis", app.lag.ms}});
    }
    doc["Applications"] = std::move(list);
  }
  return doc.dump(4) + "\n";
}

namespace {

// The table of hash-key ranges and sequence numbers, alike for a store's streams and an endpoint's.
const std::string kRangesHeading = fmt::format("\n{:<22}{:<41}{:<41}{}\n", "SHARD", "STARTING HASH KEY",
                                               "ENDING HASH KEY", "SEQUENCE NUMBERS");
std::string ranges_row(std::string_view id, std::string_view start, std::string_view end,
                       std::string_view first_sequence, std::string_view last_sequence) {
  return fmt::format("{:<22}{:<41}{:<41}{}..{}\n", id, start, end, first_sequence, last_sequence);
}

std::string settings_line(std::string_view label, std::string_view value) {
  return fmt::format("{:<14}{}\n", label, value);
}

std::string size_text(uint64_t bytes) {
  if (bytes % (1ull << 30) == 0 && bytes > 0) return fmt::format("{} GiB", bytes >> 30);
  if (bytes % (1ull << 20) == 0 && bytes > 0) return fmt::format("{} MiB", bytes >> 20);
  if (bytes % (1ull << 10) == 0 && bytes > 0) return fmt::format("{} KiB", bytes >> 10);
  return fmt::format("{} bytes", bytes);
}
}  // namespace

Result<std::string> describe_text(const Stream& stream) {
  const StreamMeta& meta = stream.meta();
  const int64_t now = now_ms();
  const int64_t boundary = meta.expiry_boundary_ms(now);
  std::vector<const ShardMeta*> listed;
  size_t open = 0;
  for (const auto& shard : meta.shards) {
    if (meta.shard_expired(shard, now)) continue;
    listed.push_back(&shard);
    open += shard.is_open() ? 1 : 0;
  }
  std::string text;
  auto line = [&](std::string_view label, std::string_view value) { text += settings_line(label, value); };
  line("Stream", meta.name);
  line("ARN", stream_arn(meta.name));
  line("Status", meta.status);
  line("Created", format_iso8601(meta.created_ms));
  line("Retention", fmt::format("{} hours", meta.retention_hours));
  line("Size cap", meta.max_shard_bytes > 0 ? size_text(meta.max_shard_bytes) + " per shard" : "none");
  line("Segment size", size_text(meta.segment_bytes));
  line("Max record", size_text(meta.max_record_bytes()));
  line("Compression", compression_text(meta.compression_level));
  line("Encryption", meta.key_fingerprint.empty() ? meta.encryption_type
                                                  : fmt::format("{} (AES-256-GCM, key fingerprint {})",
                                                                meta.encryption_type, meta.key_fingerprint));
  line("Shards", fmt::format("{} open, {} closed", open, listed.size() - open));
  text += fmt::format("\n{:<22}{:<8}{:>12}{:>14}  {:<26}{:<26}{}\n", "SHARD", "STATE", "RECORDS", "BYTES",
                      "OLDEST ARRIVAL", "NEWEST ARRIVAL", "PARENTS");
  auto arrival = [](const std::optional<int64_t>& ms) { return ms ? format_iso8601(*ms) : std::string("-"); };
  for (const ShardMeta* listed_shard : listed) {
    const ShardMeta& shard = *listed_shard;
    KDS_ASSIGN(Dir dir, stream.open_shard_dir(shard.index));
    KDS_ASSIGN(ShardSummary summary, summarize_shard(dir, boundary));
    std::string parents = "-";
    if (shard.parent) parents = shard_id_string(*shard.parent);
    if (shard.adjacent_parent) parents += "," + shard_id_string(*shard.adjacent_parent);
    text += fmt::format("{:<22}{:<8}{:>12}{:>14}  {:<26}{:<26}{}\n", shard.id(),
                        shard.is_open() ? "open" : "closed", summary.records(), summary.bytes_on_disk,
                        arrival(summary.oldest_arrival_ms), arrival(summary.newest_arrival_ms), parents);
  }
  text += kRangesHeading;
  for (const ShardMeta* listed_shard : listed) {
    const ShardMeta& shard = *listed_shard;
    const auto ending = shard.ending_sequence_number();
    text += ranges_row(shard.id(), to_decimal(shard.range.start), to_decimal(shard.range.end),
                       to_decimal(shard.starting_sequence_number()),
                       ending ? to_decimal(*ending) : std::string());
  }
  // Consumer applications (kds-consume), when there are any: how far behind each is.
  KDS_ASSIGN(auto apps, summarize_apps(stream));
  if (!apps.empty()) {
    text += fmt::format("\n{:<32}{:>8}{:>14}{:>12}\n", "APPLICATION", "WORKERS", "LAG RECORDS", "LAG MS");
    for (const auto& app : apps)
      text += fmt::format("{:<32}{:>8}{:>14}{:>12}\n", app.app, app.workers, app.lag.records, app.lag.ms);
  }
  return text;
}

namespace {

// DescribeStream, every page of shards, with "Endpoint" beside StreamDescription.
Result<ordered_json> describe_remote(remote::Client& client, const std::string& stream) {
  KDS_ASSIGN(ordered_json doc, remote::describe_stream(client, stream));
  doc["Endpoint"] = client.target().url;
  return doc;
}

std::string text_of(const ordered_json& object, const char* member) {
  const auto found = object.find(member);
  if (found == object.end()) return "-";
  return found->is_string() ? found->get<std::string>() : found->dump();
}

}  // namespace

Result<std::string> describe_remote_json(remote::Client& client, const std::string& stream) {
  KDS_ASSIGN(const ordered_json doc, describe_remote(client, stream));
  return doc.dump(4) + "\n";
}

Result<std::string> describe_remote_text(remote::Client& client, const std::string& stream) {
  KDS_ASSIGN(const ordered_json doc, describe_remote(client, stream));
  const ordered_json description = doc.value("StreamDescription", ordered_json::object());
  const ordered_json shards = description.value("Shards", ordered_json::array());
  size_t open = 0;
  for (const auto& shard : shards)
    open += remote::is_open(shard) ? 1 : 0;
  std::string text;
  text += settings_line("Stream", text_of(description, "StreamName"));
  text += settings_line("ARN", text_of(description, "StreamARN"));
  text += settings_line("Endpoint", client.target().url);
  text += settings_line("Status", text_of(description, "StreamStatus"));
  const auto created = description.find("StreamCreationTimestamp");
  const bool dated = created != description.end() && created->is_number() && created->get<double>() >= 0 &&
                     created->get<double>() < 1e13;
  text += settings_line("Created",
                        dated ? format_iso8601(static_cast<int64_t>(created->get<double>() * 1000)) : "-");
  text += settings_line(
      "Mode", text_of(description.value("StreamModeDetails", ordered_json::object()), "StreamMode"));
  text += settings_line("Retention", text_of(description, "RetentionPeriodHours") + " hours");
  const std::string encryption = text_of(description, "EncryptionType");
  text += settings_line("Encryption",
                        encryption == "KMS" ? "KMS (key " + text_of(description, "KeyId") + ")" : encryption);
  text += settings_line("Shards", fmt::format("{} open, {} closed", open, shards.size() - open));
  text += fmt::format("\n{:<22}{:<8}{}\n", "SHARD", "STATE", "PARENTS");
  for (const auto& shard : shards) {
    std::string parents = shard.contains("ParentShardId") ? text_of(shard, "ParentShardId") : "-";
    if (shard.contains("AdjacentParentShardId")) parents += "," + text_of(shard, "AdjacentParentShardId");
    text += fmt::format("{:<22}{:<8}{}\n", text_of(shard, "ShardId"),
                        remote::is_open(shard) ? "open" : "closed", parents);
  }
  text += kRangesHeading;
  for (const auto& shard : shards) {
    const auto range = shard.value("HashKeyRange", ordered_json::object());
    const auto sequences = shard.value("SequenceNumberRange", ordered_json::object());
    text += ranges_row(
        text_of(shard, "ShardId"), text_of(range, "StartingHashKey"), text_of(range, "EndingHashKey"),
        text_of(sequences, "StartingSequenceNumber"),
        sequences.contains("EndingSequenceNumber") ? text_of(sequences, "EndingSequenceNumber") : "");
  }
  return text;
}

}  // namespace kds::cli
