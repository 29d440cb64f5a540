// CRC-32 (IEEE 802.3, as zlib and gzip compute it): the checksum of event-stream messages (wire.md §5).
// The store's own checksums are CRC-32C (crc32c.h).
#pragma once

#include <cstddef>
#include <cstdint>

namespace kds {

// The CRC-32 of `size` bytes at `data`, 0 for none.
uint32_t crc32(const void* data, size_t size);

}  // namespace kds
