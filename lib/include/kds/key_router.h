// Routing records to a stream's open shards: the open shard that owns a hash key, and a partition key's
// MD5 and route, remembered per distinct key so that a key seen before costs one memo lookup (no UTF-8
// check, no MD5, no search of the routes). The producer's hot path goes through here for every record.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "kds/hash_key.h"
#include "kds/key_memo.h"
#include "kds/status.h"

namespace kds {

class KeyRouter {
 public:
  // Replaces the routes: route i is the shard whose range starts at `starts[i]`. Requires `starts`
  // ascending, starting at 0, each range running up to the next start (the open shards cover the key
  // space without gaps). Keys keep their remembered MD5; their routes are looked up again.
  void set_routes(std::vector<u128> starts);

  // The route that owns `hash`. Requires set_routes() called before.
  uint32_t route_of_hash(u128 hash) const;

  // The route of the record whose partition key is `key`, and the key's MD5 in *hash; a kValidation error
  // when `key` is not a valid partition key. Requires set_routes() called before.
  Result<uint32_t> route_of_key(std::string_view key, u128* hash);

 private:
  // Per distinct partition key (whose text is then known to be valid): its MD5 and its route.
  struct KeyRoute {
    uint64_t hash_high = 0;
    uint64_t hash_low = 0;
    uint32_t route = 0;  // index in starts_, valid while routes_version is current
    uint32_t routes_version = 0;
  };

  std::vector<u128> starts_;
  uint32_t routes_version_ = 0;  // changes whenever starts_ does
  KeyMemo<KeyRoute> key_routes_;
};

}  // namespace kds
