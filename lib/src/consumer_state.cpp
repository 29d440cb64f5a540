#include "kds/consumer_state.h"

#include <fcntl.h>
#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <nlohmann/json.hpp>

#include "kds/errors.h"
#include "kds/file.h"
#include "kds/shard_id.h"
#include "kds/store.h"

namespace kds {

using nlohmann::ordered_json;

namespace {

constexpr int kAppFormatVersion = 1;
constexpr size_t kMaxAppNameLength = 255;

std::string state_file_name(std::string_view app) {
  return fmt::format("{}.json", app);
}
std::string lock_file_name(std::string_view app) {
  return fmt::format("{}.lock", app);
}

bool app_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
         c == '-';
}

int64_t integer_member(const ordered_json& object, const char* key) {
  const auto& value = object.at(key);
  if (!value.is_number_integer() ||
      (value.is_number_unsigned() && value.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX))) {
    throw std::invalid_argument(fmt::format("{} is not an integer of 64 bits", key));
  }
  return value.get<int64_t>();
}

// The apps directory of the stream; nullopt when it does not exist and `create` is false.
Result<std::optional<Dir>> apps_dir(const Stream& stream, bool create) {
  auto dir = stream.dir().open_dir(kAppsDirName);
  if (dir.ok()) return std::optional<Dir>(std::move(dir).value());
  if (dir.error().sys_errno() != ENOENT) return dir.error();
  if (!create) return std::optional<Dir>();
  auto made = stream.dir().make_dir(kAppsDirName);
  if (!made.ok() && made.error().sys_errno() != EEXIST) return made.error();
  KDS_TRY(stream.dir().sync());
  KDS_ASSIGN(Dir opened, stream.dir().open_dir(kAppsDirName));
  return std::optional<Dir>(std::move(opened));
}

Result<std::optional<AppState>> read_state(const Dir& apps, std::string_view app) {
  const std::string name = state_file_name(app);
  KDS_ASSIGN(auto text, apps.read_file_if_present(name));
  if (!text) return std::optional<AppState>();
  KDS_ASSIGN(AppState state, AppState::from_json(*text, apps.path_of(name)));
  if (state.app != app) {
    return Error(Errc::kCorruption,
                 fmt::format("{}: AppName {} does not match the file's name", apps.path_of(name), state.app));
  }
  return std::optional<AppState>(std::move(state));
}

}  // namespace

Status check_app_name(std::string_view name, std::string_view member) {
  const std::string value(name);
  if (name.empty())
    return validation_error({{value, member, "Member must have length greater than or equal to 1"}});
  if (name.size() > kMaxAppNameLength)
    return validation_error({{value, member, "Member must have length less than or equal to 255"}});
  if (!std::all_of(name.begin(), name.end(), app_char) || name == "." || name == "..") {
    return validation_error(
        {{value, member, "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+ (not . or ..)"}});
  }
  return {};
}

std::string AppState::to_json() const {
  ordered_json doc;
  doc["FormatVersion"] = kAppFormatVersion;
  doc["AppName"] = app;
  doc["CreatedMs"] = created_ms;
  doc["Shards"] = ordered_json::array();
  for (const auto& [index, shard] : shards) {
    ordered_json item = {{"ShardId", shard_id_string(index)}, {"NextOffset", shard.next_offset}};
    if (shard.finished) item["Finished"] = true;
    if (!shard.owner.empty()) {
      item["LeaseOwner"] = shard.owner;
      item["LeaseExpiresMs"] = shard.lease_expires_ms;
    }
    if (!shard.wanted_by.empty()) item["WantedBy"] = shard.wanted_by;
    doc["Shards"].push_back(std::move(item));
  }
  doc["Workers"] = ordered_json::object();
  for (const auto& [worker, expires_ms] : workers)
    doc["Workers"][worker] = expires_ms;
  return doc.dump(1) + "\n";
}

Result<AppState> AppState::from_json(std::string_view text, std::string_view path) {
  AppState state;
  try {
    const auto doc = ordered_json::parse(text);
    const auto& version = doc.at("FormatVersion");
    if (!version.is_number_integer() || version.get<int64_t>() != kAppFormatVersion) {
      return Error(Errc::kCorruption,
                   fmt::format("{}: format version {} is not supported (this kds reads {})", path,
                               version.dump(), kAppFormatVersion));
    }
    state.app = doc.at("AppName").get<std::string>();
    state.created_ms = integer_member(doc, "CreatedMs");
    if (!doc.at("Shards").is_array()) throw std::invalid_argument("Shards is not an array");
    for (const auto& item : doc.at("Shards")) {
      auto index = parse_shard_id(item.at("ShardId").get<std::string>());
      if (!index) throw std::invalid_argument("a ShardId is not a shard id");
      ShardProgress shard;
      const int64_t next = integer_member(item, "NextOffset");
      if (next < 0) throw std::invalid_argument("a NextOffset is negative");
      shard.next_offset = static_cast<uint64_t>(next);
      shard.finished = item.contains("Finished") && item.at("Finished").get<bool>();
      if (item.contains("LeaseOwner")) {
        shard.owner = item.at("LeaseOwner").get<std::string>();
        shard.lease_expires_ms = integer_member(item, "LeaseExpiresMs");
      }
      if (item.contains("WantedBy")) shard.wanted_by = item.at("WantedBy").get<std::string>();
      if (!state.shards.emplace(*index, std::move(shard)).second)
        throw std::invalid_argument("a shard is listed twice");
    }
    for (const auto& [worker, expires] : doc.at("Workers").items()) {
      if (!expires.is_number_integer()) throw std::invalid_argument("a worker's expiry is not an integer");
      state.workers[worker] = expires.get<int64_t>();
    }
  } catch (const std::exception& e) {
    return Error(Errc::kCorruption, fmt::format("{}: {}", path, e.what()));
  }
  return state;
}

Result<std::vector<std::string>> list_apps(const Stream& stream) {
  KDS_ASSIGN(auto apps, apps_dir(stream, false));
  std::vector<std::string> names;
  if (!apps) return names;
  KDS_ASSIGN(auto entries, apps->list());
  for (const auto& entry : entries) {
    if (entry.size() <= 5 || !entry.ends_with(".json")) continue;
    std::string name = entry.substr(0, entry.size() - 5);
    if (check_app_name(name).ok()) names.push_back(std::move(name));
  }
  std::sort(names.begin(), names.end());
  return names;
}

Result<std::optional<AppState>> read_app_state(const Stream& stream, std::string_view app) {
  KDS_ASSIGN(auto apps, apps_dir(stream, false));
  if (!apps) return std::optional<AppState>();
  return read_state(*apps, app);
}

Status change_app_state(const Stream& stream, std::string_view app,
                        const std::function<Status(std::optional<AppState>&)>& change) {
  KDS_ASSIGN(auto apps, apps_dir(stream, true));
  const std::string lock_name = lock_file_name(app);
  KDS_ASSIGN(Fd lock, apps->open_file(lock_name, O_RDWR | O_CREAT));
  KDS_TRY(lock_file(lock, apps->path_of(lock_name)));
  KDS_TRY(stream.check_exists());
  KDS_ASSIGN(auto state, read_state(*apps, app));
  const bool existed = state.has_value();
  const std::string before = existed ? state->to_json() : std::string();
  KDS_TRY(change(state));
  const std::string name = state_file_name(app);
  if (!state) {
    if (!existed) return {};
    // The lock file stays: a process waiting on it must lock the file the next one will lock.
    KDS_TRY(apps->unlink(name));
    return apps->sync();
  }
  const std::string after = state->to_json();
  if (existed && after == before) return {};
  // A checkpoint is replaced after every batch: the directory is not fsynced each time, so after a power
  // loss a checkpoint may step back (its batches are delivered again, as at-least-once allows), never tear.
  return apps->write_file_atomic(name, after, false);
}

}  // namespace kds
