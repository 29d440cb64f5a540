// MD5 of many short messages at once, several messages side by side in the lanes of SIMD registers.
//
// Routing a record costs one MD5 of its partition key (one or two 64-byte blocks). OpenSSL hashes one
// message at a time at ~100 ns, which makes routing the slowest step of kds-put when every record has its
// own key. MD5's steps depend on each other, so one message cannot go faster; independent messages can:
// 16 of them in the 32-bit lanes of an AVX-512 register, 8 in AVX2's, 4 in SSE2's or NEON's. No Debian 12
// package offers this (ISA-L's crypto library has it and is not packaged), hence this small hand-written
// code (src/md5_lanes*.cpp); OpenSSL's one-at-a-time MD5 stays as the fallback and as the reference the
// tests compare every path against.
#pragma once

#include <span>
#include <string_view>
#include <vector>

namespace kds {

enum class Md5Path {
  kOpenSsl,  // one message at a time, OpenSSL's EVP MD5
  kLanes4,   // 4 lanes with the compiler's generic vectors (SSE2 on x86-64, NEON on arm64)
  kAvx2,     // 8 lanes; x86-64 with AVX2
  kAvx512,   // 16 lanes; x86-64 with AVX-512F
};

const char* md5_path_name(Md5Path path);

// The paths this machine can run, slowest first; the last is the one md5_many() uses by default.
const std::vector<Md5Path>& md5_paths();

// digests[i] = MD5(messages[i]), 16 bytes in MD5's own byte order. Requires `digests` to have as many
// elements as `messages`, and `path` to be one of md5_paths(). Any message length works; messages of
// different lengths may be mixed (a lane that finishes takes the next message). Thread-safe.
using Md5Digest = unsigned char[16];
void md5_many(std::span<const std::string_view> messages, Md5Digest* digests);
void md5_many(std::span<const std::string_view> messages, Md5Digest* digests, Md5Path path);

}  // namespace kds
