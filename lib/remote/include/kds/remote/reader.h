// Reading a stream from an endpoint, for kds-get and kds-tail in remote mode: GetShardIterator and
// GetRecords on each shard, a parent read to its end before its children start (so the records of a key
// come in order across reshards), iterators renewed when they expire, throttling waited out.
#pragma once

#include <cstdint>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <simdjson.h>

#include "kds/remote/client.h"
#include "kds/status.h"

namespace kds::remote {

// A record as GetRecords returns it, decoded.
struct RemoteRecord {
  std::string shard_id;
  std::string sequence_number;
  int64_t arrival_ms = 0;
  std::string key;
  std::string data;
  bool encrypted = false;
};

// A record of GetRecords' or a SubscribeToShardEvent's Records, read from `shard_id`, into `*record` (its
// strings reused).
Status decode_record(simdjson::dom::element entry, const std::string& shard_id, RemoteRecord* record);

// A child shard an answer names (GetRecords' or a SubscribeToShardEvent's ChildShards).
struct ChildShard {
  std::string id;
  std::vector<std::string> parents;
};

// Where reading starts: GetShardIterator's members (and SubscribeToShard's StartingPosition).
struct IteratorStart {
  std::string type = "TRIM_HORIZON";
  std::string sequence_number;          // AT_ and AFTER_SEQUENCE_NUMBER
  std::optional<int64_t> timestamp_ms;  // AT_TIMESTAMP
};

// Where a reader has got to in a shard: where to go on from, for a reader that takes over (kds-tail
// --consumer, after the last records were read with GetRecords).
struct ShardPosition {
  std::string shard_id;
  std::vector<std::string> parents;
  IteratorStart next;  // after the last record passed on, or the start if none was
  bool finished = false;
};

class StreamReader {
 public:
  using RecordFunction = std::function<bool(const RemoteRecord&)>;  // false: deliver no more

  // The shards of `stream` to read from `start`: `shard` alone, with its descendants when
  // `follow_children`; or, without `shard`, every shard the endpoint lists — except that a sequence-number
  // start reads the shard that holds the number and its descendants (from their beginning). A shard that
  // appears later (GetRecords' ChildShards) is read from its beginning when `follow_children`.
  // A LATEST start is fixed here, an iterator per shard (the newest record now, not when a child's
  // parents have been read), unless `fix_latest` is false: for a caller that goes on from positions()
  // and starts at LATEST itself (kds-tail --consumer). `client` must outlive the reader.
  static Result<StreamReader> open(Client& client, std::string stream, IteratorStart start,
                                   std::optional<std::string> shard, bool follow_children,
                                   bool fix_latest = true);
  // The same with the stream's shards as DescribeStream lists them (list_shards()).
  static Result<StreamReader> open(Client& client, std::string stream, const nlohmann::ordered_json& shards,
                                   IteratorStart start, std::optional<std::string> shard,
                                   bool follow_children, bool fix_latest = true);
  // DescribeStream's shards, every page.
  static Result<nlohmann::ordered_json> list_shards(Client& client, const std::string& stream);

  // Every shard being read or read, in shard-id order.
  std::vector<std::string> shards() const;

  // The shards to read next: not finished, and every parent being read is finished. In shard-id order.
  std::vector<std::string> ready() const;

  // One GetRecords on `shard` (at most `limit` records; 0: as many as the endpoint gives), each record
  // passed to `on_record` in order; returns how many were passed. The next call reads again from the
  // record `on_record` refused.
  Result<size_t> read(const std::string& shard, int limit, const RecordFunction& on_record);

  // Whether the last read of `shard` reached its end: the newest record, or the end of a closed shard.
  bool at_end(const std::string& shard) const;
  // Whether every shard is closed and read to its end.
  bool finished() const;

  // Every shard being read or read, in shard-id order.
  std::vector<ShardPosition> positions() const;

 private:
  struct Shard {
    std::vector<std::string> parents;
    IteratorStart start;
    std::string iterator;
    std::string last_sequence_number;
    std::string refused_sequence_number;  // on_record refused it: the next read starts there
    bool closed = false;                  // DescribeStream gave it an EndingSequenceNumber
    bool at_end = false;
    bool finished = false;
    bool read = false;  // GetRecords has answered for it
  };
  StreamReader(Client& client, std::string stream, bool follow_children)
      : client_(&client), stream_(std::move(stream)), follow_children_(follow_children) {}
  bool parents_finished(const Shard& shard) const;
  Result<std::string> shard_iterator(const std::string& shard_id, const IteratorStart& start);
  // The answer to a GetRecords, parsed by parser_ (valid until its next parse).
  Result<simdjson::dom::element> get_records(const std::string& shard_id, Shard& shard, int limit);
  // GetRecords' answer text for `iterator`: the one read ahead if it is for that, else asked for now.
  Result<std::string> fetch(const std::string& shard_id, const std::string& iterator, int limit);
  // Sends the GetRecords of `iterator` on a read-ahead connection, unless the shard has one in flight or
  // kMaxReadAhead are.
  void read_ahead(const std::string& shard_id, const std::string& iterator, int limit);
  // Reads ahead the first records of the ready shards not read yet (each is read at least once).
  void read_ahead_unread(int limit);
  Status add_children(const std::string& parent, simdjson::dom::element answer);

  Client* client_;
  std::string stream_;
  bool follow_children_;
  std::map<std::string, Shard> shards_;
  std::unique_ptr<simdjson::dom::parser> parser_ = std::make_unique<simdjson::dom::parser>();
  RemoteRecord record_;  // the record being passed on: its strings reused from one record to the next

  // A GetRecords sent ahead, on a connection of its own, while the records of the answer before are passed
  // on: the endpoint prepares the next answers (of several shards: they are read in turn) while this one
  // is decoded and printed.
  struct ReadAhead {
    std::string iterator;
    int limit = 0;
    std::unique_ptr<Client> client;           // outlives `answer`, whose destructor waits for it
    std::future<Result<std::string>> answer;  // of client->call_text
  };
  static constexpr size_t kMaxReadAhead = 4;
  std::vector<std::unique_ptr<Client>> idle_clients_;  // of read-aheads that were answered
  std::map<std::string, ReadAhead> ahead_;             // by shard
};

}  // namespace kds::remote
