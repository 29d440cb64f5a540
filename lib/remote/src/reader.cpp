// The remote stream reader (reader.h).
#include "kds/remote/reader.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "kds/base64.h"
#include "kds/remote/streams.h"

namespace kds::remote {

namespace {

// How long a read waits when the shard's read limit is exceeded: doubling from 1 s up to 10 s, for as
// long as it lasts (the client has already retried twice).
constexpr int kFirstThrottleWaitMs = 1000;
constexpr int kMaxThrottleWaitMs = 10000;

std::vector<std::string> parents_of(const ordered_json& shard) {
  std::vector<std::string> parents;
  for (const char* member : {"ParentShardId", "AdjacentParentShardId"})
    if (std::string parent = text_member(shard, member); !parent.empty())
      parents.push_back(std::move(parent));
  return parents;
}

// `root` and every shard descending from it, of DescribeStream's `shards`.
std::set<std::string> lineage_from(const ordered_json& shards, const std::string& root) {
  std::set<std::string> found{root};
  for (bool grew = true; grew;) {
    grew = false;
    for (const auto& shard : shards) {
      const std::string id = text_member(shard, "ShardId");
      if (found.contains(id)) continue;
      for (const std::string& parent : parents_of(shard)) {
        if (found.contains(parent)) {
          grew = found.insert(id).second || grew;
          break;
        }
      }
    }
  }
  return found;
}

}  // namespace

Result<RemoteRecord> decode_record(const ordered_json& entry, const std::string& shard_id) {
  RemoteRecord record;
  record.shard_id = shard_id;
  record.sequence_number = text_member(entry, "SequenceNumber");
  record.key = text_member(entry, "PartitionKey");
  record.encrypted = text_member(entry, "EncryptionType") == "KMS";
  const auto arrival = entry.find("ApproximateArrivalTimestamp");
  if (arrival != entry.end() && arrival->is_number())
    record.arrival_ms = std::llround(arrival->get<double>() * 1000);
  auto data = base64_decode(text_member(entry, "Data"));
  if (!data || record.sequence_number.empty())
    return Error(Errc::kUnavailable, fmt::format("a record of {} came without a sequence "
                                                 "number or base64 data",
                                                 shard_id));
  record.data = std::move(*data);
  return record;
}

Result<ordered_json> StreamReader::list_shards(Client& client, const std::string& stream) {
  KDS_ASSIGN(ordered_json described, describe_stream(client, stream));
  return std::move(described["StreamDescription"]["Shards"]);
}

Result<StreamReader> StreamReader::open(Client& client, std::string stream, IteratorStart start,
                                        std::optional<std::string> shard, bool follow_children) {
  KDS_ASSIGN(const ordered_json shards, list_shards(client, stream));
  return open(client, std::move(stream), shards, std::move(start), std::move(shard), follow_children);
}

Result<StreamReader> StreamReader::open(Client& client, std::string stream, const ordered_json& shards,
                                        IteratorStart start, std::optional<std::string> shard,
                                        bool follow_children) {
  StreamReader reader(client, std::move(stream), follow_children);
  const bool by_number = start.type == "AT_SEQUENCE_NUMBER" || start.type == "AFTER_SEQUENCE_NUMBER";
  std::set<std::string> scope;
  std::string root;
  if (shard) {
    root = *shard;
  } else if (by_number) {
    // Only the endpoint knows which shard holds a number: the first that takes it for an iterator.
    std::optional<Error> refused;
    for (const auto& listed : shards) {
      const std::string id = text_member(listed, "ShardId");
      auto iterator = reader.shard_iterator(id, start);
      if (iterator.ok()) {
        root = id;
        reader.shards_[id].iterator = std::move(*iterator);
        break;
      }
      if (iterator.error().code() != Errc::kInvalidArgument) return iterator.error();
      // The refusal worth showing is the one of the shard the number belongs to, not those of the shards
      // it does not (Kinesis: "Invalid StartingSequenceNumber. It encodes shardId-…").
      const bool other_shard = iterator.error().message().find("It encodes") != std::string::npos;
      if (!refused || !other_shard) refused = iterator.error();
    }
    if (root.empty()) {
      if (refused) return *refused;
      return Error(Errc::kResourceNotFound, fmt::format("Stream {} has no shards", reader.stream_));
    }
  }
  if (root.empty()) {
    for (const auto& listed : shards)
      scope.insert(text_member(listed, "ShardId"));
  } else {
    scope = follow_children ? lineage_from(shards, root) : std::set<std::string>{root};
  }
  for (const std::string& id : scope) {
    Shard& entry = reader.shards_[id];
    // Below the shard that holds a sequence number, the descendants start at their beginning.
    entry.start = by_number && id != root ? IteratorStart{} : start;
  }
  for (const auto& listed : shards) {
    const auto found = reader.shards_.find(text_member(listed, "ShardId"));
    if (found == reader.shards_.end()) continue;
    found->second.parents = parents_of(listed);
    found->second.closed = !is_open(listed);
  }
  // LATEST means the newest record now, not when a child's parents have been read.
  if (start.type == "LATEST") {
    for (auto& [id, entry] : reader.shards_) {
      KDS_ASSIGN(entry.iterator, reader.shard_iterator(id, start));
    }
  }
  return reader;
}

std::vector<std::string> StreamReader::shards() const {
  std::vector<std::string> ids;
  for (const auto& entry : shards_)
    ids.push_back(entry.first);
  return ids;
}

std::vector<std::string> StreamReader::ready() const {
  std::vector<std::string> ids;
  for (const auto& [id, shard] : shards_) {
    if (shard.finished) continue;
    const bool parents_done =
        std::all_of(shard.parents.begin(), shard.parents.end(), [&](const auto& parent) {
          const auto found = shards_.find(parent);
          return found == shards_.end() || found->second.finished;
        });
    if (parents_done) ids.push_back(id);
  }
  return ids;
}

bool StreamReader::at_end(const std::string& shard) const {
  const auto found = shards_.find(shard);
  return found == shards_.end() || found->second.at_end || found->second.finished;
}

bool StreamReader::finished() const {
  return std::all_of(shards_.begin(), shards_.end(), [](const auto& entry) { return entry.second.finished; });
}

std::vector<ShardPosition> StreamReader::positions() const {
  std::vector<ShardPosition> positions;
  for (const auto& [id, shard] : shards_) {
    ShardPosition& position =
        positions.emplace_back(ShardPosition{id, shard.parents, shard.start, shard.finished});
    if (!shard.refused_sequence_number.empty())
      position.next = {"AT_SEQUENCE_NUMBER", shard.refused_sequence_number, {}};
    else if (!shard.last_sequence_number.empty())
      position.next = {"AFTER_SEQUENCE_NUMBER", shard.last_sequence_number, {}};
  }
  return positions;
}

Result<std::string> StreamReader::shard_iterator(const std::string& shard_id, const IteratorStart& start) {
  ordered_json request = {{"StreamName", stream_}, {"ShardId", shard_id}, {"ShardIteratorType", start.type}};
  if (!start.sequence_number.empty()) request["StartingSequenceNumber"] = start.sequence_number;
  if (start.timestamp_ms) request["Timestamp"] = static_cast<double>(*start.timestamp_ms) / 1000;
  KDS_ASSIGN(const ordered_json answer, client_->call("GetShardIterator", request));
  std::string iterator = text_member(answer, "ShardIterator");
  if (iterator.empty())
    return Error(Errc::kUnavailable, fmt::format("GetShardIterator answered no iterator for {}", shard_id));
  return iterator;
}

Result<nlohmann::ordered_json> StreamReader::get_records(const std::string& shard_id, Shard& shard,
                                                         int limit) {
  int throttle_wait_ms = kFirstThrottleWaitMs;
  bool renewed = false;
  for (;;) {
    if (shard.iterator.empty()) {
      // After a record was read, an iterator that expired is renewed after it, not at the start.
      IteratorStart from = shard.start;
      if (!shard.last_sequence_number.empty())
        from = {"AFTER_SEQUENCE_NUMBER", shard.last_sequence_number, {}};
      KDS_ASSIGN(shard.iterator, shard_iterator(shard_id, from));
    }
    ordered_json request = {{"ShardIterator", shard.iterator}};
    if (limit > 0) request["Limit"] = limit;
    auto answer = client_->call("GetRecords", request);
    if (answer.ok()) return answer;
    if (answer.error().code() == Errc::kExpiredIterator && !renewed) {
      renewed = true;
      shard.iterator.clear();
      continue;
    }
    if (answer.error().code() != Errc::kThroughputExceeded) return answer.error();
    std::this_thread::sleep_for(std::chrono::milliseconds(throttle_wait_ms));
    throttle_wait_ms = std::min(throttle_wait_ms * 2, kMaxThrottleWaitMs);
  }
}

Result<size_t> StreamReader::read(const std::string& shard_id, int limit, const RecordFunction& on_record) {
  const auto found = shards_.find(shard_id);
  if (found == shards_.end() || found->second.finished) return size_t{0};
  Shard& shard = found->second;
  KDS_ASSIGN(const ordered_json answer, get_records(shard_id, shard, limit));
  const auto records = answer.find("Records");
  size_t delivered = 0;
  if (records != answer.end() && records->is_array()) {
    for (const auto& entry : *records) {
      KDS_ASSIGN(const RemoteRecord record, decode_record(entry, shard_id));
      if (!on_record(record)) {
        // The rest of this answer is read again, from the record refused.
        shard.iterator.clear();
        shard.refused_sequence_number = record.sequence_number;
        shard.at_end = false;
        return delivered;
      }
      shard.last_sequence_number = record.sequence_number;
      shard.refused_sequence_number.clear();
      ++delivered;
    }
  }
  shard.iterator = text_member(answer, "NextShardIterator");
  const auto behind = answer.find("MillisBehindLatest");
  const bool newest = (behind != answer.end() && behind->is_number() && behind->get<double>() == 0) ||
                      (behind == answer.end() && delivered == 0);
  // A closed shard read to its newest record is finished even where an endpoint (kinesalite) goes on
  // giving iterators for it.
  shard.finished = shard.iterator.empty() || (shard.closed && newest && delivered == 0);
  // A closed shard is at its end only when finished: its children come next.
  shard.at_end = shard.finished || (newest && !shard.closed);
  if (shard.finished && follow_children_) KDS_TRY(add_children(shard_id, answer));
  return delivered;
}

Status StreamReader::add_children(const std::string& parent, const ordered_json& answer) {
  auto add = [&](const std::string& id, std::vector<std::string> parents) {
    if (id.empty() || shards_.contains(id)) return;
    shards_[id].parents = std::move(parents);
  };
  const auto children = answer.find("ChildShards");
  if (children != answer.end() && children->is_array()) {
    for (const auto& child : *children) {
      std::vector<std::string> parents;
      const auto listed = child.find("ParentShards");
      if (listed != child.end() && listed->is_array())
        for (const auto& id : *listed)
          if (id.is_string()) parents.push_back(id.get<std::string>());
      add(text_member(child, "ShardId"), std::move(parents));
    }
    return {};
  }
  // An endpoint that names no ChildShards (kinesalite): the children are in the stream's description.
  KDS_ASSIGN(const ordered_json shards, list_shards(*client_, stream_));
  for (const auto& child : children_of(shards, parent))
    add(text_member(child, "ShardId"), parents_of(child));
  return {};
}

}  // namespace kds::remote
