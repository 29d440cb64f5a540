// Where reading starts: the iterator options of kds-get and kds-tail (--iterator-type, --sequence-number,
// --timestamp), checked with Kinesis's rules and messages and resolved into a start per shard.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kds/api/read_start.h"
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

using api::ShardStart;

// GetShardIterator's members for the options given, which imply an iterator type when --iterator-type is
// not given; checked as GetShardIterator checks them (the type, the members it needs, a time not ahead).
Result<api::StreamReadRequest> read_request(const CLI::App& app, const StartOptions& options,
                                            std::optional<uint32_t> shard);

// The shards to read (api::plan_read) for the options given, which imply an iterator type when
// --iterator-type is not given.
Result<std::vector<ShardStart>> plan_read(const Stream& stream, const CLI::App& app,
                                          const StartOptions& options, std::optional<uint32_t> shard);

// The scope and starts of plan_read, for kds-tail.
Result<FollowPlan> plan_follow(const Stream& stream, const CLI::App& app, const StartOptions& options,
                               std::optional<uint32_t> shard);

// kds-tail's -n/--lines TEXT: the last N records, or (+K, from_record) every record from record K of each
// shard (K at least 1). Throws UsageError for other text.
struct LinesOption {
  bool from_record = false;
  uint64_t count = 0;
};
LinesOption parse_lines(const std::string& text);

// The scope and starts that kds-tail's -n/--lines TEXT asks for: the last N records (of the stream, or
// of `shard`), or every record from record K of each shard with +K. Throws UsageError for other text.
Result<FollowPlan> plan_lines(const Stream& stream, const std::string& text, std::optional<uint32_t> shard);

// Where a new consumer application starts (kds-consume --start, kds-checkpoint --reset): TRIM_HORIZON,
// LATEST, or AT_TIMESTAMP with `timestamp`; a timestamp alone implies AT_TIMESTAMP when `position_given` is
// false. Checked with GetShardIterator's rules and messages.
Result<ReadStart> application_start(const std::string& position, const std::optional<std::string>& timestamp,
                                    bool position_given);

// A reader positioned at `start`. `reporter` must outlive it.
Result<ShardReader> open_reader(const Stream& stream, const ShardStart& start, Reporter* reporter);

}  // namespace kds::cli
