#include "kds/producer.h"

#include <algorithm>
#include <thread>

#include "kds/clock.h"
#include "kds/crc32c.h"
#include "kds/retention.h"
#include "kds/validate.h"

namespace kds {

Result<Producer> Producer::open(const Store& store, std::string_view stream, const ProducerOptions& options,
                                Reporter* reporter) {
  KDS_ASSIGN(Stream opened, store.open_stream(stream));
  // Closed shards whose records have all expired are removed when a producer starts (unless another
  // control operation is busy with the stream); segments are reclaimed by the shard writers as they append.
  const int64_t now = now_ms();
  const auto& shards = opened.meta().shards;
  KDS_ASSIGN(auto unlisted, unlisted_shard_dirs(opened));
  if (!unlisted.empty() || std::any_of(shards.begin(), shards.end(), [&](const ShardMeta& s) {
        return opened.meta().shard_expired(s, now);
      })) {
    KDS_TRY(collect_garbage(store, stream, reporter, false));
    KDS_TRY(opened.reload());
  }
  KDS_TRY(opened.use_keys(options.keys));
  KDS_TRY(opened.write_cipher());  // an encrypted stream needs its key before anything is read
  return Producer(std::move(opened), options, reporter);
}

Producer::Producer(Stream stream, const ProducerOptions& options, Reporter* reporter)
    : stream_(std::move(stream)),
      options_(options),
      reporter_(reporter),
      compress_on_worker_(options.compress_on_worker && std::thread::hardware_concurrency() > 1) {
  build_routes();
  if (options_.sync != SyncMode::kNone) syncer_ = std::make_unique<BackgroundSyncer>();
}

void Producer::build_routes() {
  std::vector<u128> starts;
  route_slots_.clear();
  for (const ShardMeta* shard : stream_.meta().open_shards()) {
    starts.push_back(shard->range.start);
    Slot& slot = slots_[shard->index];  // slots are never erased, so the pointer stays valid
    slot.shard_index = shard->index;
    route_slots_.push_back(&slot);
  }
  router_.set_routes(std::move(starts));
}

// The slot a key routes to, and its MD5 in *hash.
Result<Producer::Slot*> Producer::route_key(std::string_view key, u128* hash) {
  KDS_ASSIGN(uint32_t route, router_.route_of_key(key, hash));
  return route_slots_[route];
}

Producer::~Producer() {
  // Moved from: nothing to sync (syncer_ is null). A failure has no one left to tell: the records were
  // acknowledged when written, which is what interval mode promises short of a power loss.
  if (syncer_ && !unsynced_.empty()) (void)sync_written();
}

int64_t Producer::ms_until_sync() const {
  if (unsynced_.empty()) return -1;
  return std::max<int64_t>(0, last_sync_ms_ + options_.sync_interval_ms - now_ms());
}

// Interval mode: the records are acknowledged already, so the syncs run on the worker without holding
// anything back; a failure is returned by this or a later call, and by drain().
Status Producer::sync_written() {
  std::vector<BackgroundSyncer::File> files;
  for (uint32_t shard : unsynced_) {
    KDS_ASSIGN(auto unsynced, slots_[shard].writer->take_unsynced());
    if (unsynced) files.push_back(std::move(*unsynced));
  }
  unsynced_.clear();
  last_sync_ms_ = now_ms();
  if (!syncer_) return {};
  if (!files.empty()) syncer_->submit(std::move(files));
  return syncer_->progress().failure;
}

Status Producer::check_record(std::string_view key, size_t data_size, size_t max_bytes) {
  KDS_TRY(validate_partition_key(key));
  return validate_record_size(key, data_size, max_bytes);
}

Status Producer::refresh_settings() {
  KDS_TRY(stream_.refresh());
  return {};
}

Result<size_t> Producer::max_record_bytes() {
  KDS_TRY(refresh_settings());
  return stream_.meta().max_record_bytes();
}

void Producer::queue(Slot& slot, std::string_view key, std::string_view data, u128 hash, uint32_t ack_id) {
  Pending& open = slot.open;
  if (open.batch.empty()) open.ticket = acks_.add_batch(slot.shard_index);
  acks_.place(ack_id, open.ticket, open.batch.record_count());
  open.hashes.push_back(hash);
  open.ack_ids.push_back(ack_id);
  open.batch.add(key, data);
}

Status Producer::add(std::string_view key, std::string_view data, std::optional<u128> explicit_hash) {
  KDS_TRY(validate_record_size(key, data.size(), stream_.meta().max_record_bytes()));
  u128 hash = 0;
  Slot* slot = nullptr;
  if (explicit_hash) {
    KDS_TRY(validate_partition_key(key));
    hash = *explicit_hash;
    slot = &route(hash);
  } else {
    KDS_ASSIGN(slot, route_key(key, &hash));
  }
  return place(slot, key, data, hash);
}

// Queues a checked record on `slot`, its route, appending the slot's batch first when the record would
// make it too big.
Status Producer::place(Slot* slot, std::string_view key, std::string_view data, u128 hash) {
  const size_t added = slot->open.batch.added_size(key, data.size());
  if (!slot->open.batch.empty() && slot->open.batch.encoded_size() + added > options_.batch_bytes) {
    KDS_TRY(append(*slot));
    slot = &route(hash);  // the append may have found the shard closed and the routes changed
  }
  queue(*slot, key, data, hash, acks_.add_record());
  pending_bytes_ += added;
  return {};
}

Status Producer::add_many(std::span<const Input> records, size_t* added) {
  // In groups, so that the views of keys to hash and their results stay in cache.
  constexpr size_t kGroup = 64;
  *added = 0;
  const size_t max_bytes = stream_.meta().max_record_bytes();
  for (size_t first = 0; first < records.size(); first += kGroup) {
    size_t queued = 0;
    const Status status =
        add_group(records.subspan(first, std::min(kGroup, records.size() - first)), max_bytes, &queued);
    *added += queued;
    KDS_TRY(status);
  }
  return {};
}

Status Producer::add_group(std::span<const Input> records, size_t max_bytes, size_t* added) {
  // The checks of add(), in its order: sizes and explicitly routed keys here, the other keys while routing.
  Status failure;
  size_t limit = 0;
  group_keys_.clear();
  for (; limit < records.size(); ++limit) {
    const Input& record = records[limit];
    failure = validate_record_size(record.key, record.data.size(), max_bytes);
    if (failure.ok() && record.explicit_hash) failure = validate_partition_key(record.key);
    if (!failure.ok()) break;
    if (!record.explicit_hash) group_keys_.push_back(record.key);
  }
  group_routes_.resize(group_keys_.size());
  group_hashes_.resize(group_keys_.size());
  size_t routed = 0;
  const uint32_t routes_version = router_.routes_version();
  if (Status routing = router_.route_keys(group_keys_, group_routes_.data(), group_hashes_.data(), &routed);
      !routing.ok()) {
    // The invalid key is the routed-th of those without an explicit hash.
    for (size_t i = 0, keys = 0; i < limit; ++i) {
      if (records[i].explicit_hash) continue;
      if (keys++ == routed) {
        limit = i;
        failure = routing;
        break;
      }
    }
  }
  *added = 0;
  for (size_t i = 0, key = 0; i < limit; ++i) {
    const Input& record = records[i];
    u128 hash = 0;
    Slot* slot = nullptr;
    if (record.explicit_hash) {
      hash = *record.explicit_hash;
      slot = &route(hash);
    } else {
      hash = group_hashes_[key];
      // An append of this group may have found a reshard and changed the routes.
      slot = router_.routes_version() == routes_version ? route_slots_[group_routes_[key]] : &route(hash);
      ++key;
    }
    KDS_TRY(place(slot, record.key, record.data, hash));
    ++*added;
  }
  return failure;
}

Status Producer::append(Slot& slot) {
  // Compression is chosen before the lock, so look for a new setting first (one stat): a batch started
  // after kds-set-compression returned uses it. Encryption is decided under the lock, in the fence.
  KDS_TRY(stream_.refresh());
  const int level = stream_.meta().compression_level;
  if (level != 0 && compress_on_worker_) return hand_to_worker(slot, level);
  KDS_TRY(write_compressed(0));  // batches handed to the worker before compression was turned off go first
  if (level == 0) return write_batch(slot, slot.open, slot.open.batch.payload(), 0);
  KDS_TRY(compressor_.compress(slot.open.batch.payload(), level, &compressed_));
  return write_batch(slot, slot.open, compressed_, kBatchCodecZstd);
}

// Hands the slot's full batch to the compression worker and writes the batches handed over before it: one
// batch compresses while the next one fills.
Status Producer::hand_to_worker(Slot& slot, int level) {
  std::unique_ptr<Compressing> batch;
  if (spare_compressing_.empty()) {
    batch = std::make_unique<Compressing>();
  } else {
    batch = std::move(spare_compressing_.back());
    spare_compressing_.pop_back();
  }
  batch->shard_index = slot.shard_index;
  std::swap(batch->records, slot.open);  // the slot goes on with the spare's empty buffers
  batch->job.input = batch->records.batch.payload();
  batch->job.level = level;
  if (!compress_worker_) compress_worker_ = std::make_unique<CompressWorker>();
  compress_worker_->submit(&batch->job);
  compressing_.push_back(std::move(batch));
  return write_compressed(1);
}

// Writes the batches handed to the worker, oldest first, until `keep` remain with the worker.
Status Producer::write_compressed(size_t keep) {
  while (compressing_.size() > keep) {
    std::unique_ptr<Compressing> batch = std::move(compressing_.front());
    compressing_.pop_front();
    compress_worker_->wait(&batch->job);
    Status stored = batch->job.status;
    if (stored.ok())
      stored = write_batch(slots_[batch->shard_index], batch->records, batch->job.output, kBatchCodecZstd);
    batch->records.clear();
    spare_compressing_.push_back(std::move(batch));
    KDS_TRY(stored);
  }
  return {};
}

// Drops the batches with the worker after a failure (their records are never acknowledged), once the worker
// is done with them.
void Producer::abandon_compressing() {
  for (auto& batch : compressing_)
    compress_worker_->wait(&batch->job);
  compressing_.clear();
}

// Appends `pending`, whose records are `payload` (compressed with `codec`), to the slot's shard. If a
// reshard closed the shard meanwhile, re-routes them instead.
Status Producer::write_batch(Slot& slot, Pending& pending, std::string_view payload, uint8_t codec) {
  if (!slot.writer) {
    KDS_ASSIGN(Dir dir, stream_.open_shard_dir(slot.shard_index));
    slot.writer = std::make_unique<ShardWriter>(std::move(dir), stream_.segment_policy(), reporter_,
                                                options_.sync != SyncMode::kNone);
  }
  const uint32_t shard = slot.shard_index;
  ShardWriter* writer = slot.writer.get();
  auto fence = [this, shard, writer]() -> Result<FenceDecision> {
    // The metadata may have been refreshed by an earlier append to another shard, so look the shard up
    // whether or not this refresh found a change.
    KDS_TRY(stream_.refresh());
    writer->set_policy(stream_.segment_policy());  // e.g. a new retention period
    FenceDecision decision;
    const ShardMeta* meta = stream_.meta().find_shard(shard);
    decision.open = meta != nullptr && meta->is_open();
    KDS_ASSIGN(decision.cipher, stream_.write_cipher());  // encryption started or stopped meanwhile
    return decision;
  };
  PreparedBatch prepared;
  prepared.payload = payload;
  prepared.record_count = pending.batch.record_count();
  prepared.raw_size = static_cast<uint32_t>(pending.batch.payload().size());
  prepared.codec = codec;
  prepared.shard_index = shard;
  if (stream_.meta().encryption_type != "KMS") prepared.payload_crc = crc32c(payload.data(), payload.size());
  KDS_ASSIGN(AppendResult result, writer->append(prepared, fence));
  if (result.shard_closed) {
    Pending closed = std::move(pending);
    pending.clear();
    return reroute(std::move(closed));
  }
  acks_.batch_stored(pending.ticket, result.first_offset, result.encrypted);
  if (std::find(touched_.begin(), touched_.end(), shard) == touched_.end()) touched_.push_back(shard);
  pending.clear();
  return {};
}

// A reshard closed the shard of `first` before it could be appended. Its records, then those of every
// other batch still on its way to a shard that is no longer open (later ones for the same shard, with the
// worker or filling; those of a shard merged with it), go to the open shards that now own their hash keys,
// each shard's in order, before any record added from now on.
Status Producer::reroute(Pending first) {
  build_routes();
  auto is_open = [this](uint32_t shard) {
    return std::any_of(route_slots_.begin(), route_slots_.end(),
                       [shard](const Slot* slot) { return slot->shard_index == shard; });
  };
  std::vector<Pending> batches;
  batches.push_back(std::move(first));
  for (auto it = compressing_.begin(); it != compressing_.end();) {
    if (is_open((*it)->shard_index)) {
      ++it;
      continue;
    }
    compress_worker_->wait(&(*it)->job);  // its input is about to move
    batches.push_back(std::move((*it)->records));
    it = compressing_.erase(it);
  }
  for (auto& [index, slot] : slots_) {
    if (slot.open.batch.empty() || is_open(index)) continue;
    batches.push_back(std::move(slot.open));
    slot.open.clear();
  }
  for (const Pending& pending : batches) {
    std::vector<RecordView> records;
    if (!decode_records(pending.batch.payload(), pending.batch.record_count(), &records))
      return Error(Errc::kIo, "internal error: cannot re-read a batch");
    for (size_t i = 0; i < records.size(); ++i) {
      const u128 hash = pending.hashes[i];
      Slot* target = &route(hash);
      const Pending& open = target->open;
      if (!open.batch.empty() &&
          open.batch.encoded_size() + open.batch.added_size(records[i].key, records[i].data.size()) >
              options_.batch_bytes) {
        KDS_TRY(append(*target));
        target = &route(hash);
      }
      queue(*target, records[i].key, records[i].data, hash, pending.ack_ids[i]);
    }
  }
  return {};
}

Status Producer::flush(const std::function<void(const RecordAck&)>& on_ack, bool wait) {
  Status status;
  // A re-route may queue records in shards already visited, so go round until nothing is left.
  for (bool again = true; again && status.ok();) {
    again = false;
    for (auto& [index, slot] : slots_) {
      if (slot.open.batch.empty()) continue;
      status = append(slot);
      if (!status.ok()) break;
      again = true;
    }
    if (status.ok() && !compressing_.empty()) {
      status = write_compressed(0);
      again = true;
    }
  }
  if (options_.sync == SyncMode::kBatch) {
    commit_written(&status, wait);
  } else {
    if (options_.sync == SyncMode::kInterval) {
      if (unsynced_.empty()) last_sync_ms_ = now_ms();  // the interval starts with the first unsynced write
      for (uint32_t shard : touched_) {
        if (std::find(unsynced_.begin(), unsynced_.end(), shard) == unsynced_.end())
          unsynced_.push_back(shard);
      }
      if (status.ok() && ms_until_sync() == 0) status = sync_written();
    }
    if (on_ack) acks_.for_each_stored(on_ack);
  }
  acks_.clear();
  touched_.clear();
  pending_bytes_ = 0;
  for (auto& [index, slot] : slots_)
    slot.open.clear();
  abandon_compressing();
  if (options_.sync == SyncMode::kBatch) {
    // After a failure, wait for the commits so that the records stored before it are acknowledged.
    const Status delivered = deliver_acks(on_ack, wait || !status.ok() ? syncer_->progress().submitted : 0);
    if (status.ok()) status = delivered;
  }
  return status;
}

// Hands the syncs of everything written since the last commit to the worker, with the acknowledgements
// they will release: those of the records stored before the first that could not be. A caller that
// waits for the commit carries it out itself when nothing is ahead of it.
void Producer::commit_written(Status* status, bool wait) {
  std::vector<BackgroundSyncer::File> files;
  for (uint32_t shard : touched_) {
    auto unsynced = slots_[shard].writer->take_unsynced();
    if (!unsynced.ok()) {
      acks_.unstore_shard(shard);
      if (status->ok()) *status = unsynced.error();
      continue;
    }
    if (*unsynced) files.push_back(std::move(**unsynced));
  }
  std::vector<RecordAck> acks;
  acks_.for_each_stored([&acks](const RecordAck& ack) { acks.push_back(ack); });
  if (acks.empty() && files.empty()) return;
  const uint64_t commit =
      wait ? syncer_->commit_and_wait(std::move(files)) : syncer_->submit(std::move(files));
  acks_.hold(commit, std::move(acks));
}

Status Producer::deliver_acks(const std::function<void(const RecordAck&)>& on_ack, uint64_t wait_for) {
  if (!syncer_) return {};
  // Bound the acknowledgements held back: at most two commits in flight.
  wait_for = std::max(wait_for, acks_.commit_to_wait_for(2));
  if (wait_for > 0) syncer_->wait(wait_for);
  syncer_->clear_wake();
  const BackgroundSyncer::Progress progress = syncer_->progress();
  KDS_TRY(acks_.release(progress, on_ack));
  return options_.sync == SyncMode::kInterval ? progress.failure : Status();
}

Status Producer::drain(const std::function<void(const RecordAck&)>& on_ack) {
  return deliver_acks(on_ack, syncer_ ? syncer_->progress().submitted : 0);
}

Status Producer::poll_acks(const std::function<void(const RecordAck&)>& on_ack) {
  return deliver_acks(on_ack, 0);
}

int Producer::ack_wake_fd() const {
  return syncer_ ? syncer_->wake_fd() : -1;
}

}  // namespace kds
