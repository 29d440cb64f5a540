// What a consumer application (kds-consume --app NAME) keeps in the store about a stream: a checkpoint
// per shard, the lease that gives the shard to one worker at a time, and the workers' heartbeats, in one
// file per application, `apps/NAME.json` in the stream directory (docs/format.md §7b). Every change is a
// read, change and atomic replacement under an flock of `apps/NAME.lock`, so workers in several processes
// never lose each other's changes, and a torn write never loses a checkpoint.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kds/status.h"

namespace kds {

class Stream;

inline constexpr const char* kAppsDirName = "apps";

// An application name: 1 to 255 characters of A-Za-z0-9 _ . - (a KCL application's, which names a
// DynamoDB table), and not "." or "..". A ValidationException naming `member` otherwise.
Status check_app_name(std::string_view name, std::string_view member = "app");

struct ShardProgress {
  uint64_t next_offset = 0;  // the first record not processed yet
  bool finished = false;     // every record of the closed shard processed
  std::string owner;         // the worker holding the lease; empty: nobody
  int64_t lease_expires_ms = 0;
  std::string wanted_by;  // a worker that asked for the lease: the owner hands it over between batches

  bool leased(int64_t now_ms) const { return !owner.empty() && lease_expires_ms >= now_ms; }
};

struct AppState {
  std::string app;
  int64_t created_ms = 0;
  std::map<uint32_t, ShardProgress> shards;  // by shard index
  std::map<std::string, int64_t> workers;    // worker id -> when its heartbeat expires (ms)

  std::string to_json() const;
  // Parses and checks the file's text; `path` names the file in messages.
  static Result<AppState> from_json(std::string_view text, std::string_view path);
};

// The applications that have state on `stream`, sorted.
Result<std::vector<std::string>> list_apps(const Stream& stream);

// The application's state, nullopt when it has none. A damaged file is an error naming it.
Result<std::optional<AppState>> read_app_state(const Stream& stream, std::string_view app);

// Under the application's lock, reads its state (nullopt when it has none), lets `change` edit it and
// writes the result atomically; setting it to nullopt deletes the application. When `change` returns an
// error, nothing is written and the error is returned. Fails with ResourceNotFoundException when the
// stream has been deleted. `app` must have passed check_app_name.
Status change_app_state(const Stream& stream, std::string_view app,
                        const std::function<Status(std::optional<AppState>&)>& change);

}  // namespace kds
