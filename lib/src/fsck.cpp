// Checking a stream (its metadata, its shards one by one, and what is left in its directory) and the
// store directory for kds-fsck. One shard's check is in shard_check.cpp.
#include "kds/fsck.h"

#include <signal.h>

#include <cerrno>
#include <cstdlib>
#include <set>

#include "kds/shard_check.h"

namespace kds {

Status fsck_stream(const Store& store, std::string_view name, const FsckOptions& options,
                   FsckTotals* totals) {
  auto opened = store.open_stream(name);
  if (!opened.ok()) {
    if (opened.error().code() != Errc::kCorruption) return opened.error();
    ++totals->problems;
    if (options.on_problem) {
      const std::string path = store.dir().path_of(stream_dir_name(name)) + "/stream.json";
      std::string what = opened.error().message();
      if (what.starts_with(path + ": ")) what.erase(0, path.size() + 2);  // the report names the file itself
      options.on_problem({std::string(name), "", path, 0, std::move(what), false});
    }
    return {};
  }
  Stream& stream = *opened;
  // A repair or clean-up decides what is a leftover from stream.json, so nothing may change it meanwhile:
  // hold the control lock (a split, merge or scaling waits, and fsck waits for one under way) and read the
  // metadata again under it.
  Fd control;
  if (options.repair || options.gc) {
    KDS_ASSIGN(control, stream.lock_control());
  }
  if (!options.keys.empty()) KDS_TRY(stream.use_keys(options.keys));
  if (auto attributes = read_attributes(stream); !attributes.ok()) {
    if (attributes.error().code() != Errc::kCorruption) return attributes.error();
    // Tags and consumers are the user's: reported, never guessed back.
    const std::string path = stream.dir().path_of(kStreamAttributesName);
    std::string what = attributes.error().message();
    if (what.starts_with(path + ": ")) what.erase(0, path.size() + 2);
    ++totals->problems;
    if (options.on_problem) options.on_problem({stream.name(), "", path, 0, std::move(what), false});
  }
  std::set<std::string> listed;
  for (const auto& shard : stream.meta().shards) {
    listed.insert(shard.id());
    auto dir = stream.open_shard_dir(shard.index);
    if (!dir.ok()) {
      FsckProblem missing{
          stream.name(), shard.id(), stream.dir().path_of(shard.id()), 0, "shard directory missing", false};
      ++totals->problems;
      if (options.repair && stream.dir().make_dir(shard.id()).ok()) {
        missing.repaired = true;
        ++totals->repaired;
      }
      if (options.on_problem) options.on_problem(missing);
      continue;
    }
    KDS_TRY(fsck_shard(stream, shard, std::move(dir).value(), options, totals));
  }
  KDS_ASSIGN(auto names, stream.dir().list());
  for (const auto& entry : names) {
    const bool stray_shard = entry.starts_with("shardId-") && listed.count(entry) == 0;
    if (!stray_shard && !is_leftover(entry)) continue;
    FsckProblem leftover{stream.name(),
                         "",
                         stream.dir().path_of(entry),
                         0,
                         stray_shard
                             ? "shard directory not in stream.json (left by an interrupted reshard or "
                               "expiry)"
                             : "leftover temporary file of an interrupted write",
                         false};
    ++totals->problems;
    if (options.repair || options.gc) {
      KDS_TRY(stream.dir().remove_tree(entry));
      leftover.repaired = true;
      ++totals->repaired;
    }
    if (options.on_problem) options.on_problem(leftover);
  }
  return {};
}

Status fsck_store_leftovers(const Store& store, const FsckOptions& options, FsckTotals* totals) {
  KDS_ASSIGN(auto names, store.dir().list());
  for (const auto& entry : names) {
    if (!entry.starts_with(".create-") && !entry.starts_with(".delete-")) continue;
    // ".create-<pid>-<random>": leave it alone while the process that made it may still be working.
    const size_t dash = entry.find('-', 1);
    const int pid = std::atoi(entry.c_str() + dash + 1);
    if (pid > 0 && (::kill(pid, 0) == 0 || errno == EPERM)) continue;
    FsckProblem leftover{"",
                         "",
                         store.dir().path_of(entry),
                         0,
                         "leftover of a stream creation or deletion interrupted by a crash",
                         false};
    ++totals->problems;
    if (options.repair || options.gc) {
      KDS_TRY(store.dir().remove_tree(entry));
      leftover.repaired = true;
      ++totals->repaired;
    }
    if (options.on_problem) options.on_problem(leftover);
  }
  return {};
}

}  // namespace kds
