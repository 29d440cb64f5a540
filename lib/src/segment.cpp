// Segment files: naming and listing them, reading their batches through a read-ahead buffer, scanning
// for the valid run of batches, resynchronising after damage, and keeping damaged bytes aside.
#include "kds/segment.h"

#include <fcntl.h>

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

namespace kds {

namespace {

// Large enough that sequential reads cost few system calls, small enough that a lookup reads little.
constexpr size_t kReadAhead = 256 << 10;

}  // namespace

std::string segment_file_name(uint64_t base) {
  return fmt::format("{:020}.log", base);
}

std::optional<uint64_t> parse_segment_file_name(std::string_view name) {
  if (name.size() != 24 || name.substr(20) != ".log") return std::nullopt;
  uint64_t value = 0;
  for (size_t i = 0; i < 20; ++i) {
    const char c = name[i];
    if (c < '0' || c > '9') return std::nullopt;
    const uint64_t digit = static_cast<uint64_t>(c - '0');
    if (value > (UINT64_MAX - digit) / 10) return std::nullopt;
    value = value * 10 + digit;
  }
  return value;
}

Result<std::vector<uint64_t>> list_segments(const Dir& shard) {
  KDS_ASSIGN(auto names, shard.list());
  std::vector<uint64_t> bases;
  for (const auto& name : names) {
    if (auto base = parse_segment_file_name(name)) bases.push_back(*base);
  }
  std::sort(bases.begin(), bases.end());
  return bases;
}

Result<std::vector<std::string>> orphan_indexes(const Dir& shard, const std::vector<uint64_t>& bases) {
  KDS_ASSIGN(auto names, shard.list());
  std::vector<std::string> orphans;
  for (const auto& name : names) {
    if (name.size() != 24 || !name.ends_with(".idx")) continue;
    const auto base = parse_segment_file_name(name.substr(0, 20) + ".log");
    if (base && !std::binary_search(bases.begin(), bases.end(), *base)) orphans.push_back(name);
  }
  return orphans;
}

Status remove_orphan_indexes(const Dir& shard, const std::vector<uint64_t>& bases) {
  KDS_ASSIGN(auto orphans, orphan_indexes(shard, bases));
  for (const auto& name : orphans)
    KDS_TRY(shard.unlink(name));
  return {};
}

Result<const char*> SegmentReader::fill(uint64_t position, size_t size, uint64_t file_size,
                                        size_t* available) {
  const uint64_t want_end = std::min<uint64_t>(position + size, file_size);
  const uint64_t buffer_end = buffer_position_ + buffer_size_;
  if (position >= buffer_position_ && want_end <= buffer_end) {
    *available = static_cast<size_t>(std::min<uint64_t>(buffer_end, file_size) - position);
    return buffer_.get() + (position - buffer_position_);
  }
  const size_t want = static_cast<size_t>(want_end - position);
  const size_t read_size =
      std::max(want, static_cast<size_t>(std::min<uint64_t>(kReadAhead, file_size - position)));
  if (buffer_capacity_ < read_size) {
    buffer_size_ = 0;
    buffer_ = std::make_unique_for_overwrite<char[]>(read_size);
    buffer_capacity_ = read_size;
  }
  size_t got = 0;
  KDS_TRY(pread_full(fd_.get(), buffer_.get(), read_size, position, &got, path_));
  buffer_position_ = position;
  buffer_size_ = got;
  *available = got;
  return buffer_.get();
}

Result<BatchCheck> SegmentReader::read_batch(uint64_t position, uint64_t file_size, BatchHeader* header,
                                             const char** bytes) {
  KDS_ASSIGN(BatchCheck check, examine_batch(position, file_size, header, bytes));
  // Bytes that did not form a valid batch may be a torn tail that a writer is about to truncate and
  // overwrite: never serve them from the buffer again.
  if (check != BatchCheck::kOk) buffer_size_ = 0;
  return check;
}

Result<BatchCheck> SegmentReader::examine_batch(uint64_t position, uint64_t file_size, BatchHeader* header,
                                                const char** bytes) {
  if (position >= file_size) return BatchCheck::kIncomplete;
  size_t available = 0;
  KDS_ASSIGN(const char* data, fill(position, kBatchHeaderSize, file_size, &available));
  // Fewer header bytes than asked for means end of file (or a file that shrank under us).
  const uint64_t claimable = available < kBatchHeaderSize ? available : file_size - position;
  const BatchCheck check = parse_batch_header(data, claimable, header);
  if (check != BatchCheck::kOk) return check;
  KDS_ASSIGN(data, fill(position, header->total_size(), file_size, &available));
  if (available < header->total_size()) return BatchCheck::kIncomplete;
  if (!batch_checksum_ok(data, *header)) return BatchCheck::kBadChecksum;
  *bytes = data;
  return BatchCheck::kOk;
}

Result<std::optional<uint64_t>> SegmentReader::find_next_valid(uint64_t from, uint64_t file_size,
                                                               uint64_t min_offset) {
  const uint32_t magic = kBatchMagic;
  uint64_t position = from + 1;
  while (position + kBatchHeaderSize <= file_size) {
    size_t available = 0;
    KDS_ASSIGN(const char* data, fill(position, kReadAhead, file_size, &available));
    if (available < kBatchHeaderSize) return std::optional<uint64_t>();
    const void* hit = memmem(data, available, &magic, sizeof magic);
    if (hit == nullptr) {
      position += available - (sizeof magic - 1);
      continue;
    }
    const uint64_t candidate = position + static_cast<uint64_t>(static_cast<const char*>(hit) - data);
    BatchHeader header;
    const char* bytes = nullptr;
    KDS_ASSIGN(BatchCheck check, read_batch(candidate, file_size, &header, &bytes));
    if (check == BatchCheck::kOk && header.first_offset >= min_offset)
      return std::optional<uint64_t>(candidate);
    position = candidate + 1;
  }
  return std::optional<uint64_t>();
}

Result<ScanResult> scan_run(SegmentReader& reader, uint64_t from, uint64_t file_size,
                            uint64_t expected_offset) {
  return scan_run(reader, from, file_size, expected_offset, [](uint64_t, const BatchHeader&) {});
}

Result<IndexEntry> last_verified_entry(SegmentReader& reader, const std::vector<IndexEntry>& entries,
                                       uint64_t file_size, size_t* kept) {
  for (size_t i = entries.size(); i-- > 0;) {
    BatchHeader header;
    const char* bytes = nullptr;
    KDS_ASSIGN(BatchCheck check, reader.read_batch(entries[i].position, file_size, &header, &bytes));
    if (check == BatchCheck::kOk && header.first_offset == entries[i].offset &&
        header.arrival_ms == entries[i].arrival_ms) {
      *kept = i + 1;
      return entries[i];
    }
  }
  *kept = 0;
  return IndexEntry{reader.base(), 0, 0};
}

Result<std::string> quarantine_bytes(const Dir& shard, SegmentReader& reader, uint64_t start, uint64_t end) {
  auto made = shard.make_dir("quarantine");
  if (!made.ok() && made.error().sys_errno() != EEXIST) return made.error();
  KDS_ASSIGN(Dir quarantine, shard.open_dir("quarantine"));
  std::string bytes(static_cast<size_t>(end - start), '\0');
  size_t got = 0;
  KDS_TRY(pread_full(reader.fd(), bytes.data(), bytes.size(), start, &got, reader.path()));
  bytes.resize(got);
  const std::string name = fmt::format("{:020}-{}.bad", reader.base(), start);
  KDS_TRY(quarantine.write_file_atomic(name, bytes));
  return quarantine.path_of(name);
}

Result<ScanResult> scan_segment_tail(const Dir& shard, uint64_t base) {
  KDS_ASSIGN(Fd fd, shard.open_file(segment_file_name(base), O_RDONLY));
  SegmentReader reader(std::move(fd), shard.path_of(segment_file_name(base)), base);
  KDS_ASSIGN(uint64_t size, reader.size());
  size_t kept = 0;
  KDS_ASSIGN(IndexEntry start, last_verified_entry(reader, load_index(shard, base, size), size, &kept));
  KDS_ASSIGN(ScanResult run, scan_run(reader, start.position, size, start.offset));
  if (run.last_arrival_ms < 0 && kept > 0) run.last_arrival_ms = start.arrival_ms;
  return run;
}

}  // namespace kds
