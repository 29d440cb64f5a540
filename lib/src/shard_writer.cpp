#include "kds/shard_writer.h"

#include <fcntl.h>
#include <sys/file.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "kds/bytes.h"
#include "kds/clock.h"
#include "kds/crash_point.h"
#include "kds/crc32c.h"

namespace kds {

namespace {

constexpr uint32_t kStateMagic = 0x5773646bu;  // bytes "kdsW"

}  // namespace

int64_t SegmentPolicy::expiry_boundary_ms(int64_t now_ms) const {
  return retention_ms > 0 ? std::max(trim_before_ms, now_ms - retention_ms) : trim_before_ms;
}

std::string encode_writer_state(const WriterState& state) {
  std::string bytes(kWriterStateSize, '\0');
  char* p = bytes.data();
  store<uint32_t>(p, kStateMagic);
  store<uint32_t>(p + 8, 1);
  store<uint32_t>(p + 12, state.flags);
  store<uint64_t>(p + 16, state.segment_base);
  store<uint64_t>(p + 24, state.end_position);
  store<uint64_t>(p + 32, state.next_offset);
  store<int64_t>(p + 40, state.last_arrival_ms);
  store<int64_t>(p + 48, state.segment_first_arrival_ms);
  store<uint64_t>(p + 56, state.index_entries);
  store<uint64_t>(p + 64, state.last_indexed_position);
  store<uint32_t>(p + 4, crc32c_mask(crc32c(p + 8, kWriterStateSize - 8)));
  return bytes;
}

std::optional<WriterState> decode_writer_state(std::string_view bytes) {
  if (bytes.size() < kWriterStateSize) return std::nullopt;
  const char* p = bytes.data();
  if (load<uint32_t>(p) != kStateMagic || load<uint32_t>(p + 8) != 1) return std::nullopt;
  if (crc32c_unmask(load<uint32_t>(p + 4)) != crc32c(p + 8, kWriterStateSize - 8)) return std::nullopt;
  WriterState state;
  state.flags = load<uint32_t>(p + 12);
  state.segment_base = load<uint64_t>(p + 16);
  state.end_position = load<uint64_t>(p + 24);
  state.next_offset = load<uint64_t>(p + 32);
  state.last_arrival_ms = load<int64_t>(p + 40);
  state.segment_first_arrival_ms = load<int64_t>(p + 48);
  state.index_entries = load<uint64_t>(p + 56);
  state.last_indexed_position = load<uint64_t>(p + 64);
  if (state.next_offset < state.segment_base) return std::nullopt;
  return state;
}

ShardWriter::ShardWriter(Dir shard, SegmentPolicy policy, Reporter* reporter, bool sync_on_roll)
    : shard_(std::move(shard)), policy_(policy), reporter_(reporter), sync_on_roll_(sync_on_roll) {}

Status ShardWriter::acquire() {
  if (!lock_fd_.valid()) {
    KDS_ASSIGN(lock_fd_, shard_.open_file(kWriterLockName, O_RDWR | O_CREAT));
  }
  while (::flock(lock_fd_.get(), LOCK_EX) != 0) {
    if (errno != EINTR) return io_error("cannot lock " + shard_.path_of(kWriterLockName), errno);
  }
  locked_ = true;
  return {};
}

Fd ShardWriter::release_lock() {
  locked_ = false;
  have_state_ = false;
  return std::move(lock_fd_);
}

void ShardWriter::unlock() {
  if (locked_) ::flock(lock_fd_.get(), LOCK_UN);
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
  // A new segment's name must survive a crash before any record in it is acknowledged.
  if (created) KDS_TRY(shard_.sync());
  return {};
}

Status ShardWriter::adopt(const WriterState& stored) {
  if (!segment_.is_open() || segment_.base() != stored.segment_base) {
    KDS_TRY(open_segment(stored.segment_base, true));
  }
  state_ = stored;
  have_state_ = true;
  // An index shorter than the state says (deleted, or lost in a crash) is rebuilt from the log, so the
  // next entry is not written after a stretch of zeros.
  const std::string index_path = shard_.path_of(index_file_name(state_.segment_base));
  KDS_ASSIGN(uint64_t index_size, file_size(index_fd_.get(), index_path));
  if (index_size < kIndexHeaderSize + state_.index_entries * kIndexEntrySize) {
    KDS_TRY(truncate_file(index_fd_.get(), kIndexHeaderSize, index_path));
    state_.index_entries = 0;
    state_.last_indexed_position = 0;
    KDS_ASSIGN(ScanResult run, scan_run(segment_, 0, state_.end_position, state_.segment_base,
                                        [&](uint64_t at, const BatchHeader& header) {
                                          add_index_entry(at, header.first_offset, header.arrival_ms);
                                        }));
    (void)run;
  }
  return reconcile(state_.end_position);
}

// Brings state_ in line with the active segment: adopts complete batches a writer left after the end the
// state records, truncates a torn tail, and reports (without touching) damage that valid batches follow.
Status ShardWriter::reconcile(uint64_t from) {
  KDS_ASSIGN(uint64_t size, segment_.size());
  if (size == state_.end_position) return {};
  if (size < state_.end_position) return recover();
  uint64_t position = from;
  uint64_t expected = state_.next_offset;
  for (;;) {
    KDS_ASSIGN(ScanResult run,
               scan_run(segment_, position, size, expected, [&](uint64_t at, const BatchHeader& header) {
                 if (at == 0) state_.segment_first_arrival_ms = header.arrival_ms;
                 add_index_entry(at, header.first_offset, header.arrival_ms);
               }));
    state_.end_position = run.end_position;
    state_.next_offset = run.next_offset;
    state_.last_arrival_ms = std::max(state_.last_arrival_ms, run.last_arrival_ms);
    if (run.complete) break;
    KDS_ASSIGN(auto next, segment_.find_next_valid(run.end_position, size, run.next_offset));
    if (!next) {
      // Kept aside before truncating, as in seal_older_segments: a damaged last batch looks like a torn one.
      KDS_ASSIGN(std::string kept, quarantine_bytes(shard_, segment_, run.end_position, size));
      if (reporter_ != nullptr) {
        reporter_->repaired(
            {segment_.path(), run.end_position, size - run.end_position,
             fmt::format("torn tail (an append cut short) truncated (bytes kept in {})", kept)});
      }
      KDS_TRY(truncate_file(segment_.fd(), run.end_position, segment_.path()));
      KDS_TRY(sync_data(segment_.fd(), segment_.path()));
      break;
    }
    BatchHeader header;
    const char* bytes = nullptr;
    KDS_ASSIGN(BatchCheck check, segment_.read_batch(*next, size, &header, &bytes));
    (void)check;
    if (reporter_ != nullptr) {
      reporter_->damage({segment_.path(), run.end_position, *next - run.end_position,
                         fmt::format("damaged bytes before valid data; records {}..{} are lost",
                                     run.next_offset, header.first_offset)});
    }
    position = *next;
    expected = header.first_offset;
  }
  return write_state();
}

Status ShardWriter::recover() {
  KDS_ASSIGN(auto bases, list_segments(shard_));
  state_ = WriterState{};
  have_state_ = true;
  if (bases.empty()) return write_state();

  const uint64_t base = bases.back();
  KDS_TRY(open_segment(base, false));
  KDS_ASSIGN(uint64_t size, segment_.size());
  const auto entries = load_index(shard_, base, size);
  // Start from the last index entry whose batch verifies; everything before it was written earlier.
  size_t keep = 0;
  KDS_ASSIGN(IndexEntry start, last_verified_entry(segment_, entries, size, &keep));
  const std::string index_path = shard_.path_of(index_file_name(base));
  KDS_TRY(truncate_file(index_fd_.get(), kIndexHeaderSize + keep * kIndexEntrySize, index_path));
  if (keep == 0) {
    // The header itself may be what was damaged.
    const std::string header = encode_index_header(base);
    KDS_TRY(pwrite_full(index_fd_.get(), header.data(), header.size(), 0, index_path));
  }
  state_.segment_base = base;
  state_.next_offset = start.offset;
  state_.end_position = start.position;
  state_.index_entries = keep;
  state_.last_indexed_position = start.position;
  if (keep > 0) {
    state_.last_arrival_ms = start.arrival_ms;
    state_.segment_first_arrival_ms = entries[0].arrival_ms;
  } else if (bases.size() > 1) {
    // Arrival times must not go backwards across segments: take the previous segment's last one.
    auto previous = scan_segment_tail(shard_, bases[bases.size() - 2]);
    if (previous.ok()) state_.last_arrival_ms = std::max<int64_t>(0, previous->last_arrival_ms);
  }
  KDS_TRY(seal_older_segments(bases));
  return reconcile(start.position);
}

// After a machine crash, segments sealed since the last sync (with --sync none) may have lost their
// unsynced tails. Walking back from the newest, each older segment must end exactly where the next one
// begins; a lost tail is truncated at its last valid batch and a lost-range marker names the offsets that
// are gone, so the log stays dense and later readers do not report the loss again. Stops at the first
// segment that is whole, so the cost is that of the segments written since the last sync.
Status ShardWriter::seal_older_segments(const std::vector<uint64_t>& bases) {
  uint64_t next_base = bases.back();
  for (size_t i = bases.size() - 1; i-- > 0;) {
    const std::string name = segment_file_name(bases[i]);
    KDS_ASSIGN(Fd fd, shard_.open_file(name, O_RDWR));
    SegmentReader reader(std::move(fd), shard_.path_of(name), bases[i]);
    KDS_ASSIGN(uint64_t size, reader.size());
    std::vector<IndexEntry> batches;
    KDS_ASSIGN(ScanResult run,
               scan_run(reader, 0, size, bases[i], [&](uint64_t at, const BatchHeader& header) {
                 batches.push_back({header.first_offset, at, header.arrival_ms});
               }));
    const auto index_bytes = shard_.read_file(index_file_name(bases[i]));
    const bool index_whole = index_bytes.ok() && *index_bytes == build_index(bases[i], batches);
    if (run.complete && run.next_offset == next_base && index_whole) return {};
    if (run.next_offset > next_base) return {};  // overlapping segments: damage for kds-fsck to report
    if (!run.complete) {
      // Valid batches after the failure mean damage, not a lost tail: leave every byte where it is, for
      // readers to skip and report and for kds-fsck --repair to quarantine.
      KDS_ASSIGN(auto valid_after, reader.find_next_valid(run.end_position, size, run.next_offset));
      if (valid_after) {
        if (reporter_ != nullptr) {
          reporter_->damage({reader.path(), run.end_position, *valid_after - run.end_position,
                             "damaged bytes before valid data; left in place for a repair to quarantine"});
        }
        return {};
      }
      // A tail that never reached the disk whole. Its bytes are kept aside all the same: a flipped bit in
      // a synced last batch looks the same, and acknowledged data is never destroyed.
      KDS_ASSIGN(std::string kept, quarantine_bytes(shard_, reader, run.end_position, size));
      if (reporter_ != nullptr) {
        reporter_->repaired(
            {reader.path(), run.end_position, size - run.end_position,
             fmt::format("tail lost in a crash before it was synced; truncated (bytes kept in {})", kept)});
      }
      KDS_TRY(truncate_file(reader.fd(), run.end_position, reader.path()));
    }
    if (run.next_offset < next_base) {
      const int64_t arrival_ms = std::max<int64_t>(run.last_arrival_ms, 0);
      const std::string markers = encode_lost_range(run.next_offset, next_base - run.next_offset, arrival_ms);
      KDS_TRY(pwrite_full(reader.fd(), markers.data(), markers.size(), run.end_position, reader.path()));
      for (size_t at = 0; at < markers.size(); at += kBatchHeaderSize) {
        BatchHeader marker;
        (void)parse_batch_header(markers.data() + at, kBatchHeaderSize, &marker);
        batches.push_back({marker.first_offset, run.end_position + at, arrival_ms});
      }
      if (reporter_ != nullptr) {
        reporter_->repaired(
            {reader.path(), run.end_position, 0,
             fmt::format("records at offsets {}..{} were not synced before a crash and are lost",
                         run.next_offset, next_base - 1)});
      }
    }
    KDS_TRY(sync_data(reader.fd(), reader.path()));
    KDS_TRY(shard_.write_file_atomic(index_file_name(bases[i]), build_index(bases[i], batches)));
    next_base = bases[i];
  }
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

Status ShardWriter::enforce_retention() {
  const int64_t now = now_ms();
  last_retention_ms_ = now;
  const int64_t boundary = policy_.expiry_boundary_ms(now);
  // A newest segment whose records have all expired cannot be deleted while it is the newest: roll it.
  if (state_.end_position > 0 && state_.last_arrival_ms < boundary) {
    if (!segment_.is_open()) KDS_TRY(open_segment(state_.segment_base, true));
    KDS_TRY(roll());
  }
  KDS_ASSIGN(auto bases, list_segments(shard_));
  KDS_TRY(remove_orphan_indexes(shard_, bases));
  std::vector<uint64_t> sizes;
  uint64_t total = 0;
  for (uint64_t base : bases) {
    uint64_t size = 0;
    for (const std::string& name : {segment_file_name(base), index_file_name(base)}) {
      auto st = shard_.stat_entry(name);
      if (st.ok()) size += static_cast<uint64_t>(st->st_size);
    }
    sizes.push_back(size);
    total += size;
  }
  bool deleted = false;
  for (size_t i = 0; i + 1 < bases.size() && bases[i] != state_.segment_base; ++i) {
    const bool over_cap = policy_.max_shard_bytes > 0 && total > policy_.max_shard_bytes;
    if (!over_cap) {
      // A segment whose tail cannot be read (damage) is left for kds-fsck to report, not deleted.
      auto tail = scan_segment_tail(shard_, bases[i]);
      if (!tail.ok() || tail->last_arrival_ms < 0 || tail->last_arrival_ms >= boundary) break;
    }
    // Readers that have the segment open keep reading it: unlink leaves open descriptors valid. The log
    // goes first: an index left behind by a crash is an orphan the next pass removes.
    KDS_TRY(shard_.unlink(segment_file_name(bases[i])));
    crash_point("retention.log-deleted");
    KDS_TRY(shard_.unlink(index_file_name(bases[i])));
    total -= sizes[i];
    deleted = true;
  }
  if (deleted) KDS_TRY(shard_.sync());
  return {};
}

Status ShardWriter::apply_retention() {
  KDS_TRY(acquire());
  struct Unlock {
    ShardWriter* writer;
    ~Unlock() { writer->unlock(); }
  } unlock_at_exit{this};
  KDS_TRY(load_state());
  return enforce_retention();
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
  struct Unlock {
    ShardWriter* writer;
    ~Unlock() { writer->unlock(); }
  } unlock_at_exit{this};
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
  if (too_big || too_old || too_many) KDS_TRY(roll());

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

Result<std::optional<std::pair<Fd, std::string>>> ShardWriter::take_unsynced() {
  if (!dirty_ || !segment_.is_open()) return std::optional<std::pair<Fd, std::string>>();
  const int copy = ::fcntl(segment_.fd(), F_DUPFD_CLOEXEC, 0);
  if (copy < 0) return io_error("cannot duplicate the descriptor of " + segment_.path(), errno);
  dirty_ = false;
  return std::optional(std::pair(Fd(copy), segment_.path()));
}

}  // namespace kds
