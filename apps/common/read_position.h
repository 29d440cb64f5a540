// Where reading starts: the iterator options of kds-get and kds-tail (--iterator-type, --sequence-number,
// --timestamp), checked with Kinesis's rules and messages and resolved into a start per shard.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kds/follower.h"
#include "kds/report.h"
#include "kds/shard_reader.h"
#include "kds/status.h"
#include "kds/store.h"

namespace kds::cli {

struct StartOptions {
  std::string iterator_type;
  std::string sequence_number;
  std::string timestamp;
};
void add_start_options(CLI::App& app, StartOptions* options);
bool has_start_options(const CLI::App& app);

struct ShardStart {
  uint32_t shard_index = 0;
  ReadStart start;
  std::optional<uint64_t> end_offset;  // closed shards
};

// The shards to read, in reading order (a parent before its children), each with its start. Without
// `shard`, AT/AFTER_SEQUENCE_NUMBER read the shard the number names and then its descendants; the other
// types read every shard.
Result<std::vector<ShardStart>> plan_read(const Stream& stream, const CLI::App& app,
                                          const StartOptions& options, std::optional<uint32_t> shard);

// The scope and starts that kds-tail's -n/--lines TEXT asks for: the last N records (of the stream, or
// of `shard`), or every record from record K of each shard with +K. Throws UsageError for other text.
Result<FollowPlan> plan_lines(const Stream& stream, const std::string& text, std::optional<uint32_t> shard);

// A reader positioned at `start`. `reporter` must outlive it.
Result<ShardReader> open_reader(const Stream& stream, const ShardStart& start, Reporter* reporter);

}  // namespace kds::cli
