// Appending to a shard under its lock: taking and releasing `writer.lock`, keeping the writer state and
// the active segment's index, rolling segments and writing batches. Recovery is in shard_recovery.cpp,
// segment retention in shard_retention.cpp.
#include "kds/shard_writer.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>

#include "kds/clock.h"
#include "kds/crc32c.h"

namespace kds {

ShardWriter::ShardWriter(Dir shard, SegmentPolicy policy, Reporter* reporter, bool sync_on_roll)
    : shard_(std::move(shard)), policy_(policy), reporter_(reporter), sync_on_roll_(sync_on_roll) {}

Status ShardWriter::acquire() {
  if (!lock_fd_.valid()) {
    KDS_ASSIGN(lock_fd_, shard_.open_file(kWriterLockName, O_RDWR | O_CREAT));
  }
  KDS_TRY(lock_file(lock_fd_, shard_.path_of(kWriterLockName)));
  locked_ = true;
  return {};
}

Fd ShardWriter::release_lock() {
  locked_ = false;
  have_state_ = false;
  return std::move(lock_fd_);
}

void ShardWriter::unlock() {
  if (locked_) unlock_file(lock_fd_);
  locked_ = false;
}

Result<WriterState> ShardWriter::lock() {
  KDS_TRY(acquire());
  Status loaded = load_state();
  if (!loaded.ok()) {
    unlock();
    return loaded.error();
  }
  // The caller may hold many shards at once: keep only the lock file open.
  segment_ = SegmentReader();
  sync_fd_.reset();
  index_fd_.reset();
  return state_;
}

Status ShardWriter::write_state() {
  const std::string bytes = encode_writer_state(state_);
  return pwrite_full(lock_fd_.get(), bytes.data(), bytes.size(), 0, shard_.path_of(kWriterLockName));
}

Status ShardWriter::load_state() {
  char bytes[kWriterStateSize];
  size_t got = 0;
  KDS_TRY(pread_full(lock_fd_.get(), bytes, sizeof bytes, 0, &got, shard_.path_of(kWriterLockName)));
  const auto stored = decode_writer_state(std::string_view(bytes, got));
  if (!stored) return recover();
  if (!have_state_ || *stored != state_ || !segment_.is_open()) return adopt(*stored);
  return reconcile(state_.end_position);
}

Status ShardWriter::open_segment(uint64_t base, bool create) {
  if (sync_on_roll_ && dirty_ && segment_.is_open()) {
    // Records this writer appended to the segment it is leaving must be durable before it moves on; so
    // must its index, which is final from now on.
    KDS_TRY(sync_data(segment_.fd(), segment_.path()));
    if (index_fd_.valid())
      KDS_TRY(sync_data(index_fd_.get(), shard_.path_of(index_file_name(segment_.base()))));
    dirty_ = false;
  }
  const std::string log_name = segment_file_name(base);
  auto log = shard_.open_file(log_name, O_RDWR);
  bool created = false;
  if (!log.ok() && log.error().sys_errno() == ENOENT && create) {
    log = shard_.open_file(log_name, O_RDWR | O_CREAT);
    created = true;
  }
  if (!log.ok()) return log.error();
  KDS_ASSIGN(index_fd_, shard_.open_file(index_file_name(base), O_RDWR | O_CREAT));
  KDS_ASSIGN(uint64_t index_size, file_size(index_fd_.get(), shard_.path_of(index_file_name(base))));
  if (index_size < kIndexHeaderSize) {
    const std::string header = encode_index_header(base);
    KDS_TRY(
        pwrite_full(index_fd_.get(), header.data(), header.size(), 0, shard_.path_of(index_file_name(base))));
  }
  segment_ = SegmentReader(std::move(log).value(), shard_.path_of(log_name), base);
  sync_fd_.reset();
  // A new segment's name must survive a crash before any record in it is acknowledged.
  if (created) KDS_TRY(shard_.sync());
  return {};
}

void ShardWriter::add_index_entry(uint64_t position, uint64_t offset, int64_t arrival_ms) {
  if (state_.index_entries > 0 && position < state_.last_indexed_position + kIndexInterval) return;
  char entry[kIndexEntrySize];
  encode_index_entry(state_.segment_base, {offset, position, arrival_ms}, entry);
  // The index is derived data: if this write fails, lookups in this stretch scan a little further.
  const uint64_t at = kIndexHeaderSize + state_.index_entries * kIndexEntrySize;
  if (pwrite_full(index_fd_.get(), entry, sizeof entry, at,
                  shard_.path_of(index_file_name(state_.segment_base)))
          .ok()) {
    ++state_.index_entries;
    state_.last_indexed_position = position;
  }
}

Status ShardWriter::roll() {
  const uint64_t base = state_.next_offset;
  state_.segment_base = base;
  state_.end_position = 0;
  state_.index_entries = 0;
  state_.last_indexed_position = 0;
  state_.segment_first_arrival_ms = 0;
  // The state names the new segment before it exists, so a crash in between leaves a state whose segment
  // is simply created by the next writer.
  KDS_TRY(write_state());
  KDS_TRY(open_segment(base, true));
  return reconcile(0);
}

Result<AppendResult> ShardWriter::append(const BatchBuilder& batch) {
  PreparedBatch prepared;
  prepared.payload = batch.payload();
  prepared.record_count = batch.record_count();
  prepared.raw_size = static_cast<uint32_t>(batch.payload().size());
  return append(prepared, {});
}

Result<AppendResult> ShardWriter::append(const PreparedBatch& batch, const Fence& fence) {
  KDS_TRY(acquire());
  UnlockAtExit unlock_at_exit{this};
  FenceDecision decision;
  if (fence) {
    KDS_ASSIGN(decision, fence());
    if (!decision.open) return AppendResult{true, 0, 0, false};
  }
  KDS_TRY(load_state());
  if (!segment_.is_open()) KDS_TRY(open_segment(state_.segment_base, true));
  // Retention needs no daemon: writers enforce it when they start and then at most once a minute.
  if (policy_.has_retention() &&
      (last_retention_ms_ == INT64_MIN || now_ms() - last_retention_ms_ >= 60 * 1000)) {
    KDS_TRY(enforce_retention());
  }

  const int64_t arrival = std::max(now_ms(), state_.last_arrival_ms);
  const uint64_t size =
      kBatchHeaderSize + batch.payload.size() + (decision.cipher != nullptr ? kBatchCipherOverhead : 0);
  const bool non_empty = state_.end_position > 0;
  const bool too_big = non_empty && state_.end_position + size > policy_.max_bytes;
  const bool too_old = non_empty && arrival - state_.segment_first_arrival_ms >= policy_.max_age_ms;
  // Index entries hold offsets and positions relative to the segment in 32 bits.
  const bool too_many = state_.next_offset + batch.record_count - state_.segment_base > UINT32_MAX ||
                        state_.end_position + size > UINT32_MAX;
  if (too_big || too_old || too_many) {
    KDS_TRY(roll());
    // A size cap is held at every roll, not only once a minute: a long burst would otherwise put the shard
    // many times over it.
    if (policy_.max_shard_bytes > 0) KDS_TRY(enforce_retention());
  }

  BatchHeader header;
  header.flags = static_cast<uint8_t>(batch.codec | (decision.cipher != nullptr ? kBatchEncrypted : 0));
  header.payload_size = static_cast<uint32_t>(size - kBatchHeaderSize);
  header.raw_size = batch.raw_size;
  header.record_count = batch.record_count;
  header.first_offset = state_.next_offset;
  header.arrival_ms = arrival;
  char header_bytes[kBatchHeaderSize];
  std::string_view stored = batch.payload;
  uint32_t crc = 0;
  if (decision.cipher != nullptr) {
    encode_batch_header(header, 0, header_bytes);  // fields first: they are the associated data
    sealed_.clear();
    KDS_TRY(decision.cipher->seal(batch_associated_data(header_bytes, batch.shard_index), batch.payload,
                                  &sealed_));
    stored = sealed_;
    crc = crc32c(stored.data(), stored.size());
  } else {
    crc = batch.payload_crc ? *batch.payload_crc : crc32c(stored.data(), stored.size());
  }
  encode_batch_header(header, crc, header_bytes);
  const Status written = pwrite_two(segment_.fd(), std::string_view(header_bytes, sizeof header_bytes),
                                    stored, state_.end_position, segment_.path());
  if (!written.ok()) {
    // Leave no partial batch behind (a full disk is the usual cause).
    (void)truncate_file(segment_.fd(), state_.end_position, segment_.path());
    return written.error();
  }
  add_index_entry(state_.end_position, header.first_offset, arrival);
  if (state_.end_position == 0) state_.segment_first_arrival_ms = arrival;
  state_.end_position += size;
  state_.next_offset = header.end_offset();
  state_.last_arrival_ms = arrival;
  dirty_ = true;
  KDS_TRY(write_state());
  return AppendResult{false, header.first_offset, arrival, decision.cipher != nullptr};
}

Result<std::optional<SyncFile>> ShardWriter::take_unsynced() {
  if (!dirty_ || !segment_.is_open()) return std::optional<SyncFile>();
  if (!sync_fd_) {
    Fd copy(::fcntl(segment_.fd(), F_DUPFD_CLOEXEC, 0));
    struct stat st {};
    if (!copy.valid() || ::fstat(copy.get(), &st) != 0)
      return io_error("cannot duplicate the descriptor of " + segment_.path(), errno);
    sync_fd_ = std::make_shared<const Fd>(std::move(copy));
    sync_dev_ = st.st_dev;
    sync_ino_ = st.st_ino;
  }
  dirty_ = false;
  return std::optional(SyncFile(sync_fd_, segment_.path(), sync_dev_, sync_ino_));
}

}  // namespace kds
