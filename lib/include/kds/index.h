// The sparse index of a segment, `<base>.idx` (docs/format.md §4): its name, encoding its entries,
// decoding and checking the entries of a stored index, and building the index a writer would write.
//   header (16 bytes): u32 magic "kdsI", u32 version (1), u64 base offset
//   entries (16 bytes each): u32 offset - base, u32 file position of a batch, i64 arrival ms of that batch
// There is an entry for the first batch and then for the first batch starting at least kIndexInterval
// bytes after the previous entry. The index is derived data: every entry is checked against the batch it
// points to before it is used (last_verified_entry in segment.h), and a missing or inconsistent index
// only makes lookups scan.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "kds/file.h"

namespace kds {

inline constexpr uint32_t kIndexMagic = 0x4973646bu;  // bytes "kdsI"
inline constexpr size_t kIndexHeaderSize = 16;
inline constexpr size_t kIndexEntrySize = 16;
inline constexpr uint64_t kIndexInterval = 4096;

// The index file of the segment whose first offset is `base`.
std::string index_file_name(uint64_t base);

struct IndexEntry {
  uint64_t offset = 0;  // offset of the batch's first record
  uint64_t position = 0;
  int64_t arrival_ms = 0;
};

// The header of the index of the segment whose first offset is `base`.
std::string encode_index_header(uint64_t base);
// Requires `entry.offset - base` and `entry.position` to fit in 32 bits (a segment rolls before they
// would not).
void encode_index_entry(uint64_t base, const IndexEntry& entry, char out[kIndexEntrySize]);
// Decodes an index file's bytes: the longest prefix of entries that is strictly increasing in offset and
// position, has non-decreasing arrival times and positions below `segment_size`. A wrong header gives
// no entries.
std::vector<IndexEntry> decode_index(std::string_view bytes, uint64_t base, uint64_t segment_size);
// Reads and decodes `<base>.idx`; a missing or unreadable file gives no entries.
std::vector<IndexEntry> load_index(const Dir& shard, uint64_t base, uint64_t segment_size);

// The index a writer would have written for these batches (every batch of a segment, in order): an entry
// for the first, then one for each batch starting at least kIndexInterval after the last entry.
std::string build_index(uint64_t base, const std::vector<IndexEntry>& batches);

}  // namespace kds
