// MD5 routing lives in its own file so that tools which never route (kds-get, kds-describe-stream) do
// not link OpenSSL's digest machinery, which costs start-up time in every process.
#include <bit>
#include <cstring>

#include "kds/hash_key.h"
#include "kds/md5_lanes.h"

namespace kds {

namespace {

// The digest's bytes read as a big-endian number.
u128 digest_value(const Md5Digest& digest) {
  uint64_t high = 0, low = 0;
  std::memcpy(&high, digest, 8);
  std::memcpy(&low, digest + 8, 8);
  if constexpr (std::endian::native == std::endian::little) {
    high = __builtin_bswap64(high);
    low = __builtin_bswap64(low);
  }
  return (static_cast<u128>(high) << 64) | low;
}

}  // namespace

u128 partition_key_hash(std::string_view key) {
  Md5Digest digest;
  md5_many({&key, 1}, &digest, Md5Path::kOpenSsl);  // one key: no lanes to fill
  return digest_value(digest);
}

void partition_key_hashes(std::span<const std::string_view> keys, u128* hashes) {
  constexpr size_t kGroup = 64;
  Md5Digest digests[kGroup];
  for (size_t first = 0; first < keys.size(); first += kGroup) {
    const size_t count = std::min(kGroup, keys.size() - first);
    md5_many(keys.subspan(first, count), digests);
    for (size_t i = 0; i < count; ++i)
      hashes[first + i] = digest_value(digests[i]);
  }
}

}  // namespace kds
