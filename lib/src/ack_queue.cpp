// A producer's acknowledgements (ack_queue.h).
#include "kds/ack_queue.h"

namespace kds {

void AckQueue::batch_stored(uint32_t ticket, uint64_t first_offset, bool encrypted) {
  Ticket& stored = tickets_[ticket];
  stored.stored = true;
  stored.first_offset = first_offset;
  stored.encrypted = encrypted;
}

void AckQueue::unstore_shard(uint32_t shard_index) {
  for (Ticket& ticket : tickets_) {
    if (ticket.shard_index == shard_index) ticket.stored = false;
  }
}

Status AckQueue::release(const BackgroundSyncer::Progress& progress,
                         const std::function<void(const RecordAck&)>& on_ack) {
  while (!held_.empty() && held_.front().commit <= progress.done) {
    if (progress.failed_commit != 0 && held_.front().commit >= progress.failed_commit) {
      held_.clear();  // never durable for sure: never acknowledged
      return progress.failure;
    }
    if (on_ack) {
      for (const RecordAck& ack : held_.front().acks)
        on_ack(ack);
    }
    held_.pop_front();
  }
  return {};
}

}  // namespace kds
