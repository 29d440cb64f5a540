// Fuzzes the read path of a shard: the input becomes a segment file (and, optionally, its index) in a
// shard directory, and a ShardReader reads it the way kds-get does: checksums, headers, zstd frames,
// AES-GCM payloads, record decoding, damage reporting. The reader must never crash, never return
// records out of order and never return more records from a batch than its payload can hold.
//
// Input layout: byte 0 = options (bit 0: repair the CRCs so the fuzzer gets past them; bit 1: the shard
// is closed at the offset after what the reader finds valid; bit 2: write the index; bits 3-4: how to
// seek), bytes 1-2 = index length (little-endian), then the index bytes, then the segment bytes.
#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "fuzz_support.h"
#include "kds/batch.h"
#include "kds/cipher.h"
#include "kds/crc32c.h"
#include "kds/file.h"
#include "kds/segment.h"
#include "kds/shard_reader.h"

namespace {

class CountingReporter : public kds::Reporter {
 public:
  void damage(const kds::DamageReport& report) override {
    if (std::getenv("KDS_FUZZ_VERBOSE") != nullptr) std::fprintf(stderr, "damage: %s\n", report.what.c_str());
    ++damaged;
  }
  void repaired(const kds::DamageReport&) override {}
  int damaged = 0;
};

// Rewrites the CRC of every batch whose header parses, walking the bytes as a reader would.
void repair_checksums(std::string* segment) {
  size_t position = 0;
  while (position < segment->size()) {
    kds::BatchHeader header;
    char* at = segment->data() + position;
    if (kds::parse_batch_header(at, segment->size() - position, &header) != kds::BatchCheck::kOk) {
      ++position;
      continue;
    }
    uint32_t crc = kds::crc32c(at + kds::kBatchHeaderSize, header.payload_size);
    crc = kds::crc32c_extend(crc, at + 8, kds::kBatchHeaderSize - 8);
    const uint32_t masked = kds::crc32c_mask(crc);
    std::memcpy(at + 4, &masked, sizeof masked);
    position += header.total_size();
  }
}

void write_whole(const kds::Dir& dir, const std::string& name, std::string_view bytes) {
  auto fd = dir.open_file(name, O_WRONLY | O_CREAT | O_TRUNC);
  if (!fd.ok()) kds::fuzz::fail("cannot write " + name);
  if (!bytes.empty() &&
      ::write(fd->get(), bytes.data(), bytes.size()) != static_cast<ssize_t>(bytes.size())) {
    kds::fuzz::fail("short write of " + name);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string shard_path = kds::fuzz::scratch_dir("shard");
  static const std::shared_ptr<const kds::KeyRing> keys = kds::fuzz::seed_key_ring();
  if (size < 3) return 0;
  const uint8_t options = data[0];
  const size_t index_size = std::min<size_t>(data[1] | (data[2] << 8), size - 3);
  const std::string_view index(reinterpret_cast<const char*>(data) + 3, index_size);
  std::string segment(reinterpret_cast<const char*>(data) + 3 + index_size, size - 3 - index_size);
  if (options & 1) repair_checksums(&segment);

  const kds::Dir shard = kds::fuzz::open_dir(shard_path);
  const std::string log_name = kds::segment_file_name(0);
  const std::string index_name = kds::index_file_name(0);
  write_whole(shard, log_name, segment);
  if (options & 4) {
    write_whole(shard, index_name, index);
  } else {
    (void)shard.unlink(index_name);
  }

  CountingReporter reporter;
  std::optional<uint64_t> end_offset;
  if (options & 2) end_offset = index_size;  // any value: damage before it must be reported, not hidden
  kds::ShardReader reader(kds::fuzz::open_dir(shard_path), &reporter, end_offset);
  reader.set_decryption(keys, 0);
  kds::ReadStart start;
  switch ((options >> 3) & 3) {
    case 0:
      break;
    case 1:
      start = {kds::ReadStart::Kind::kOffset, index_size, 0};
      break;
    case 2:
      start = {kds::ReadStart::Kind::kTimestamp, 0, static_cast<int64_t>(index_size) << 30};
      break;
    case 3:
      start = {kds::ReadStart::Kind::kLatest, 0, 0};
      break;
  }
  if (!reader.seek(start).ok()) return 0;

  std::vector<kds::ReadRecord> records;
  uint64_t returned = 0;
  uint64_t previous_offset = 0;
  bool any = false;
  for (int batches = 0; batches < 100000; ++batches) {
    auto more = reader.next_batch(&records);
    if (!more.ok() || !*more) break;
    for (const auto& record : records) {
      if (any && record.offset <= previous_offset) kds::fuzz::fail("records out of order");
      previous_offset = record.offset;
      any = true;
    }
    // Each record takes at least two bytes of a raw payload, which is at most kMaxBatchPayload.
    if (records.size() > kds::kMaxBatchPayload / 2) kds::fuzz::fail("more records than a batch can hold");
    returned += records.size();
  }
  // To see what a seed reaches: KDS_FUZZ_VERBOSE=1 fuzz_shard_reader FILE.
  if (std::getenv("KDS_FUZZ_VERBOSE") != nullptr) {
    std::fprintf(stderr, "%llu records, %d damage reports\n", static_cast<unsigned long long>(returned),
                 reporter.damaged);
  }
  return 0;
}
