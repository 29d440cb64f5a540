// The MD5 lane kernel (md5_lanes.h), written once for any number of lanes with the compiler's vector
// extension; md5_lanes_{4,avx2,avx512}.cpp each define KDS_MD5_LANES and KDS_MD5_KERNEL, include this
// file, and are compiled for their instruction set. Everything below the kernel itself has internal
// linkage and no standard-library header is included: an inline function emitted in an AVX-512 file
// could otherwise be picked by the linker for the whole program and then run on a CPU without AVX-512.
//
// Scheduling: each lane hashes one message; when it has done the message's last block it writes the
// digest and takes the next message, so short and long messages mix without idle lanes until the end.
// The algorithm is RFC 1321's; the tests compare every path with OpenSSL's MD5.
#pragma once

#include <cstddef>
#include <cstdint>

#include "md5_lanes_detail.h"

#if !defined(KDS_MD5_LANES) || !defined(KDS_MD5_KERNEL)
#error "define KDS_MD5_LANES and KDS_MD5_KERNEL before including md5_lanes_kernel.h"
#endif

namespace kds::md5_lanes_detail {

namespace {

constexpr int kLanes = KDS_MD5_LANES;
typedef uint32_t Vec __attribute__((vector_size(4 * kLanes)));

constexpr uint32_t kInit[4] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476};
// floor(abs(sin(i + 1)) * 2^32), RFC 1321 §3.4.
constexpr uint32_t kSine[64] = {
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
    0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
    0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
    0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
    0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
    0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
    0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
    0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391};
constexpr int kShift[4][4] = {{7, 12, 17, 22}, {5, 9, 14, 20}, {4, 11, 16, 23}, {6, 10, 15, 21}};

template <int S>
inline Vec rotate_left(Vec x) {
  return (x << S) | (x >> (32 - S));
}

template <int Round>
inline Vec mix(Vec b, Vec c, Vec d) {
  if constexpr (Round == 0) return ((c ^ d) & b) ^ d;  // F: b ? c : d
  if constexpr (Round == 1) return ((b ^ c) & d) ^ c;  // G: d ? b : c
  if constexpr (Round == 2) return b ^ c ^ d;          // H
  if constexpr (Round == 3) return c ^ (b | ~d);       // I
}

// Step I of 64; the callers rotate the roles of a, b, c and d.
template <int I>
inline void step(Vec& a, Vec b, Vec c, Vec d, const Vec* x) {
  constexpr int round = I / 16;
  constexpr int word = round == 0   ? I
                       : round == 1 ? (5 * I + 1) % 16
                       : round == 2 ? (3 * I + 5) % 16
                                    : (7 * I) % 16;
  a = b + rotate_left<kShift[round][I % 4]>(a + mix<round>(b, c, d) + x[word] + kSine[I]);
}

template <int I>
inline void steps(Vec& a, Vec& b, Vec& c, Vec& d, const Vec* x) {
  if constexpr (I < 64) {
    step<I>(a, b, c, d, x);
    steps<I + 1>(d, a, b, c, x);
  }
}

inline uint32_t load_le32(const unsigned char* p) {
  uint32_t v;
  __builtin_memcpy(&v, p, 4);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  v = __builtin_bswap32(v);
#endif
  return v;
}

inline void store_le32(unsigned char* p, uint32_t v) {
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  v = __builtin_bswap32(v);
#endif
  __builtin_memcpy(p, &v, 4);
}

// A lane's message: its whole 64-byte blocks in place, then one or two padded blocks in `tail`.
struct Lane {
  const unsigned char* data = nullptr;
  size_t full_blocks = 0;
  size_t blocks = 0;      // full blocks and tail blocks
  size_t next_block = 0;  // == blocks: the lane is idle
  size_t message = 0;     // index of the message, for its digest
  alignas(64) unsigned char tail[128];

  void start(const Message& m, size_t index) {
    data = m.data;
    full_blocks = m.size / 64;
    const size_t rest = m.size % 64;
    const size_t tail_blocks = rest + 9 <= 64 ? 1 : 2;  // 0x80 and the 8-byte length must fit
    blocks = full_blocks + tail_blocks;
    next_block = 0;
    message = index;
    __builtin_memset(tail, 0, sizeof tail);
    if (rest != 0) __builtin_memcpy(tail, data + full_blocks * 64, rest);
    tail[rest] = 0x80;
    const uint64_t bits = static_cast<uint64_t>(m.size) * 8;
    unsigned char* length = tail + tail_blocks * 64 - 8;
    store_le32(length, static_cast<uint32_t>(bits));
    store_le32(length + 4, static_cast<uint32_t>(bits >> 32));
  }
  bool busy() const { return next_block < blocks; }
  const unsigned char* block() const {
    return next_block < full_blocks ? data + next_block * 64 : tail + (next_block - full_blocks) * 64;
  }
};

}  // namespace

void KDS_MD5_KERNEL(const Message* messages, size_t count, unsigned char* digests) {
  static const unsigned char kIdleBlock[64] = {};
  Lane lanes[kLanes];
  // The state between blocks, a lane per column: lanes start and finish through memory, which costs less
  // than inserting and extracting vector elements one at a time.
  alignas(64) uint32_t state[4][kLanes] = {};
  size_t next = 0;
  int busy = 0;
  auto begin = [&](int l) {
    lanes[l].start(messages[next], next);
    ++next;
    ++busy;
    for (int i = 0; i < 4; ++i)
      state[i][l] = kInit[i];
  };
  for (int l = 0; l < kLanes && next < count; ++l)
    begin(l);

  alignas(64) uint32_t words[16][kLanes];
  while (busy > 0) {
    for (int l = 0; l < kLanes; ++l) {
      const unsigned char* block = lanes[l].busy() ? lanes[l].block() : kIdleBlock;
      for (int k = 0; k < 16; ++k)
        words[k][l] = load_le32(block + 4 * k);
    }
    Vec x[16], a0, b0, c0, d0;
    __builtin_memcpy(x, words, sizeof x);
    __builtin_memcpy(&a0, state[0], sizeof a0);
    __builtin_memcpy(&b0, state[1], sizeof b0);
    __builtin_memcpy(&c0, state[2], sizeof c0);
    __builtin_memcpy(&d0, state[3], sizeof d0);
    Vec a = a0, b = b0, c = c0, d = d0;
    steps<0>(a, b, c, d, x);
    a += a0;
    b += b0;
    c += c0;
    d += d0;
    __builtin_memcpy(state[0], &a, sizeof a);
    __builtin_memcpy(state[1], &b, sizeof b);
    __builtin_memcpy(state[2], &c, sizeof c);
    __builtin_memcpy(state[3], &d, sizeof d);
    for (int l = 0; l < kLanes; ++l) {
      Lane& lane = lanes[l];
      if (!lane.busy() || ++lane.next_block < lane.blocks) continue;
      unsigned char* digest = digests + lane.message * 16;
      for (int i = 0; i < 4; ++i)
        store_le32(digest + 4 * i, state[i][l]);
      --busy;
      if (next < count) begin(l);
    }
  }
}

}  // namespace kds::md5_lanes_detail
