#include "kds/producer.h"

#include <algorithm>

#include "kds/crc32c.h"
#include "kds/validate.h"

namespace kds {

Result<Producer> Producer::open(const Store& store, std::string_view stream, const ProducerOptions& options,
                                Reporter* reporter) {
  KDS_ASSIGN(Stream opened, store.open_stream(stream));
  return Producer(std::move(opened), options, reporter);
}

Producer::Producer(Stream stream, const ProducerOptions& options, Reporter* reporter)
    : stream_(std::move(stream)), options_(options), reporter_(reporter) {
  build_routes();
}

void Producer::build_routes() {
  slots_.clear();
  slot_starts_.clear();
  for (const ShardMeta* shard : stream_.meta().open_shards()) {
    Slot slot;
    slot.shard_index = shard->index;
    slots_.push_back(std::move(slot));
    slot_starts_.push_back(shard->range.start);
  }
}

size_t Producer::route(u128 hash) const {
  // The open shards cover the key space without gaps, so the last start <= hash owns it.
  auto it = std::upper_bound(slot_starts_.begin(), slot_starts_.end(), hash);
  return static_cast<size_t>(it - slot_starts_.begin()) - 1;
}

u128 Producer::key_hash(std::string_view key) {
  constexpr size_t kCacheSlots = 32768;
  if (hash_cache_.empty()) hash_cache_.resize(kCacheSlots);
  CachedHash& entry = hash_cache_[std::hash<std::string_view>{}(key) & (kCacheSlots - 1)];
  if (!entry.valid || entry.key != key) {
    entry.key.assign(key);
    entry.hash = partition_key_hash(key);
    entry.valid = true;
  }
  return entry.hash;
}

Status Producer::check_record(std::string_view key, size_t data_size) {
  KDS_TRY(validate_partition_key(key));
  return validate_record_size(key, data_size);
}

Status Producer::add(std::string_view key, std::string_view data, std::optional<u128> explicit_hash) {
  Slot& slot = slots_[route(explicit_hash ? *explicit_hash : key_hash(key))];
  const size_t added = slot.batch.added_size(key, data.size());
  if (!slot.batch.empty() && slot.batch.encoded_size() + added > options_.batch_bytes) KDS_TRY(append(slot));
  if (slot.batch.empty()) {
    slot.ticket = static_cast<uint32_t>(tickets_.size());
    tickets_.push_back({static_cast<uint32_t>(&slot - slots_.data()), false, 0});
  }
  acks_.push_back({slot.ticket, slot.batch.record_count()});
  slot.batch.add(key, data);
  pending_bytes_ += added;
  return {};
}

Status Producer::append(Slot& slot) {
  if (!slot.writer) {
    KDS_ASSIGN(Dir dir, stream_.open_shard_dir(slot.shard_index));
    const SegmentPolicy policy{stream_.meta().segment_bytes, stream_.meta().segment_max_age_ms};
    slot.writer = std::make_unique<ShardWriter>(std::move(dir), policy, reporter_, options_.sync == SyncMode::kBatch);
  }
  const uint32_t crc = crc32c(slot.batch.payload().data(), slot.batch.payload().size());
  KDS_ASSIGN(AppendResult result, slot.writer->append(slot.batch, crc, [this] { return stream_.check_exists(); }));
  if (result.shard_closed) {
    return Error(Errc::kResourceInUse,
                 "shard " + shard_id_string(slot.shard_index) + " was closed while records were being written to it");
  }
  tickets_[slot.ticket].stored = true;
  tickets_[slot.ticket].first_offset = result.first_offset;
  const size_t index = static_cast<size_t>(&slot - slots_.data());
  if (std::find(touched_.begin(), touched_.end(), index) == touched_.end()) touched_.push_back(index);
  slot.batch.clear();
  return {};
}

Status Producer::flush(const std::function<void(const RecordAck&)>& on_ack) {
  Status status;
  for (auto& slot : slots_) {
    if (!slot.batch.empty()) {
      status = append(slot);
      if (!status.ok()) break;
    }
  }
  if (options_.sync == SyncMode::kBatch) {
    for (size_t index : touched_) {
      Status synced = slots_[index].writer->sync();
      if (!synced.ok()) {
        // Nothing written since the last successful sync may be counted as durable.
        for (auto& ticket : tickets_) {
          if (ticket.slot == index) ticket.stored = false;
        }
        if (status.ok()) status = synced;
      }
    }
  }
  for (const auto& ack : acks_) {
    const Ticket& ticket = tickets_[ack.ticket];
    if (!ticket.stored) break;
    if (on_ack) on_ack({slots_[ticket.slot].shard_index, ticket.first_offset + ack.index});
  }
  acks_.clear();
  tickets_.clear();
  touched_.clear();
  pending_bytes_ = 0;
  for (auto& slot : slots_) slot.batch.clear();
  return status;
}

}  // namespace kds
