// Checking and repairing one shard for kds-fsck (shard_check.h).
#include "kds/shard_check.h"

#include <fcntl.h>

#include <algorithm>
#include <map>
#include <optional>

#include <fmt/format.h>

#include "kds/batch_payload.h"
#include "kds/damage.h"
#include "kds/segment.h"
#include "kds/shard_writer.h"

namespace kds {

namespace {

// A change to a segment: bytes [start, end) are replaced by `replacement` (a lost-range marker, or
// nothing); with `quarantine`, the bytes are kept in the shard's quarantine directory first.
struct Edit {
  uint64_t start = 0;
  uint64_t end = 0;
  std::string replacement;
  bool quarantine = false;
  size_t problem = 0;  // index into the shard's problems, marked repaired when the edit is applied
};

class ShardCheck {
 public:
  ShardCheck(const Stream& stream, const ShardMeta& meta, Dir dir, const FsckOptions& options,
             FsckTotals* totals)
      : stream_(stream), meta_(meta), dir_(std::move(dir)), options_(options), totals_(totals) {}

  Status run() {
    KDS_ASSIGN(Fd lock, dir_.open_file(kWriterLockName, O_RDWR | O_CREAT));
    // Appends wait while the shard is checked, so a write in flight is never taken for damage.
    KDS_TRY(lock_file(lock, dir_.path_of(kWriterLockName)));
    KDS_ASSIGN(auto names, dir_.list());
    for (const auto& name : names) {
      if (!is_leftover(name)) continue;
      const size_t at = problem(dir_.path_of(name), 0, "leftover temporary file of an interrupted write");
      if (options_.repair || options_.gc) {
        KDS_TRY(dir_.unlink(name));
        repaired(at);
      }
    }
    KDS_ASSIGN(auto bases, list_segments(dir_));
    KDS_ASSIGN(auto orphans, orphan_indexes(dir_, bases));
    for (const auto& name : orphans) {
      const size_t at = problem(dir_.path_of(name), 0, "index without its segment (an interrupted deletion)");
      if (options_.repair || options_.gc) {
        KDS_TRY(dir_.unlink(name));
        repaired(at);
      }
    }
    expected_ = bases.empty() ? 0 : bases.front();
    for (size_t i = 0; i < bases.size(); ++i) {
      const uint64_t next_base = i + 1 < bases.size() ? bases[i + 1] : UINT64_MAX;
      KDS_TRY(check_segment(bases[i], next_base));
    }
    if (!bases.empty()) {
      // The newest segment's end, against a closed shard's recorded end offset.
      const Damage end = classify_damage({0, 0, expected_, std::nullopt, std::nullopt, meta_.end_offset});
      if (end.kind != DamageKind::kNone) {
        const size_t at = problem(dir_.path(), 0, describe_damage(end));
        // Marking the missing records lost lets readers pass them without reporting them again.
        if (end.kind == DamageKind::kClosedShardShort && options_.repair) {
          KDS_TRY(mark_lost_at_end(bases.back(), at));
        }
      }
    }
    if (changed_) {
      // Writers rebuild their state from the repaired log.
      KDS_TRY(truncate_file(lock.get(), 0, dir_.path_of(kWriterLockName)));
    }
    ++totals_->shards;
    return {};
  }

 private:
  size_t problem(const std::string& path, uint64_t position, std::string what) {
    problems_.push_back({stream_.name(), meta_.id(), path, position, std::move(what), false});
    ++totals_->problems;
    return problems_.size() - 1;
  }
  void repaired(size_t index) {
    problems_[index].repaired = true;
    ++totals_->repaired;
  }

 public:
  // Problems are reported when the shard is done, so each says whether it was repaired.
  void flush_reports() {
    for (const auto& p : problems_) {
      if (options_.on_problem) options_.on_problem(p);
    }
  }

 private:
  // What check_segment gathers while it walks one segment.
  struct SegmentScan {
    std::string path;
    uint64_t size = 0;
    std::vector<Edit> edits;
    std::vector<IndexEntry> batches;  // every valid batch, for checking and rebuilding the index
    int64_t last_arrival = 0;         // of the segment's last valid batch so far
  };

  // Walks segment `base` batch by batch from expected_ on, reporting (and with --repair, mending) what
  // breaks the run of offsets; `next_base` is the next segment's base, UINT64_MAX for the newest.
  Status check_segment(uint64_t base, uint64_t next_base) {
    const std::string name = segment_file_name(base);
    SegmentScan scan;
    scan.path = dir_.path_of(name);
    KDS_ASSIGN(Fd fd, dir_.open_file(name, O_RDONLY));
    SegmentReader reader(std::move(fd), scan.path, base);
    KDS_ASSIGN(scan.size, reader.size());
    ++totals_->segments;
    totals_->bytes += scan.size;
    check_segment_start(base, scan.path);

    std::optional<uint64_t> next_segment_base;
    if (next_base != UINT64_MAX) next_segment_base = next_base;
    uint64_t position = 0;
    while (position < scan.size) {
      if (options_.on_progress) options_.on_progress(totals_->bytes - scan.size + position, 0);
      BatchHeader header;
      const char* bytes = nullptr;
      KDS_ASSIGN(BatchCheck check, reader.read_batch(position, scan.size, &header, &bytes));
      if (check == BatchCheck::kOk && header.first_offset == expected_) {
        accept_batch(scan, position, header, bytes);
        position += header.total_size();
        continue;
      }
      KDS_ASSIGN(Damage damage, examine_run_end(reader, position, scan.size, expected_, next_segment_base,
                                                meta_.end_offset));
      plan_repair(scan, damage);
      expected_ = std::max(expected_, damage.resume_offset);
      position = damage.resume_position;
    }
    if (!scan.edits.empty() && options_.repair) {
      KDS_TRY(rewrite(base, reader, scan.size, scan.edits));
      return check_index(base, /*rebuild=*/true);
    }
    return check_index(base, false, &scan.batches, scan.size);
  }

  // Reports a segment that does not start where the previous one ended (which ended cleanly: damage at its
  // end was reported with the offsets up to this base), and starts counting at its base.
  void check_segment_start(uint64_t base, const std::string& path) {
    const Damage damage = classify_damage({0, 0, expected_, std::nullopt, base, std::nullopt});
    if (damage.kind != DamageKind::kNone) problem(path, 0, describe_damage(damage));
    expected_ = base;
  }

  // A verified batch at `position` that continues the offsets: its records are checked and counted.
  void accept_batch(SegmentScan& scan, uint64_t position, const BatchHeader& header, const char* bytes) {
    if (const std::string failed = open_payload(header, bytes); !failed.empty()) {
      // The checksum holds, so the bytes are as written: a tampered batch, or a writer's bug.
      problem(scan.path, position,
              fmt::format("{}; records at offsets {}..{} cannot be read", failed, header.first_offset,
                          header.end_offset() - 1));
    }
    scan.batches.push_back({header.first_offset, position, header.arrival_ms});
    ++totals_->batches;
    if (!header.lost_range()) totals_->records += header.record_count;
    scan.last_arrival = last_arrival_ms_ = header.arrival_ms;
    expected_ = header.end_offset();
  }

  // Reports what the damage policy found where the run of batches broke and plans the repair: the bytes
  // (if any) go to the quarantine, and a lost-range marker (if offsets are lost) takes their place.
  void plan_repair(SegmentScan& scan, const Damage& damage) {
    const size_t at = problem(scan.path, damage.bytes_start, describe_damage(damage));
    std::string marker;
    if (damage.loses_offsets()) {
      marker = encode_lost_range(damage.lost_from, damage.lost_end - damage.lost_from, scan.last_arrival);
    }
    scan.edits.push_back(
        {damage.bytes_start, damage.bytes_end, std::move(marker), damage.byte_count() > 0, at});
  }

  // Opens a verified batch's payload as a reader would; returns what failed, or "" when the records
  // decode (or the batch is encrypted under a key that was not given, so cannot be checked further).
  std::string open_payload(const BatchHeader& header, const char* bytes) {
    if (header.lost_range()) return "";
    std::string_view payload;
    const auto outcome = payload_opener_.open(header, bytes, &stream_.keys(), meta_.index, &payload);
    if (outcome == PayloadOpener::Outcome::kNoKey) return "";
    if (outcome != PayloadOpener::Outcome::kOk) return std::string(PayloadOpener::failure(outcome));
    if (!decode_records(payload, header.record_count, &records_, 0, 0)) {
      return std::string(kUndecodablePayload);
    }
    return "";
  }

  // Appends lost-range markers for a closed shard's missing last offsets to its newest segment, which
  // ends cleanly at expected_ (damage inside it is repaired, or reported, on its own).
  Status mark_lost_at_end(uint64_t base, size_t problem_index) {
    KDS_ASSIGN(ScanResult tail, scan_segment_tail(dir_, base));
    if (!tail.complete || tail.next_offset != expected_) return {};
    const std::string name = segment_file_name(base);
    KDS_ASSIGN(Fd fd, dir_.open_file(name, O_RDWR));
    const std::string markers = encode_lost_range(expected_, *meta_.end_offset - expected_, last_arrival_ms_);
    KDS_TRY(pwrite_full(fd.get(), markers.data(), markers.size(), tail.end_position, dir_.path_of(name)));
    KDS_TRY(sync_data(fd.get(), dir_.path_of(name)));
    repaired(problem_index);
    changed_ = true;
    expected_ = *meta_.end_offset;
    return check_index(base, /*rebuild=*/true);
  }

  // Applies the edits through a temporary file and a rename, keeping quarantined bytes.
  Status rewrite(uint64_t base, SegmentReader& reader, uint64_t size, const std::vector<Edit>& edits) {
    const std::string name = segment_file_name(base);
    const bool truncate_only = edits.size() == 1 && edits[0].end == size && edits[0].replacement.empty();
    if (truncate_only) {
      if (edits[0].quarantine) KDS_TRY(quarantine_bytes(dir_, reader, edits[0].start, edits[0].end));
      KDS_ASSIGN(Fd fd, dir_.open_file(name, O_RDWR));
      KDS_TRY(truncate_file(fd.get(), edits[0].start, dir_.path_of(name)));
      KDS_TRY(sync_data(fd.get(), dir_.path_of(name)));
      repaired(edits[0].problem);
      changed_ = true;
      return {};
    }
    auto copy = [&](uint64_t from, uint64_t to, std::string* out) -> Status {
      out->resize(static_cast<size_t>(to - from));
      size_t got = 0;
      KDS_TRY(pread_full(reader.fd(), out->data(), out->size(), from, &got, reader.path()));
      out->resize(got);
      return {};
    };
    for (const Edit& edit : edits) {
      if (edit.quarantine) KDS_TRY(quarantine_bytes(dir_, reader, edit.start, edit.end));
    }
    const std::string temp = name + ".repair";
    KDS_ASSIGN(Fd out, dir_.open_file(temp, O_WRONLY | O_CREAT | O_TRUNC));
    uint64_t written = 0;
    uint64_t position = 0;
    std::string chunk;
    auto emit = [&](std::string_view bytes) -> Status {
      KDS_TRY(pwrite_full(out.get(), bytes.data(), bytes.size(), written, dir_.path_of(temp)));
      written += bytes.size();
      return {};
    };
    for (const Edit& edit : edits) {
      for (uint64_t at = position; at < edit.start; at += chunk.size()) {
        KDS_TRY(copy(at, std::min(edit.start, at + (4u << 20)), &chunk));
        KDS_TRY(emit(chunk));
      }
      KDS_TRY(emit(edit.replacement));
      position = edit.end;
    }
    for (uint64_t at = position; at < size; at += chunk.size()) {
      KDS_TRY(copy(at, std::min(size, at + (4u << 20)), &chunk));
      KDS_TRY(emit(chunk));
    }
    KDS_TRY(sync_file(out.get(), dir_.path_of(temp)));
    KDS_TRY(dir_.rename(temp, name, false));
    KDS_TRY(dir_.sync());
    for (const Edit& edit : edits)
      repaired(edit.problem);
    changed_ = true;
    return {};
  }

  // Compares the index with the batches found (or, after a rewrite, rebuilds it from the new segment).
  Status check_index(uint64_t base, bool rebuild, const std::vector<IndexEntry>* batches = nullptr,
                     uint64_t size = 0) {
    const std::string name = index_file_name(base);
    std::vector<IndexEntry> found;
    if (rebuild || batches == nullptr) {
      KDS_ASSIGN(Fd fd, dir_.open_file(segment_file_name(base), O_RDONLY));
      SegmentReader reader(std::move(fd), dir_.path_of(segment_file_name(base)), base);
      KDS_ASSIGN(size, reader.size());
      KDS_ASSIGN(ScanResult run, scan_run(reader, 0, size, base, [&](uint64_t at, const BatchHeader& header) {
                   found.push_back({header.first_offset, at, header.arrival_ms});
                 }));
      (void)run;
      batches = &found;
    }
    const std::string wanted = build_index(base, *batches);
    std::optional<size_t> at;
    if (!rebuild) {
      auto bytes = dir_.read_file(name);
      if (!bytes.ok()) {
        at = problem(dir_.path_of(name), 0, "index missing");
      } else {
        std::map<uint64_t, const IndexEntry*> by_position;
        for (const auto& batch : *batches)
          by_position[batch.position] = &batch;
        const auto entries = decode_index(*bytes, base, size);
        const size_t stored =
            bytes->size() < kIndexHeaderSize ? 0 : (bytes->size() - kIndexHeaderSize) / kIndexEntrySize;
        bool consistent =
            entries.size() == stored && bytes->size() == kIndexHeaderSize + stored * kIndexEntrySize;
        for (const auto& entry : entries) {
          auto it = by_position.find(entry.position);
          if (it == by_position.end() || it->second->offset != entry.offset ||
              it->second->arrival_ms != entry.arrival_ms) {
            consistent = false;
          }
        }
        if (!batches->empty() && (entries.empty() || entries.front().position != 0)) consistent = false;
        if (!consistent) at = problem(dir_.path_of(name), 0, "index does not match its segment");
      }
      if (!at) return {};
      if (!options_.repair) return {};
    }
    KDS_TRY(dir_.write_file_atomic(name, wanted));
    if (at) repaired(*at);
    changed_ = true;
    return {};
  }

  const Stream& stream_;
  const ShardMeta& meta_;
  Dir dir_;
  const FsckOptions& options_;
  FsckTotals* totals_;
  uint64_t expected_ = 0;
  int64_t last_arrival_ms_ = 0;  // of the last valid batch met so far
  PayloadOpener payload_opener_;
  std::vector<RecordView> records_;
  bool changed_ = false;
  std::vector<FsckProblem> problems_;
};

}  // namespace

bool is_leftover(std::string_view name) {
  return name.ends_with(".tmp") || name.ends_with(".repair");
}

Status fsck_shard(const Stream& stream, const ShardMeta& shard, Dir dir, const FsckOptions& options,
                  FsckTotals* totals) {
  ShardCheck check(stream, shard, std::move(dir), options, totals);
  Status checked = check.run();
  check.flush_reports();
  return checked;
}

}  // namespace kds
