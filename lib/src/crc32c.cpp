// ISA-L's crc32_iscsi picks an SSE4.2/PCLMUL kernel at run time; its convention is the bit-inverse of
// the standard CRC-32C, hence the complements.
#include "kds/crc32c.h"

#include <isa-l/crc.h>

#include <climits>

namespace kds {

uint32_t crc32c_extend(uint32_t crc, const void* data, size_t size) {
  auto* bytes = static_cast<unsigned char*>(const_cast<void*>(data));
  uint32_t state = ~crc;
  while (size > 0) {
    const int chunk = size > static_cast<size_t>(INT_MAX / 2) ? INT_MAX / 2 : static_cast<int>(size);
    state = crc32_iscsi(bytes, chunk, state);
    bytes += chunk;
    size -= static_cast<size_t>(chunk);
  }
  return ~state;
}

}  // namespace kds
