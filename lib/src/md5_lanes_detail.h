// The MD5 lane kernels' interface (md5_lanes.h, md5_lanes_kernel.h): plain pointers and sizes, since the
// kernels are compiled for their own instruction sets and must share no inline function with the rest.
#pragma once

#include <cstddef>

namespace kds::md5_lanes_detail {

struct Message {
  const unsigned char* data;
  size_t size;
};

// Each hashes `count` messages into `digests`, 16 bytes each, in order. hash_avx2 requires AVX2 and
// hash_avx512 AVX-512F of the CPU; neither exists outside x86-64 (KDS_MD5_X86).
void hash_lanes4(const Message* messages, size_t count, unsigned char* digests);
void hash_avx2(const Message* messages, size_t count, unsigned char* digests);
void hash_avx512(const Message* messages, size_t count, unsigned char* digests);

}  // namespace kds::md5_lanes_detail
