// Routing records to open shards (key_router.h): hash keys to the shard whose range holds them, and
// partition keys by their MD5, remembered across calls and looked up again when the routes change.
#include <doctest/doctest.h>

#include <span>
#include <string>
#include <vector>

#include "kds/hash_key.h"
#include "kds/key_router.h"

TEST_CASE("key router sends a hash key to the shard whose range starts at or below it") {
  kds::KeyRouter router;
  router.set_routes({0, 100, 200});
  CHECK(router.route_of_hash(0) == 0);
  CHECK(router.route_of_hash(99) == 0);
  CHECK(router.route_of_hash(100) == 1);
  CHECK(router.route_of_hash(199) == 1);
  CHECK(router.route_of_hash(200) == 2);
  CHECK(router.route_of_hash(kds::kMaxHashKey) == 2);
}

TEST_CASE("key router routes a partition key by its MD5, also after the routes change") {
  kds::KeyRouter router;
  const auto halves = kds::uniform_hash_ranges(2);
  router.set_routes({halves[0].start, halves[1].start});
  for (const char* key : {"alpha", "beta", "gamma", "delta"}) {
    const kds::u128 md5 = kds::partition_key_hash(key);
    for (int again = 0; again < 2; ++again) {  // the second lookup comes from the memo
      kds::u128 hash = 0;
      auto route = router.route_of_key(key, &hash);
      REQUIRE(route.ok());
      CHECK(hash == md5);
      CHECK(*route == router.route_of_hash(md5));
    }
  }
  // One shard now owns everything: remembered keys must not keep their old routes.
  router.set_routes({0});
  for (const char* key : {"alpha", "beta", "gamma", "delta"}) {
    kds::u128 hash = 0;
    auto route = router.route_of_key(key, &hash);
    REQUIRE(route.ok());
    CHECK(*route == 0);
  }
}

TEST_CASE("key router refuses an invalid partition key") {
  kds::KeyRouter router;
  router.set_routes({0});
  kds::u128 hash = 0;
  auto route = router.route_of_key("", &hash);
  REQUIRE_FALSE(route.ok());
  CHECK(route.error().code() == kds::Errc::kValidation);
}

namespace {

// Routes `keys` with route_keys() in groups of `group`, and each with a separate router's route_of_key();
// the routes and hashes must agree.
void check_route_keys(kds::KeyRouter& router, kds::KeyRouter& one_by_one,
                      const std::vector<std::string>& keys, size_t group) {
  std::vector<std::string_view> views(keys.begin(), keys.end());
  std::vector<uint32_t> routes(group);
  std::vector<kds::u128> hashes(group);
  size_t differing = 0;
  for (size_t first = 0; first < views.size(); first += group) {
    const auto part = std::span(views).subspan(first, std::min(group, views.size() - first));
    size_t routed = 0;
    REQUIRE(router.route_keys(part, routes.data(), hashes.data(), &routed).ok());
    REQUIRE(routed == part.size());
    for (size_t i = 0; i < part.size(); ++i) {
      kds::u128 hash = 0;
      auto route = one_by_one.route_of_key(part[i], &hash);
      REQUIRE(route.ok());
      differing += *route != routes[i] || hash != hashes[i];
    }
  }
  CHECK(differing == 0);
}

std::vector<std::string> numbered_keys(size_t count, size_t distinct, const char* prefix) {
  std::vector<std::string> keys;
  for (size_t i = 0; i < count; ++i)
    keys.push_back(prefix + std::to_string(distinct == 0 ? i : i % distinct));
  return keys;
}

}  // namespace

TEST_CASE("route_keys routes a million distinct keys as route_of_key does") {
  kds::KeyRouter router, one_by_one;
  std::vector<kds::u128> starts;
  for (const auto& range : kds::uniform_hash_ranges(7))
    starts.push_back(range.start);
  router.set_routes(starts);
  one_by_one.set_routes(starts);
  check_route_keys(router, one_by_one, numbered_keys(1000000, 0, "request-"), 64);
}

TEST_CASE("route_keys agrees with route_of_key as keys stop and start repeating, and routes change") {
  kds::KeyRouter router, one_by_one;
  router.set_routes({0});
  one_by_one.set_routes({0});
  // Distinct keys make the memo step aside; repeating keys bring it back; a key twice in one group.
  check_route_keys(router, one_by_one, numbered_keys(300000, 0, "distinct-"), 64);
  check_route_keys(router, one_by_one, numbered_keys(600000, 50, "user-"), 33);
  check_route_keys(router, one_by_one, {"twice", "other", "twice", "twice"}, 4);
  std::vector<kds::u128> starts;
  for (const auto& range : kds::uniform_hash_ranges(3))
    starts.push_back(range.start);
  router.set_routes(starts);
  one_by_one.set_routes(starts);
  check_route_keys(router, one_by_one, numbered_keys(20000, 50, "user-"), 64);  // remembered, routed again
  check_route_keys(router, one_by_one, numbered_keys(20000, 0, "fresh-"), 1);
}

TEST_CASE("route_keys stops at the first invalid key and routes those before it") {
  kds::KeyRouter router;
  router.set_routes({0, kds::u128{1} << 127});
  const std::string long_key(257, 'k');
  const std::vector<std::string_view> keys = {"a", "b", "", "c"};
  std::vector<uint32_t> routes(keys.size(), 99);
  std::vector<kds::u128> hashes(keys.size());
  size_t routed = 0;
  const kds::Status status = router.route_keys(keys, routes.data(), hashes.data(), &routed);
  REQUIRE_FALSE(status.ok());
  CHECK(status.error().code() == kds::Errc::kValidation);
  CHECK(routed == 2);
  CHECK(hashes[0] == kds::partition_key_hash("a"));
  CHECK(routes[1] == router.route_of_hash(kds::partition_key_hash("b")));
  const std::vector<std::string_view> too_long = {"x", long_key};
  REQUIRE_FALSE(router.route_keys(too_long, routes.data(), hashes.data(), &routed).ok());
  CHECK(routed == 1);
}
