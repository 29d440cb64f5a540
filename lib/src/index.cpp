// The sparse index codec (docs/format.md §4).
#include "kds/index.h"

#include <fmt/format.h>

#include "kds/bytes.h"

namespace kds {

std::string index_file_name(uint64_t base) {
  return fmt::format("{:020}.idx", base);
}

std::string encode_index_header(uint64_t base) {
  std::string header(kIndexHeaderSize, '\0');
  store<uint32_t>(header.data(), kIndexMagic);
  store<uint32_t>(header.data() + 4, 1);
  store<uint64_t>(header.data() + 8, base);
  return header;
}

void encode_index_entry(uint64_t base, const IndexEntry& entry, char out[kIndexEntrySize]) {
  store<uint32_t>(out, static_cast<uint32_t>(entry.offset - base));
  store<uint32_t>(out + 4, static_cast<uint32_t>(entry.position));
  store<int64_t>(out + 8, entry.arrival_ms);
}

std::vector<IndexEntry> decode_index(std::string_view bytes, uint64_t base, uint64_t segment_size) {
  std::vector<IndexEntry> entries;
  if (bytes.size() < kIndexHeaderSize || load<uint32_t>(bytes.data()) != kIndexMagic ||
      load<uint32_t>(bytes.data() + 4) != 1 || load<uint64_t>(bytes.data() + 8) != base) {
    return entries;
  }
  const size_t count = (bytes.size() - kIndexHeaderSize) / kIndexEntrySize;
  entries.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    const char* p = bytes.data() + kIndexHeaderSize + i * kIndexEntrySize;
    IndexEntry entry{base + load<uint32_t>(p), load<uint32_t>(p + 4), load<int64_t>(p + 8)};
    const bool in_order = entries.empty() ? entry.position == 0 && entry.offset == base
                                          : entry.offset > entries.back().offset &&
                                                entry.position > entries.back().position &&
                                                entry.arrival_ms >= entries.back().arrival_ms;
    if (!in_order || entry.position >= segment_size) break;
    entries.push_back(entry);
  }
  return entries;
}

std::vector<IndexEntry> load_index(const Dir& shard, uint64_t base, uint64_t segment_size) {
  auto bytes = shard.read_file(index_file_name(base));
  if (!bytes.ok()) return {};
  return decode_index(*bytes, base, segment_size);
}

std::string build_index(uint64_t base, const std::vector<IndexEntry>& batches) {
  std::string index = encode_index_header(base);
  uint64_t last = 0;
  for (size_t i = 0; i < batches.size(); ++i) {
    if (i > 0 && batches[i].position < last + kIndexInterval) continue;
    char entry[kIndexEntrySize];
    encode_index_entry(base, batches[i], entry);
    index.append(entry, sizeof entry);
    last = batches[i].position;
  }
  return index;
}

}  // namespace kds
