// What Kinesis keeps about a stream besides its shards and records: its tags, resource policy and
// shard-level metrics setting, and its registered (enhanced fan-out) consumers with their tags and
// policies. No reader or writer of records needs any of it, so it
// lives in its own file, `attributes.json` in the stream directory (docs/format.md §7a), not in
// `stream.json`: changing a tag does not make every writer re-read the stream's metadata, and kds
// versions that predate the file ignore it and never rewrite it.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "kds/status.h"

namespace kds {

class Stream;  // kds/store.h, which includes this header for Tags

inline constexpr const char* kStreamAttributesName = "attributes.json";

// Tag key to value; keys are unique and kept sorted, which is the order ListTagsForStream pages in.
using Tags = std::map<std::string, std::string, std::less<>>;

struct ConsumerEntry {
  std::string name;
  int64_t created_ms = 0;  // its ARN carries the seconds: {stream ARN}/consumer/{name}:{seconds}
  Tags tags;
  std::string policy;  // PutResourcePolicy's document; empty: none
};

struct StreamAttributes {
  Tags tags;
  std::string policy;                            // PutResourcePolicy's document; empty: none
  std::vector<std::string> shard_level_metrics;  // EnableEnhancedMonitoring's, in Kinesis's order
  std::vector<ConsumerEntry> consumers;          // in the order they were registered

  const ConsumerEntry* find_consumer(std::string_view name) const;

  std::string to_json() const;
  // Parses and checks the file's text; `path` names the file in messages.
  static Result<StreamAttributes> from_json(std::string_view text, std::string_view path);
};

// The stream's attributes as last written (none when the file does not exist). A damaged file is an
// error naming it.
Result<StreamAttributes> read_attributes(const Stream& stream);

// Under the stream's control lock, reads the attributes, lets `change` edit them, and replaces the file
// atomically with the result unless `change` returned an error (which is returned, the file unchanged).
// Fails with ResourceNotFoundException when the stream was deleted before the lock was had.
Status change_attributes(Stream& stream, const std::function<Status(StreamAttributes&)>& change);

}  // namespace kds
