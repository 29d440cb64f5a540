#include "kds/consumer.h"

#include <fmt/format.h>
#include <time.h>

#include <algorithm>

#include "kds/clock.h"
#include "kds/lease_renewer.h"
#include "kds/shard_id.h"
#include "kds/shard_summary.h"

namespace kds {

namespace {

// How long an idle worker sleeps between looks at its shards, and the step in which it asks `stop`.
constexpr int64_t kIdlePollMs = 50;
// A batch stops growing at this many bytes of keys and data, as GetRecords' answers do (10 MiB).
constexpr size_t kMaxBatchBytes = 10 << 20;
// Blocks the arena keeps for the next batch; more (after a batch of large records) are freed.
constexpr size_t kKeptArenaBlocks = 12;
constexpr size_t kArenaBlockBytes = 1 << 20;

void sleep_ms(int64_t ms) {
  if (ms <= 0) return;
  timespec ts{static_cast<time_t>(ms / 1000), static_cast<long>(ms % 1000) * 1000000L};
  ::nanosleep(&ts, nullptr);
}

// Finished shards count as finished parents; so do parents the stream no longer has (expired).
bool parents_finished(const AppState& state, const ShardMeta& shard) {
  for (const auto& parent : {shard.parent, shard.adjacent_parent}) {
    if (!parent) continue;
    auto it = state.shards.find(*parent);
    if (it != state.shards.end() && !it->second.finished) return false;
  }
  return true;
}

}  // namespace

Result<AppState> new_app_state(const Stream& stream, std::string_view app, const ReadStart& start,
                               int64_t now_ms) {
  AppState state;
  state.app = std::string(app);
  state.created_ms = now_ms;
  for (const auto& shard : stream.meta().shards) {
    // The first record at or after the start, which for TRIM_HORIZON is the oldest record still stored (so
    // that records expired before the application existed are not reported as missed).
    ShardProgress progress;
    KDS_ASSIGN(ShardReader reader, stream.open_reader(shard.index, nullptr));
    KDS_TRY(reader.seek(start));
    KDS_ASSIGN(auto header, reader.next_header());
    progress.next_offset = header ? header->first_offset : reader.passed_offset();
    progress.finished = shard.end_offset && progress.next_offset >= *shard.end_offset;
    state.shards.emplace(shard.index, progress);
  }
  return state;
}

std::map<uint32_t, ShardProgress> plan_leases(AppState& state, const StreamMeta& meta,
                                              std::string_view worker, int64_t now_ms, int64_t lease_ms,
                                              size_t* free) {
  const std::string me(worker);
  std::erase_if(state.workers, [&](const auto& entry) { return entry.second < now_ms; });
  state.workers[me] = now_ms + lease_ms;
  std::erase_if(state.shards, [&](const auto& entry) { return meta.find_shard(entry.first) == nullptr; });
  for (const auto& shard : meta.shards)
    state.shards.try_emplace(shard.index);

  std::vector<uint32_t> available;
  std::map<std::string, std::vector<uint32_t>> holdings;  // live owner -> shards
  for (auto& [index, progress] : state.shards) {
    if (progress.finished || !parents_finished(state, *meta.find_shard(index))) {
      progress.owner.clear();
      progress.wanted_by.clear();
      continue;
    }
    // A lease a live worker asked for is handed to it here, between batches, with a fresh term: it takes
    // the shard up at its next heartbeat (or, should it die first, whoever finds the lease expired).
    if (progress.owner == me && !progress.wanted_by.empty() && progress.wanted_by != me &&
        state.workers.contains(progress.wanted_by)) {
      progress.owner = progress.wanted_by;
      progress.lease_expires_ms = now_ms + lease_ms;
    }
    if (!state.workers.contains(progress.wanted_by) || progress.wanted_by == progress.owner)
      progress.wanted_by.clear();
    available.push_back(index);
    // One's own expired lease is still one's own: nobody took it.
    if (progress.owner == me || progress.leased(now_ms)) holdings[progress.owner].push_back(index);
  }

  const size_t workers = state.workers.size();
  const size_t share = (available.size() + workers - 1) / workers;
  auto& mine = holdings[me];
  size_t unheld = 0;
  for (uint32_t index : available) {
    ShardProgress& progress = state.shards[index];
    const bool held = progress.owner == me || progress.leased(now_ms);
    if (held) continue;
    if (mine.size() < share) {
      progress.owner = me;
      progress.wanted_by.clear();
      mine.push_back(index);
    } else {
      ++unheld;
    }
  }
  if (mine.size() < share) {
    // Ask the busiest worker for one shard, if it holds at least two more than this one.
    const std::vector<uint32_t>* busiest = nullptr;
    for (const auto& [owner, shards] : holdings) {
      if (owner != me && (busiest == nullptr || shards.size() > busiest->size())) busiest = &shards;
    }
    if (busiest != nullptr && busiest->size() >= mine.size() + 2) {
      bool asked = false;
      for (uint32_t index : *busiest)
        asked = asked || state.shards[index].wanted_by == me;
      if (!asked) state.shards[busiest->back()].wanted_by = me;
    }
  }

  std::map<uint32_t, ShardProgress> held;
  for (uint32_t index : mine) {
    ShardProgress& progress = state.shards[index];
    progress.owner = me;
    progress.lease_expires_ms = now_ms + lease_ms;
    held.emplace(index, progress);
  }
  if (free != nullptr) *free = unheld;
  return held;
}

namespace {

// What lag is measured against: the shard's stored records now (expired ones left out).
Result<ShardSummary> lag_summary(const Stream& stream, uint32_t index) {
  KDS_ASSIGN(Dir dir, stream.open_shard_dir(index));
  return summarize_shard(dir, stream.meta().expiry_boundary_ms(now_ms()));
}

Result<ShardLag> lag_from(const Stream& stream, uint32_t index, const ShardSummary& summary,
                          const ShardProgress& progress) {
  ShardLag lag;
  if (progress.finished) return lag;
  const uint64_t first = std::max(progress.next_offset, summary.first_offset);
  if (first >= summary.next_offset) return lag;
  lag.records = summary.next_offset - first;
  KDS_ASSIGN(ShardReader reader, stream.open_reader(index, nullptr));
  KDS_TRY(reader.seek_offset(first));
  KDS_ASSIGN(auto header, reader.next_header());
  if (header && summary.newest_arrival_ms)
    lag.ms = std::max<int64_t>(0, *summary.newest_arrival_ms - header->arrival_ms);
  return lag;
}

}  // namespace

Result<ShardLag> shard_lag(const Stream& stream, uint32_t index, const ShardProgress& progress) {
  if (progress.finished) return ShardLag{};
  KDS_ASSIGN(ShardSummary summary, lag_summary(stream, index));
  return lag_from(stream, index, summary, progress);
}

Result<std::vector<AppSummary>> summarize_apps(const Stream& stream) {
  std::vector<AppSummary> summaries;
  KDS_ASSIGN(auto apps, list_apps(stream));
  if (apps.empty()) return summaries;
  // Each shard is summarized once, whatever the number of applications.
  std::map<uint32_t, ShardSummary> shards;
  for (const auto& shard : stream.meta().shards) {
    KDS_ASSIGN(shards[shard.index], lag_summary(stream, shard.index));
  }
  const int64_t now = now_ms();
  for (const auto& app : apps) {
    KDS_ASSIGN(auto state, read_app_state(stream, app));
    if (!state) continue;  // deleted meanwhile
    AppSummary summary{app, shards.size(), 0, {}};
    for (const auto& [worker, expires_ms] : state->workers)
      summary.workers += expires_ms >= now ? 1 : 0;
    for (const auto& [index, shard_summary] : shards) {
      auto it = state->shards.find(index);
      KDS_ASSIGN(ShardLag lag, lag_from(stream, index, shard_summary,
                                        it != state->shards.end() ? it->second : ShardProgress{}));
      summary.lag.records += lag.records;
      summary.lag.ms = std::max(summary.lag.ms, lag.ms);
    }
    summaries.push_back(std::move(summary));
  }
  return summaries;
}

std::string_view ConsumerWorker::ByteArena::copy(std::string_view bytes) {
  if (bytes.empty()) return {};
  if (used_ == 0 || blocks_[used_ - 1].capacity() - blocks_[used_ - 1].size() < bytes.size()) {
    if (used_ == blocks_.size()) blocks_.emplace_back();
    std::string& block = blocks_[used_++];
    block.clear();
    // Appending within the capacity never moves the block's bytes.
    block.reserve(std::max(kArenaBlockBytes, bytes.size()));
  }
  std::string& block = blocks_[used_ - 1];
  const size_t at = block.size();
  block.append(bytes);
  bytes_ += bytes.size();
  return std::string_view(block).substr(at, bytes.size());
}

void ConsumerWorker::ByteArena::clear() {
  for (size_t i = 0; i < used_; ++i)
    blocks_[i].clear();
  used_ = 0;
  bytes_ = 0;
  if (blocks_.size() > kKeptArenaBlocks) blocks_.resize(kKeptArenaBlocks);
  // A block made for one large record goes.
  std::erase_if(blocks_, [](const std::string& block) { return block.capacity() > kArenaBlockBytes + 4096; });
}

ConsumerWorker::ConsumerWorker(Stream stream, ConsumerOptions options, Reporter* reporter)
    : stream_(std::move(stream)), options_(std::move(options)), reporter_(reporter) {}

Status ConsumerWorker::heartbeat() {
  KDS_TRY(stream_.refresh());
  const int64_t now = now_ms();
  std::map<uint32_t, ShardProgress> held;
  KDS_TRY(change_app_state(stream_, options_.app, [&](std::optional<AppState>& state) -> Status {
    if (!state) {
      KDS_ASSIGN(AppState fresh, new_app_state(stream_, options_.app, options_.start, now));
      state = std::move(fresh);
    }
    held = plan_leases(*state, stream_.meta(), options_.worker, now, options_.lease_ms, &free_);
    return {};
  }));
  // Shards whose lease went to another worker are dropped with what was read of them and not processed.
  std::erase_if(held_, [&](const auto& entry) { return !held.contains(entry.first); });
  for (const auto& [index, progress] : held) {
    // A shard held all along keeps its reader, unless its checkpoint moved meanwhile: this worker stalled
    // past its lease, and another worker or kds-checkpoint --set/--reset changed it before it came back.
    auto it = held_.find(index);
    if (it != held_.end() && it->second.next_offset == progress.next_offset) continue;
    if (it != held_.end()) held_.erase(it);
    KDS_TRY(adopt(index, progress));
  }
  next_heartbeat_ms_ = now + std::max<int64_t>(options_.lease_ms / 3, 1);
  return {};
}

Status ConsumerWorker::adopt(uint32_t index, const ShardProgress& progress) {
  Held shard;
  uint64_t next = progress.next_offset;
  KDS_ASSIGN(Dir dir, stream_.open_shard_dir(index));
  KDS_ASSIGN(ShardSummary summary, summarize_shard(dir));
  if (next > summary.next_offset) {
    // No record there has ever been stored (a hand-edited or damaged file): reading from there would skip
    // every record until the shard reaches it. Reported, and read from the end of what is stored.
    if (reporter_ != nullptr) {
      reporter_->damage(
          {stream_.dir().path_of(std::string(kAppsDirName) + "/" + options_.app + ".json"), 0, 0,
           fmt::format("the checkpoint of {} is at offset {}, past its last stored record ({}); "
                       "reading from there",
                       shard_id_string(index), next, summary.next_offset)});
    }
    next = summary.next_offset;
  }
  KDS_ASSIGN(ShardReader reader, stream_.open_reader(index, reporter_));
  KDS_TRY(reader.seek_offset(next));
  shard.reader.emplace(std::move(reader));
  shard.next_offset = shard.read_offset = next;
  held_.emplace(index, std::move(shard));
  return {};
}

Status ConsumerWorker::fill(uint32_t index, Held& shard, const Warn& warn) {
  while (shard.pending.size() < options_.batch_size && shard.arena.bytes() < kMaxBatchBytes) {
    const auto want = static_cast<uint32_t>(options_.batch_size - shard.pending.size());
    KDS_ASSIGN(bool more, shard.reader->next_batch(&scratch_, want));
    if (shard.pending.empty() && !scratch_.empty()) shard.pending_since_ms = now_ms();
    for (const ReadRecord& record : scratch_) {
      if (record.offset > shard.read_offset) warn_expired(index, record.offset - shard.read_offset, warn);
      shard.read_offset = record.offset + 1;
      shard.pending.push_back({record.offset, record.arrival_ms, record.encrypted,
                               shard.arena.copy(record.key), shard.arena.copy(record.data)});
    }
    if (!more && scratch_.empty()) break;
  }
  return {};
}

void ConsumerWorker::warn_expired(uint32_t index, uint64_t count, const Warn& warn) const {
  warn(fmt::format("{}: {} records expired before application {} read them; resuming at the oldest record",
                   shard_id_string(index), count, options_.app));
}

Result<bool> ConsumerWorker::checkpoint(uint32_t index, uint64_t next_offset, bool finished) {
  bool kept = false;
  const int64_t now = now_ms();
  KDS_TRY(change_app_state(stream_, options_.app, [&](std::optional<AppState>& state) -> Status {
    if (!state) return {};
    auto it = state->shards.find(index);
    if (it == state->shards.end() || it->second.owner != options_.worker) return {};
    ShardProgress& progress = it->second;
    progress.next_offset = next_offset;
    progress.finished = finished;
    progress.lease_expires_ms = now + options_.lease_ms;
    if (finished) progress.owner.clear();
    kept = true;
    return {};
  }));
  return kept;
}

Status ConsumerWorker::dispatch(uint32_t index, Held& shard, const Process& process) {
  ConsumerBatch batch{index, std::move(shard.pending)};
  size_t done = 0;
  Status status;
  renewer_->busy([&] { status = process(batch, &done); });
  done = std::min(done, batch.records.size());
  const uint64_t processed_to = done > 0 ? batch.records[done - 1].offset + 1 : shard.next_offset;
  // The vector and the arena's blocks are kept for the shard's next batch.
  shard.pending = std::move(batch.records);
  shard.pending.clear();
  shard.arena.clear();
  if (done > 0) {
    shard.next_offset = processed_to;
    KDS_ASSIGN(bool kept, checkpoint(index, shard.next_offset, false));
    if (!kept) {
      held_.erase(index);  // the lease went to another worker while the batch ran
      return status;
    }
  }
  if (!status.ok()) return status;
  return {};
}

Status ConsumerWorker::run(const Process& process, const std::function<bool()>& stop, const Warn& warn) {
  LeaseRenewer renewer([this] { renew_leases(); }, std::max<int64_t>(options_.lease_ms / 3, 1));
  renewer_ = &renewer;
  Status status = [&]() -> Status {
    KDS_TRY(heartbeat());
    for (;;) {
      if (stop()) return {};
      bool worked = false;
      bool finished_one = false;
      std::vector<uint32_t> indexes;
      for (const auto& entry : held_)
        indexes.push_back(entry.first);
      for (uint32_t index : indexes) {
        // Leases are renewed on time however long a pass over many shards takes.
        if (now_ms() >= next_heartbeat_ms_) KDS_TRY(heartbeat());
        auto it = held_.find(index);
        if (it == held_.end()) continue;
        Held& shard = it->second;
        KDS_TRY(fill(index, shard, warn));
        const ShardMeta* meta = stream_.meta().find_shard(index);
        // passed_offset, not next_offset: the records left may all have expired or be damaged.
        const bool at_end =
            meta == nullptr || (meta->end_offset && shard.reader->passed_offset() >= *meta->end_offset);
        if (!shard.pending.empty()) {
          const bool due = shard.pending.size() >= options_.batch_size || at_end ||
                           now_ms() - shard.pending_since_ms >= options_.batch_window_ms;
          if (!due) continue;
          KDS_TRY(dispatch(index, shard, process));
          worked = true;
          if (stop()) return {};
        } else if (at_end) {
          // Closed and processed to its end (or gone with retention): finished, and its children may start.
          const uint64_t end = meta != nullptr ? *meta->end_offset : shard.next_offset;
          if (shard.read_offset < end) warn_expired(index, end - shard.read_offset, warn);
          KDS_TRY(checkpoint(index, std::max(end, shard.next_offset), true));
          held_.erase(index);
          finished_one = worked = true;
        }
      }
      if (finished_one || now_ms() >= next_heartbeat_ms_) KDS_TRY(heartbeat());
      if (worked) continue;
      bool pending = false;
      for (const auto& entry : held_)
        pending = pending || !entry.second.pending.empty();
      if (options_.until_caught_up && !pending && free_ == 0) return {};
      KDS_TRY(stream_.refresh());
      sleep_ms(pending ? std::min<int64_t>(kIdlePollMs, std::max<int64_t>(options_.batch_window_ms, 1))
                       : kIdlePollMs);
    }
  }();
  renewer_ = nullptr;
  Status released = release();
  if (!status.ok()) return status;
  return released;
}

void ConsumerWorker::renew_leases() {
  const int64_t now = now_ms();
  (void)change_app_state(stream_, options_.app, [&](std::optional<AppState>& state) -> Status {
    if (!state) return {};
    for (auto& [index, progress] : state->shards) {
      if (progress.owner == options_.worker) progress.lease_expires_ms = now + options_.lease_ms;
    }
    if (state->workers.contains(options_.worker)) state->workers[options_.worker] = now + options_.lease_ms;
    return {};
  });
}

Status ConsumerWorker::release() {
  held_.clear();
  return change_app_state(stream_, options_.app, [&](std::optional<AppState>& state) -> Status {
    if (!state) return {};
    for (auto& [index, progress] : state->shards) {
      if (progress.owner == options_.worker) {
        progress.owner.clear();
        progress.lease_expires_ms = 0;
      }
    }
    state->workers.erase(options_.worker);
    return {};
  });
}

}  // namespace kds
