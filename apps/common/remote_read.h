// kds-get and kds-tail in remote mode: records read from an endpoint with remote::StreamReader and printed
// with the tools' RecordPrinter.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kds/api/read_start.h"
#include "kds/remote/client.h"
#include "read_position.h"
#include "record_printer.h"

namespace kds::cli {

// GetShardIterator's members of a checked read request (read_request()).
struct RemoteRead {
  api::StreamReadRequest request;
  std::optional<std::string> shard;  // the endpoint's shard id
};

// --shard-id (the endpoint's id for a number) and, when `with_start`, the iterator options checked by
// read_request().
Result<RemoteRead> remote_read(const CLI::App& app, const std::string& shard_id, const StartOptions& start,
                               bool with_start);

// kds-get: the records with `numbers` in the order given, or else every record from the request's start,
// shard by shard (parents first), up to `limit` (0: no limit). Returns an exit status.
int get_remote(remote::Client& client, const std::string& stream, const std::vector<std::string>& numbers,
               const RemoteRead& read, int64_t limit, const RecordPrinter& printer);

// kds-tail: the records -n `lines` asks for (nullopt: from the request's start), then every record as it
// arrives, until `count` records (0: no limit), the end of the closed shards followed, or a signal; with a
// `consumer` name, records are followed through enhanced fan-out as that consumer (registered if it is
// not), and only the last records of -n N are read with GetRecords. Returns an exit status.
int tail_remote(remote::Client& client, const std::string& stream, const RemoteRead& read,
                const std::optional<LinesOption>& lines, bool follow_children, int64_t count,
                const std::optional<std::string>& consumer, const RecordPrinter& printer);

}  // namespace kds::cli
