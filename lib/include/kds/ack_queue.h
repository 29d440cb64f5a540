// A producer's acknowledgements: which batch each record went into and whether that batch is stored (and
// at what offset), so that records are acknowledged in the order they were added, only up to the first
// that could not be stored; and, when acknowledging waits for fdatasync, the acknowledgements held until
// the sync commit (background_syncer.h) that makes their records durable has completed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <utility>
#include <vector>

#include "kds/background_syncer.h"
#include "kds/hash_key.h"
#include "kds/shard_id.h"
#include "kds/status.h"

namespace kds {

struct RecordAck {
  uint32_t shard_index = 0;
  uint64_t offset = 0;
  bool encrypted = false;
  u128 sequence_number() const { return make_sequence_number(shard_index, offset); }
};

class AckQueue {
 public:
  // Records and their batches, since the last clear(). Records are acknowledged by their batch's ticket,
  // so a record re-routed to another batch (after a reshard) is placed again and keeps its turn.

  // A new record, after all added before it; returns its id for place().
  uint32_t add_record() {
    acks_.push_back({});
    return static_cast<uint32_t>(acks_.size() - 1);
  }
  // A new batch for shard `shard_index`; returns its ticket.
  uint32_t add_batch(uint32_t shard_index) {
    tickets_.push_back({shard_index, false, false, 0});
    return static_cast<uint32_t>(tickets_.size() - 1);
  }
  // Requires `record` from add_record() and `ticket` from add_batch() since the last clear(). Record
  // `record` is number `index` of the batch.
  void place(uint32_t record, uint32_t ticket, uint32_t index) { acks_[record] = {ticket, index}; }
  // Requires `ticket` from add_batch() since the last clear(). The batch's records were stored from
  // `first_offset` on.
  void batch_stored(uint32_t ticket, uint64_t first_offset, bool encrypted);
  // The batches stored in shard `shard_index` count as not stored: they cannot be made durable.
  void unstore_shard(uint32_t shard_index);
  // Calls `on_ack` for each record in the order added, up to the first whose batch is not stored.
  template <class OnAck>
  void for_each_stored(OnAck&& on_ack) const;
  bool empty() const { return acks_.empty(); }
  // Forgets the records and batches (not the held acknowledgements).
  void clear() {
    acks_.clear();
    tickets_.clear();
  }

  // Held acknowledgements, oldest first.

  // Holds `acks` until sync commit `commit` completes. Requires commits in the order submitted.
  void hold(uint64_t commit, std::vector<RecordAck> acks) { held_.push_back({commit, std::move(acks)}); }
  bool holding() const { return !held_.empty(); }
  // The commit to wait for so that at most `max_held` groups of acknowledgements stay held; 0 when no
  // more than that are held now.
  uint64_t commit_to_wait_for(size_t max_held) const {
    return held_.size() > max_held ? held_[held_.size() - max_held - 1].commit : 0;
  }
  // Calls `on_ack` (may be empty) for the acknowledgements of the commits `progress` says are done,
  // oldest first. A failed commit's records and all later ones are never durable for sure: their
  // acknowledgements are dropped, and the failure returned.
  Status release(const BackgroundSyncer::Progress& progress,
                 const std::function<void(const RecordAck&)>& on_ack);

 private:
  struct Ticket {
    uint32_t shard_index = 0;
    bool stored = false;
    bool encrypted = false;
    uint64_t first_offset = 0;
  };
  struct PendingAck {
    uint32_t ticket = 0;
    uint32_t index = 0;  // position within the batch
  };
  struct HeldGroup {
    uint64_t commit = 0;
    std::vector<RecordAck> acks;
  };

  std::vector<Ticket> tickets_;
  std::vector<PendingAck> acks_;  // by record id, in add order
  std::deque<HeldGroup> held_;
};

template <class OnAck>
void AckQueue::for_each_stored(OnAck&& on_ack) const {
  for (const PendingAck& ack : acks_) {
    const Ticket& ticket = tickets_[ack.ticket];
    if (!ticket.stored) break;
    on_ack(RecordAck{ticket.shard_index, ticket.first_offset + ack.index, ticket.encrypted});
  }
}

}  // namespace kds
