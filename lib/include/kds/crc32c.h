// CRC-32C (Castagnoli), the checksum of every batch and of the writer state.
#pragma once

#include <cstddef>
#include <cstdint>

namespace kds {

// Extends `crc` (the CRC-32C of some prefix; 0 for the empty prefix) with `size` more bytes.
uint32_t crc32c_extend(uint32_t crc, const void* data, size_t size);
inline uint32_t crc32c(const void* data, size_t size) { return crc32c_extend(0, data, size); }

// Stored CRCs are masked (rotated and offset) because the CRC of bytes that themselves embed CRCs, as a
// record holding a copy of a batch would, is weak; LevelDB masks for the same reason.
inline uint32_t crc32c_mask(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + 0xa282ead8u; }
inline uint32_t crc32c_unmask(uint32_t masked) {
  const uint32_t rot = masked - 0xa282ead8u;
  return (rot >> 17) | (rot << 15);
}

}  // namespace kds
