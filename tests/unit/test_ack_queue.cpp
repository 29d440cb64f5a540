// A producer's acknowledgements (ack_queue.h): add order, stopping at the first record not stored, and
// acknowledgements held until their sync commit completes.
#include <doctest/doctest.h>

#include <vector>

#include "kds/ack_queue.h"

namespace {

std::vector<uint64_t> stored_offsets(const kds::AckQueue& queue) {
  std::vector<uint64_t> offsets;
  queue.for_each_stored([&](const kds::RecordAck& ack) { offsets.push_back(ack.offset); });
  return offsets;
}

}  // namespace

TEST_CASE("ack queue acknowledges in add order up to the first record whose batch is not stored") {
  kds::AckQueue queue;
  CHECK(queue.empty());
  const uint32_t first = queue.add_batch(0);
  const uint32_t second = queue.add_batch(1);
  const uint32_t a = queue.add_record();
  const uint32_t b = queue.add_record();
  const uint32_t c = queue.add_record();
  queue.place(a, first, 0);
  queue.place(b, second, 0);
  queue.place(c, first, 1);
  CHECK_FALSE(queue.empty());
  CHECK(stored_offsets(queue).empty());
  queue.batch_stored(first, 10, false);
  CHECK(stored_offsets(queue) == std::vector<uint64_t>{10});  // b's batch is not stored: c waits
  queue.batch_stored(second, 70, true);
  CHECK(stored_offsets(queue) == std::vector<uint64_t>{10, 70, 11});
  std::vector<kds::RecordAck> acks;
  queue.for_each_stored([&](const kds::RecordAck& ack) { acks.push_back(ack); });
  REQUIRE(acks.size() == 3);
  CHECK(acks[1].shard_index == 1);
  CHECK(acks[1].encrypted);
  CHECK_FALSE(acks[0].encrypted);

  SUBCASE("a shard whose batches cannot be made durable stops the acknowledgements there") {
    queue.unstore_shard(1);
    CHECK(stored_offsets(queue) == std::vector<uint64_t>{10});
  }
  SUBCASE("a record placed again (re-routed) is acknowledged from its new batch, in its turn") {
    const uint32_t third = queue.add_batch(2);
    queue.place(b, third, 0);
    CHECK(stored_offsets(queue) == std::vector<uint64_t>{10});
    queue.batch_stored(third, 500, false);
    CHECK(stored_offsets(queue) == std::vector<uint64_t>{10, 500, 11});
  }
  SUBCASE("clear forgets records and batches") {
    queue.clear();
    CHECK(queue.empty());
    CHECK(stored_offsets(queue).empty());
  }
}

TEST_CASE("ack queue holds acknowledgements until their commit is done, and drops them after a failure") {
  kds::AckQueue queue;
  CHECK_FALSE(queue.holding());
  queue.hold(1, {{0, 1, false}});
  queue.hold(2, {{0, 2, false}, {0, 3, false}});
  queue.hold(3, {{0, 4, false}});
  CHECK(queue.holding());
  CHECK(queue.commit_to_wait_for(3) == 0);
  CHECK(queue.commit_to_wait_for(2) == 1);
  CHECK(queue.commit_to_wait_for(0) == 3);

  std::vector<uint64_t> released;
  auto on_ack = [&](const kds::RecordAck& ack) { released.push_back(ack.offset); };
  kds::BackgroundSyncer::Progress progress;
  progress.submitted = 3;
  progress.done = 2;
  CHECK(queue.release(progress, on_ack).ok());
  CHECK(released == std::vector<uint64_t>{1, 2, 3});
  CHECK(queue.holding());

  progress.done = 3;
  progress.failed_commit = 3;
  progress.failure = kds::Error(kds::Errc::kIo, "sync failed");
  const kds::Status failed = queue.release(progress, on_ack);
  CHECK_FALSE(failed.ok());
  CHECK(released == std::vector<uint64_t>{1, 2, 3});  // commit 3's records are never acknowledged
  CHECK_FALSE(queue.holding());
}
