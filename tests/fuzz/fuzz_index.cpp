// Fuzzes the sparse index decoder: whatever the bytes, the entries it keeps must be in order and inside
// the segment, and encoding them again must decode to the same entries.
//
// Input layout: bytes 0-7 = the segment's base offset, 8-11 = the segment size, then the index file.
#include <cstdint>
#include <cstring>
#include <string>

#include "fuzz_support.h"
#include "kds/segment.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 12) return 0;
  uint64_t base;
  uint32_t segment_size;
  std::memcpy(&base, data, sizeof base);
  std::memcpy(&segment_size, data + 8, sizeof segment_size);
  const std::string_view bytes(reinterpret_cast<const char*>(data) + 12, size - 12);

  const auto entries = kds::decode_index(bytes, base, segment_size);
  if (bytes.size() < kds::kIndexHeaderSize && !entries.empty()) kds::fuzz::fail("entries without a header");
  if (entries.size() > (bytes.size() - kds::kIndexHeaderSize) / kds::kIndexEntrySize) {
    kds::fuzz::fail("more entries than the file holds");
  }
  for (size_t i = 0; i < entries.size(); ++i) {
    const auto& entry = entries[i];
    if (entry.position >= segment_size) kds::fuzz::fail("entry beyond the segment");
    if (i == 0 && (entry.offset != base || entry.position != 0))
      kds::fuzz::fail("first entry not at the start");
    if (i > 0 && (entry.offset <= entries[i - 1].offset || entry.position <= entries[i - 1].position ||
                  entry.arrival_ms < entries[i - 1].arrival_ms)) {
      kds::fuzz::fail("entries out of order");
    }
  }

  std::string encoded = kds::encode_index_header(base);
  for (const auto& entry : entries) {
    char out[kds::kIndexEntrySize];
    kds::encode_index_entry(base, entry, out);
    encoded.append(out, sizeof out);
  }
  const auto again = kds::decode_index(encoded, base, segment_size);
  if (again.size() != entries.size()) kds::fuzz::fail("re-encoded index decodes to another length");
  for (size_t i = 0; i < entries.size(); ++i) {
    if (again[i].offset != entries[i].offset || again[i].position != entries[i].position ||
        again[i].arrival_ms != entries[i].arrival_ms) {
      kds::fuzz::fail("re-encoded index decodes to other entries");
    }
  }
  return 0;
}
