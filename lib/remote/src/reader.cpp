// The remote stream reader (reader.h).
#include "kds/remote/reader.h"

#include <algorithm>
#include <chrono>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "answer.h"
#include "kds/api/operations.h"
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

// The body of a GetRecords (no Limit for 0: as many as the endpoint gives).
std::string records_request(const std::string& iterator, int limit) {
  api::GetRecordsRequest request;
  request.shard_iterator = iterator;
  if (limit > 0) request.limit = limit;
  // Text that is not UTF-8 goes as U+FFFD, as Client::call sends it: the endpoint then refuses it.
  return request.to_json().dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
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

Result<ordered_json> StreamReader::list_shards(Client& client, const std::string& stream) {
  KDS_ASSIGN(ordered_json described, describe_stream(client, stream));
  return std::move(described["StreamDescription"]["Shards"]);
}

Result<StreamReader> StreamReader::open(Client& client, std::string stream, IteratorStart start,
                                        std::optional<std::string> shard, bool follow_children,
                                        bool fix_latest) {
  KDS_ASSIGN(const ordered_json shards, list_shards(client, stream));
  return open(client, std::move(stream), shards, std::move(start), std::move(shard), follow_children,
              fix_latest);
}

Result<StreamReader> StreamReader::open(Client& client, std::string stream, const ordered_json& shards,
                                        IteratorStart start, std::optional<std::string> shard,
                                        bool follow_children, bool fix_latest) {
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
  if (start.type == "LATEST" && fix_latest) {
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
    if (!shard.finished && parents_finished(shard)) ids.push_back(id);
  }
  return ids;
}

bool StreamReader::parents_finished(const Shard& shard) const {
  return std::all_of(shard.parents.begin(), shard.parents.end(), [&](const auto& parent) {
    const auto found = shards_.find(parent);
    return found == shards_.end() || found->second.finished;
  });
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

Result<JsonElement> StreamReader::get_records(const std::string& shard_id, Shard& shard, int limit) {
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
    auto answer = fetch(shard_id, shard.iterator, limit);
    if (answer.ok()) return parse_answer(*parser_, *answer, *client_, "GetRecords");
    if (answer.error().code() == Errc::kExpiredIterator && !renewed) {
      renewed = true;
      shard.iterator.clear();
      continue;
    }
    if (answer.error().code() != Errc::kThroughputExceeded) return answer.error();
    if (!pause_unless_stopped(client_->target(), std::chrono::milliseconds(throttle_wait_ms)))
      return stopped_error(client_->target());
    throttle_wait_ms = std::min(throttle_wait_ms * 2, kMaxThrottleWaitMs);
  }
}

Result<std::string> StreamReader::fetch(const std::string& shard_id, const std::string& iterator, int limit) {
  if (const auto found = ahead_.find(shard_id); found != ahead_.end()) {
    ReadAhead sent = std::move(found->second);
    ahead_.erase(found);
    auto answer = sent.answer.get();
    idle_clients_.push_back(std::move(sent.client));
    if (sent.iterator == iterator && sent.limit == limit) return answer;
  }
  return client_->call_text("GetRecords", records_request(iterator, limit));
}

void StreamReader::read_ahead(const std::string& shard_id, const std::string& iterator, int limit) {
  if (ahead_.contains(shard_id) || ahead_.size() == kMaxReadAhead) return;
  std::unique_ptr<Client> client;
  if (idle_clients_.empty()) {
    auto opened = Client::open(client_->target());
    if (!opened.ok()) return;  // read without: only slower
    client = std::make_unique<Client>(std::move(*opened));
  } else {
    client = std::move(idle_clients_.back());
    idle_clients_.pop_back();
  }
  Client* sender = client.get();
  auto answer = std::async(std::launch::async, [sender, body = records_request(iterator, limit)] {
    return sender->call_text("GetRecords", body);
  });
  ahead_.emplace(shard_id, ReadAhead{iterator, limit, std::move(client), std::move(answer)});
}

void StreamReader::read_ahead_unread(int limit) {
  for (auto& [id, shard] : shards_) {
    if (ahead_.size() == kMaxReadAhead) return;
    if (shard.read || shard.finished || ahead_.contains(id) || !parents_finished(shard)) continue;
    if (shard.iterator.empty()) {
      auto iterator = shard_iterator(id, shard.start);
      if (!iterator.ok()) continue;  // read() meets the error again and reports it
      shard.iterator = std::move(*iterator);
    }
    read_ahead(id, shard.iterator, limit);
  }
}

Result<size_t> StreamReader::read(const std::string& shard_id, int limit, const RecordFunction& on_record) {
  const auto found = shards_.find(shard_id);
  if (found == shards_.end() || found->second.finished) return size_t{0};
  Shard& shard = found->second;
  KDS_ASSIGN(const JsonElement answer, get_records(shard_id, shard, limit));
  const std::string_view next_iterator = text_of(answer, "NextShardIterator");
  double behind = 0;
  const auto behind_error = answer["MillisBehindLatest"].get(behind);
  // More to read right away: the next answer is asked for while this one's records are passed on.
  // So are the first records of shards not read yet: the endpoint works on several at once. They are
  // asked with this Limit; a caller that then asks for fewer (the last of kds-get --limit) gets a new
  // answer, and the one read ahead is dropped.
  if (behind_error == simdjson::SUCCESS && behind > 0 && !next_iterator.empty() &&
      array_of(answer, "Records").size() > 0) {
    read_ahead(shard_id, std::string(next_iterator), limit);
    read_ahead_unread(limit);
  }
  shard.read = true;
  size_t delivered = 0;
  for (JsonElement entry : array_of(answer, "Records")) {
    KDS_TRY(decode_record(entry, shard_id, &record_));
    if (!on_record(record_)) {
      // The rest of this answer is read again, from the record refused.
      shard.iterator.clear();
      shard.refused_sequence_number = record_.sequence_number;
      shard.at_end = false;
      return delivered;
    }
    shard.last_sequence_number = record_.sequence_number;
    shard.refused_sequence_number.clear();
    ++delivered;
  }
  shard.iterator = next_iterator;
  const bool newest = (behind_error == simdjson::SUCCESS && behind == 0) ||
                      (behind_error == simdjson::NO_SUCH_FIELD && delivered == 0);
  // A closed shard read to its newest record is finished even where an endpoint (kinesalite) goes on
  // giving iterators for it.
  shard.finished = shard.iterator.empty() || (shard.closed && newest && delivered == 0);
  // A closed shard is at its end only when finished: its children come next.
  shard.at_end = shard.finished || (newest && !shard.closed);
  if (shard.finished && follow_children_) KDS_TRY(add_children(shard_id, answer));
  return delivered;
}

Status StreamReader::add_children(const std::string& parent, JsonElement answer) {
  auto add = [&](const std::string& id, std::vector<std::string> parents) {
    if (id.empty() || shards_.contains(id)) return;
    shards_[id].parents = std::move(parents);
  };
  if (auto children = child_shards(answer)) {
    for (ChildShard& child : *children)
      add(child.id, std::move(child.parents));
    return {};
  }
  // An endpoint that names no ChildShards (kinesalite): the children are in the stream's description.
  KDS_ASSIGN(const ordered_json shards, list_shards(*client_, stream_));
  for (const auto& child : children_of(shards, parent))
    add(text_member(child, "ShardId"), parents_of(child));
  return {};
}

}  // namespace kds::remote
