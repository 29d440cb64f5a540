// Appending batches to one shard. Many processes may append to a shard at once: each append holds an
// exclusive flock on the shard's `writer.lock` file, whose contents are the writer state (where the log
// ends, the next offset, the last arrival time). A writer keeps the state it last wrote; when the file
// says otherwise another process wrote in between, and the writer adopts the new state after checking it
// against the log. The state is a hint, never trusted over the log:
//   - file longer than the state says: a writer died after writing; its complete batches are adopted and a
//     torn tail after them is truncated;
//   - state unreadable or ahead of the file: full recovery of the newest segment (from its last index
//     entry that verifies, scanning to the end).
// Recovery therefore reads the newest segment only, whatever the size of the shard.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "kds/batch.h"
#include "kds/cipher.h"
#include "kds/file.h"
#include "kds/group_commit.h"
#include "kds/report.h"
#include "kds/segment.h"
#include "kds/status.h"
#include "kds/writer_state.h"

namespace kds {

struct SegmentPolicy {
  uint64_t max_bytes = 64ull << 20;  // roll before a batch would take the segment past this size
  int64_t max_age_ms = 3600 * 1000;  // roll when the segment's first batch is this old
  // Retention: segments before the active one whose records have all expired are deleted, oldest first,
  // and so are the oldest of them while the shard holds more than max_shard_bytes. The newest segment is
  // never deleted; it is rolled first when everything in it has expired.
  int64_t retention_ms = 0;      // 0: records do not expire
  int64_t trim_before_ms = 0;    // records that arrived before this have expired regardless
  uint64_t max_shard_bytes = 0;  // 0: no size cap

  bool has_retention() const { return retention_ms > 0 || trim_before_ms > 0 || max_shard_bytes > 0; }
  int64_t expiry_boundary_ms(int64_t now_ms) const;
};

// A batch ready to append, but for what is only known under the shard lock (offset, arrival time, and
// so the encryption, whose associated data covers them).
struct PreparedBatch {
  std::string_view payload;  // the raw records, or one zstd frame of them (codec)
  uint32_t record_count = 0;
  uint32_t raw_size = 0;                // size of the raw records
  uint8_t codec = 0;                    // 0 or kBatchCodecZstd
  std::optional<uint32_t> payload_crc;  // CRC-32C of `payload` when already known
  uint32_t shard_index = 0;             // bound into the encryption's associated data
};

// What the fence decides under the shard lock.
struct FenceDecision {
  bool open = true;                      // false: a reshard has closed the shard
  const StreamCipher* cipher = nullptr;  // encrypt the batch with this (the stream's current key)
};

struct AppendResult {
  bool shard_closed = false;  // nothing was written: the shard was closed by a reshard
  uint64_t first_offset = 0;
  int64_t arrival_ms = 0;
  bool encrypted = false;
};

class ShardWriter {
 public:
  // `shard` is the shard directory; `label` names it in messages. Nothing is opened, locked or read until
  // the first append. `reporter` (may be null) must outlive the writer. With `sync_on_roll`, a segment this
  // writer wrote to is fdatasynced before the writer moves on to the next one.
  ShardWriter(Dir shard, SegmentPolicy policy, Reporter* reporter, bool sync_on_roll);
  ~ShardWriter() { unlock(); }
  ShardWriter(const ShardWriter&) = delete;
  ShardWriter& operator=(const ShardWriter&) = delete;

  // Decides, under the shard lock, whether and how an append goes ahead (see FenceDecision); an error (e.g.
  // the stream was deleted) aborts it.
  using Fence = std::function<Result<FenceDecision>()>;

  // Appends `batch` as one batch. `fence` (may be empty) runs under the shard lock before anything is
  // written. On an I/O error nothing of the batch stays in the log.
  Result<AppendResult> append(const PreparedBatch& batch, const Fence& fence);
  // The same for a plain batch: uncompressed, unencrypted, no fence.
  Result<AppendResult> append(const BatchBuilder& batch);

  // Takes the shard lock and brings the state up to date with the log (repairing a torn tail), for a caller
  // that must keep appends out while it changes the stream, e.g. to close the shard. The state then says
  // where the shard ends. Holds only the lock file open until unlock() (or destruction).
  Result<WriterState> lock();
  void unlock();
  // After lock(): hands over the locked descriptor (the lock lasts until it is closed) and forgets it, so
  // a caller holding thousands of shards needs one descriptor for each, not the writer's two.
  Fd release_lock();

  void set_policy(const SegmentPolicy& policy) { policy_ = policy; }

  // Takes the lock and deletes what the retention policy allows (see SegmentPolicy); for callers that do
  // not append, such as kds-set-retention. Appends do the same at most once a minute.
  Status apply_retention();

  // Hands the sync of what this writer appended to the caller: the segment the last append wrote to (a
  // duplicate descriptor, shared by the calls until the writer opens a segment again), or nothing when
  // nothing is unsynced. The caller's
  // fdatasync runs without the lock, so concurrent writers' syncs overlap. The writer counts the data as
  // synced from now on (it syncs a segment it leaves only if it appended to it since).
  Result<std::optional<SyncFile>> take_unsynced();

  // The state after the last append (valid only after one).
  const WriterState& state() const { return state_; }

 private:
  // Releases the lock when an operation that took it returns, however it returns.
  struct UnlockAtExit {
    ShardWriter* writer;
    ~UnlockAtExit() { writer->unlock(); }
  };

  // In shard_writer.cpp.
  Status acquire();
  Status load_state();
  Status open_segment(uint64_t base, bool create);
  Status roll();
  Status write_state();
  void add_index_entry(uint64_t position, uint64_t offset, int64_t arrival_ms);
  // In shard_recovery.cpp.
  Status adopt(const WriterState& state);
  Status recover();
  Status mend_older_segments(const std::vector<uint64_t>& bases);
  Status reconcile(uint64_t from);
  // In shard_retention.cpp.
  Status enforce_retention();

  Dir shard_;
  SegmentPolicy policy_;
  Reporter* reporter_;
  bool sync_on_roll_;
  Fd lock_fd_;
  Fd index_fd_;
  SegmentReader segment_;
  std::shared_ptr<const Fd> sync_fd_;  // segment_'s duplicate for take_unsynced, made at its first call
  dev_t sync_dev_ = 0;
  ino_t sync_ino_ = 0;
  WriterState state_;
  bool have_state_ = false;
  bool dirty_ = false;                     // appended since the last sync
  bool locked_ = false;                    // this writer holds the flock
  std::string sealed_;                     // encrypted payload of the batch being appended
  int64_t last_retention_ms_ = INT64_MIN;  // when retention was last enforced by this writer
};

}  // namespace kds
