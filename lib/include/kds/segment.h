// Segment files: naming and listing them, reading batches with a read-ahead buffer, scanning for the
// valid run of batches, resynchronising after damage, and checking index entries against the log. The
// index codec is in index.h, included here.
//
// A shard directory holds segments `<base>.log`, where <base> is the offset of the segment's first record
// zero-padded to 20 digits (so `ls` order is offset order), each with an index `<base>.idx` (index.h).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kds/batch.h"
#include "kds/file.h"
#include "kds/index.h"
#include "kds/status.h"

namespace kds {

// The log file of the segment whose first offset is `base`.
std::string segment_file_name(uint64_t base);
// The base offset of a "<20 digits>.log" name, else nullopt.
std::optional<uint64_t> parse_segment_file_name(std::string_view name);
// Bases of the segments in a shard directory, ascending.
Result<std::vector<uint64_t>> list_segments(const Dir& shard);

// Index files whose segment is gone (a deletion interrupted between the two unlinks), by name.
Result<std::vector<std::string>> orphan_indexes(const Dir& shard, const std::vector<uint64_t>& bases);
// Removes them.
Status remove_orphan_indexes(const Dir& shard, const std::vector<uint64_t>& bases);

// Reads batches of one segment file through a buffer. The file may grow while it is read.
class SegmentReader {
 public:
  SegmentReader() = default;
  SegmentReader(Fd fd, std::string path, uint64_t base)
      : fd_(std::move(fd)), path_(std::move(path)), base_(base) {}

  // Examines the batch at `position`, reading no further than `file_size`. On kOk the checksum has been
  // verified too (a bad one gives kBadChecksum) and *bytes points at the batch until the next call.
  Result<BatchCheck> read_batch(uint64_t position, uint64_t file_size, BatchHeader* header,
                                const char** bytes);

  // The first position after `from` (exclusive) below `file_size` that holds a complete, checksummed batch
  // whose first offset is at least `min_offset`; nullopt if there is none.
  Result<std::optional<uint64_t>> find_next_valid(uint64_t from, uint64_t file_size, uint64_t min_offset);

  Result<uint64_t> size() const { return file_size(fd_.get(), path_); }
  int fd() const { return fd_.get(); }
  const std::string& path() const { return path_; }
  uint64_t base() const { return base_; }
  bool is_open() const { return fd_.valid(); }

 private:
  Result<BatchCheck> examine_batch(uint64_t position, uint64_t file_size, BatchHeader* header,
                                   const char** bytes);
  // Makes [position, position + size) available in the buffer (less at end of file); returns a pointer to
  // `position` and sets *available to the bytes present there.
  Result<const char*> fill(uint64_t position, size_t size, uint64_t file_size, size_t* available);

  Fd fd_;
  std::string path_;
  uint64_t base_ = 0;
  // Not a vector: growing one zero-fills bytes that pread overwrites at once, a cost a one-record lookup
  // (which reads a whole batch) paid on every start.
  std::unique_ptr<char[]> buffer_;
  size_t buffer_capacity_ = 0;
  uint64_t buffer_position_ = 0;
  size_t buffer_size_ = 0;
};

// The continuous run of valid batches starting at `from` whose offsets continue `expected_offset`.
struct ScanResult {
  uint64_t end_position = 0;     // just after the last valid batch of the run (== from when none)
  uint64_t next_offset = 0;      // offset after the run
  int64_t last_arrival_ms = -1;  // arrival time of the run's last batch, -1 when the run is empty
  bool complete = false;         // true when the run reaches `file_size` exactly
};
// Calls `on_batch(position, header)` for each batch of the run when given.
template <class OnBatch>
Result<ScanResult> scan_run(SegmentReader& reader, uint64_t from, uint64_t file_size,
                            uint64_t expected_offset, OnBatch&& on_batch);
Result<ScanResult> scan_run(SegmentReader& reader, uint64_t from, uint64_t file_size,
                            uint64_t expected_offset);

// The last index entry of `entries` whose batch verifies and has the offset the entry claims; an entry
// for the segment start ({base, 0, 0}) when none does. Sets *kept to the number of entries up to it.
Result<IndexEntry> last_verified_entry(SegmentReader& reader, const std::vector<IndexEntry>& entries,
                                       uint64_t file_size, size_t* kept);

// Where the valid run of segment `base` ends, scanning from its last verified index entry.
Result<ScanResult> scan_segment_tail(const Dir& shard, uint64_t base);

// Copies bytes [start, end) of the segment `reader` reads to <shard>/quarantine/<base>-<start>.bad, so a
// repair that takes them out of the log never destroys them; returns the copy's path.
Result<std::string> quarantine_bytes(const Dir& shard, SegmentReader& reader, uint64_t start, uint64_t end);

template <class OnBatch>
Result<ScanResult> scan_run(SegmentReader& reader, uint64_t from, uint64_t file_size,
                            uint64_t expected_offset, OnBatch&& on_batch) {
  ScanResult result{from, expected_offset, -1, false};
  for (;;) {
    if (result.end_position == file_size) {
      result.complete = true;
      return result;
    }
    BatchHeader header;
    const char* bytes = nullptr;
    KDS_ASSIGN(BatchCheck check, reader.read_batch(result.end_position, file_size, &header, &bytes));
    if (check != BatchCheck::kOk || header.first_offset != result.next_offset) return result;
    on_batch(result.end_position, header);
    result.end_position += header.total_size();
    result.next_offset = header.end_offset();
    result.last_arrival_ms = header.arrival_ms;
  }
}

}  // namespace kds
