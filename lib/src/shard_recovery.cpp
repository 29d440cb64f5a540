// Recovery of a shard: checking the writer state against the log and repairing the log where a crash
// left it short, torn or ahead of the state (docs/format.md §5). ShardWriter member functions, run under
// the shard lock; the rest of ShardWriter is in shard_writer.cpp.
#include <fcntl.h>

#include <algorithm>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "kds/damage.h"
#include "kds/shard_writer.h"

namespace kds {

namespace {

// Truncates the segment `reader` reads at `end` (the end of its valid run), keeping bytes [end, size)
// aside in the quarantine first, and reports the repair as `what`.
Status cut_tail(const Dir& shard, SegmentReader& reader, uint64_t end, uint64_t size, Reporter* reporter,
                std::string_view what) {
  KDS_ASSIGN(std::string kept, quarantine_bytes(shard, reader, end, size));
  if (reporter != nullptr) {
    reporter->repaired({reader.path(), end, size - end, fmt::format("{} (bytes kept in {})", what, kept)});
  }
  return truncate_file(reader.fd(), end, reader.path());
}

}  // namespace

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
    // The active segment is the newest; the writer does not know a closed shard's end offset.
    KDS_ASSIGN(Damage damage, examine_run_end(segment_, run.end_position, size, run.next_offset, std::nullopt,
                                              std::nullopt));
    if (damage.kind == DamageKind::kTornTail) {
      // Kept aside before truncating, as in mend_older_segments: a damaged last batch looks like a torn one.
      KDS_TRY(cut_tail(shard_, segment_, run.end_position, size, reporter_,
                       describe_damage(damage) + "; truncated"));
      KDS_TRY(sync_data(segment_.fd(), segment_.path()));
      break;
    }
    // Valid batches follow: the bytes are left where they are, for readers to skip and report and for a
    // repair to quarantine.
    if (reporter_ != nullptr) {
      reporter_->damage({segment_.path(), damage.bytes_start, damage.byte_count(),
                         describe_damage(damage) + "; left in place"});
    }
    position = damage.resume_position;
    expected = damage.resume_offset;
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
  KDS_TRY(mend_older_segments(bases));
  return reconcile(start.position);
}

// After a machine crash, segments rolled over since the last sync (with --sync none) may have lost their
// unsynced tails. Walking back from the newest, each older segment must end exactly where the next one
// begins; a lost tail is truncated at its last valid batch and a lost-range marker names the offsets that
// are gone, so the log stays dense and later readers do not report the loss again. Stops at the first
// segment that is whole, so the cost is that of the segments written since the last sync.
Status ShardWriter::mend_older_segments(const std::vector<uint64_t>& bases) {
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
    if (run.next_offset > next_base) return {};  // overlapping segments: damage for kds-fsck to report
    KDS_ASSIGN(Damage damage,
               examine_run_end(reader, run.end_position, size, run.next_offset, next_base, std::nullopt));
    if (damage.kind == DamageKind::kNone && index_whole) return {};
    if (damage.kind == DamageKind::kDamageThenValid || damage.kind == DamageKind::kMissingBeforeBatch) {
      // Valid batches after the failure mean damage, not a lost tail: leave every byte where it is, for
      // readers to skip and report and for a repair to quarantine.
      if (reporter_ != nullptr) {
        reporter_->damage({reader.path(), damage.bytes_start, damage.byte_count(),
                           describe_damage(damage) + "; left in place"});
      }
      return {};
    }
    if (damage.kind == DamageKind::kDamageAtEnd) {
      // A tail that never reached the disk whole. Its bytes are kept aside all the same: a flipped bit in
      // a synced last batch looks the same, and acknowledged data is never destroyed.
      KDS_TRY(cut_tail(shard_, reader, damage.bytes_start, size, reporter_,
                       "tail lost in a crash before it was synced; truncated"));
    }
    if (damage.loses_offsets()) {
      // A lost tail or a gap: markers name the offsets that are gone, so the log stays dense.
      const int64_t arrival_ms = std::max<int64_t>(run.last_arrival_ms, 0);
      const std::string markers =
          encode_lost_range(damage.lost_from, damage.lost_end - damage.lost_from, arrival_ms);
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
                         damage.lost_from, damage.lost_end - 1)});
      }
    }
    KDS_TRY(sync_data(reader.fd(), reader.path()));
    KDS_TRY(shard_.write_file_atomic(index_file_name(bases[i]), build_index(bases[i], batches)));
    next_base = bases[i];
  }
  return {};
}

}  // namespace kds
