// Routing records to a stream's open shards (key_router.h).
#include "kds/key_router.h"

#include <algorithm>
#include <iterator>
#include <utility>

#include "kds/validate.h"

namespace kds {

void KeyRouter::set_routes(std::vector<u128> starts) {
  starts_ = std::move(starts);
  ++routes_version_;
}

uint32_t KeyRouter::route_of_hash(u128 hash) const {
  // The open shards cover the key space without gaps, so the last start <= hash owns it.
  auto it = std::upper_bound(starts_.begin(), starts_.end(), hash);
  return static_cast<uint32_t>(std::prev(it) - starts_.begin());
}

Result<uint32_t> KeyRouter::route_of_key(std::string_view key, u128* hash) {
  KeyRoute* memo = key_routes_.find(key);
  if (memo == nullptr) {
    KDS_TRY(validate_partition_key(key));
    const u128 md5 = partition_key_hash(key);
    memo = &key_routes_.insert(key, {static_cast<uint64_t>(md5 >> 64), static_cast<uint64_t>(md5), 0, 0});
  }
  *hash = (static_cast<u128>(memo->hash_high) << 64) | memo->hash_low;
  if (memo->routes_version != routes_version_) {
    memo->route = route_of_hash(*hash);
    memo->routes_version = routes_version_;
  }
  return memo->route;
}

}  // namespace kds
