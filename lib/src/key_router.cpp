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
  // The open shards cover the key space without gaps, so the last start <= hash owns it. Few routes are
  // counted without branches: a binary search over random hashes mispredicts at every level.
  if (starts_.size() <= 16) {
    uint32_t below = 0;
    for (const u128& start : starts_)
      below += start <= hash;
    return below - 1;
  }
  auto it = std::upper_bound(starts_.begin(), starts_.end(), hash);
  return static_cast<uint32_t>(std::prev(it) - starts_.begin());
}

namespace {
constexpr size_t kNotRemembered = size_t{1} << 63;
// The memo's hit rate is judged over windows of this many keys; below 1 in 8 it steps aside for kMemoOff
// keys. (A hit saves an MD5 and a UTF-8 check; a miss costs a probe and, kept, an insertion.)
constexpr uint32_t kMemoWindow = 4096;
constexpr uint32_t kMemoOff = 1024 * 1024;

u128 hash_of(const auto& memo) {
  return (static_cast<u128>(memo.hash_high) << 64) | memo.hash_low;
}
}  // namespace

Result<uint32_t> KeyRouter::route_of_key(std::string_view key, u128* hash) {
  KeyRoute* memo = key_routes_.find(key);
  if (memo == nullptr) {
    KDS_TRY(validate_partition_key(key));
    const u128 md5 = partition_key_hash(key);
    memo = &key_routes_.insert(key, {static_cast<uint64_t>(md5 >> 64), static_cast<uint64_t>(md5), 0, 0});
  }
  *hash = hash_of(*memo);
  return route_of(*memo);
}

uint32_t KeyRouter::route_of(KeyRoute& memo) {
  if (memo.routes_version != routes_version_) {
    memo.route = route_of_hash(hash_of(memo));
    memo.routes_version = routes_version_;
  }
  return memo.route;
}

// The memo's entry for `key`, or null when it has none or is stepping aside; keeps the hit rate.
KeyRouter::KeyRoute* KeyRouter::remembered(std::string_view key) {
  if (memo_off_for_ > 0) {
    --memo_off_for_;
    return nullptr;
  }
  KeyRoute* memo = key_routes_.find(key);
  window_hits_ += memo != nullptr;
  if (++window_lookups_ == kMemoWindow) {
    // A memo that has not yet seen two windows of keys misses because it is new, not because keys are.
    if (window_hits_ < kMemoWindow / 8 && key_routes_.size() >= 2 * kMemoWindow) memo_off_for_ = kMemoOff;
    window_lookups_ = window_hits_ = 0;
  }
  return memo;
}

Status KeyRouter::route_keys(std::span<const std::string_view> keys, uint32_t* routes, u128* hashes,
                             size_t* routed) {
  unknown_.clear();
  unknown_keys_.clear();
  Status failure;
  size_t n = 0;
  for (; n < keys.size(); ++n) {
    const bool using_memo = memo_off_for_ == 0;
    if (KeyRoute* memo = remembered(keys[n])) {
      hashes[n] = hash_of(*memo);
      routes[n] = route_of(*memo);
      continue;
    }
    failure = validate_partition_key(keys[n]);
    if (!failure.ok()) break;
    // A key met while the memo stands aside is not remembered: its index is marked by the top bit.
    unknown_.push_back(using_memo ? n : n | kNotRemembered);
    unknown_keys_.push_back(keys[n]);
  }
  unknown_hashes_.resize(unknown_keys_.size());
  partition_key_hashes(unknown_keys_, unknown_hashes_.data());
  for (size_t j = 0; j < unknown_.size(); ++j) {
    const size_t i = unknown_[j] & ~kNotRemembered;
    const u128 hash = unknown_hashes_[j];
    hashes[i] = hash;
    if (unknown_[j] & kNotRemembered) {
      routes[i] = route_of_hash(hash);
      continue;
    }
    // A key twice among the unknown ones is remembered once.
    KeyRoute* memo = key_routes_.find(keys[i]);
    if (memo == nullptr)
      memo = &key_routes_.insert(keys[i],
                                 {static_cast<uint64_t>(hash >> 64), static_cast<uint64_t>(hash), 0, 0});
    routes[i] = route_of(*memo);
  }
  *routed = n;
  return failure;
}

}  // namespace kds
