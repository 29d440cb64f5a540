// Routing records to open shards (key_router.h): hash keys to the shard whose range holds them, and
// partition keys by their MD5, remembered across calls and looked up again when the routes change.
#include <doctest/doctest.h>

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
