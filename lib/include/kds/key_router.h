// Routing records to a stream's open shards: the open shard that owns a hash key, and a partition key's
// MD5 and route, remembered per distinct key so that a key seen before costs one memo lookup (no UTF-8
// check, no MD5, no search of the routes). The producer's hot path goes through here for every record.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
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

  // route_of_key() of each key in order, into routes[i] and hashes[i], with the keys not remembered
  // hashed many at a time (md5_lanes.h). Stops at the first invalid key: *routed is the number of keys
  // routed, and the invalid key's error is returned. Requires `routes` and `hashes` to hold keys.size()
  // values and set_routes() called before.
  Status route_keys(std::span<const std::string_view> keys, uint32_t* routes, u128* hashes, size_t* routed);

  // Changes whenever set_routes() does: routes computed under another version are stale.
  uint32_t routes_version() const { return routes_version_; }

 private:
  // Per distinct partition key (whose text is then known to be valid): its MD5 and its route.
  struct KeyRoute {
    uint64_t hash_high = 0;
    uint64_t hash_low = 0;
    uint32_t route = 0;  // index in starts_, valid while routes_version is current
    uint32_t routes_version = 0;
  };

  KeyRoute* remembered(std::string_view key);
  uint32_t route_of(KeyRoute& memo);

  std::vector<u128> starts_;
  uint32_t routes_version_ = 0;  // changes whenever starts_ does
  KeyMemo<KeyRoute> key_routes_;
  // When nearly every key is new (a request id or timestamp per record), remembering them costs more than
  // it saves: after a window of keys with few hits the memo steps aside for a while, then tries again.
  uint32_t window_lookups_ = 0;
  uint32_t window_hits_ = 0;
  uint32_t memo_off_for_ = 0;    // keys still to route without the memo
  std::vector<size_t> unknown_;  // route_keys(): indexes of the keys to hash
  std::vector<std::string_view> unknown_keys_;
  std::vector<u128> unknown_hashes_;
};

}  // namespace kds
