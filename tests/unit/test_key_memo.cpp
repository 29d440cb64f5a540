// The producer's memo of partition keys (key_memo.h): exact lookups, growth, and its bound.
#include <doctest/doctest.h>

#include <string>

#include "kds/key_memo.h"

using namespace std::string_view_literals;

namespace {

struct Remembered {
  uint64_t value = 0;
};

std::string key_of(size_t i) {
  return "key-" + std::to_string(i);
}

}  // namespace

TEST_CASE("key memo finds exactly the keys inserted, across growth") {
  kds::KeyMemo<Remembered> memo;
  CHECK(memo.find("a") == nullptr);
  CHECK(memo.insert("a", {7}).value == 7);
  REQUIRE(memo.find("a") != nullptr);
  CHECK(memo.find("a")->value == 7);
  CHECK(memo.find("b") == nullptr);
  CHECK(memo.find("") == nullptr);
  CHECK(memo.find("a\0"sv) == nullptr);  // keys are bytes, not C strings

  // Well past the first table size: every key keeps its own value through each doubling.
  const size_t count = 10 * kds::KeyMemo<Remembered>::kMinEntries;
  for (size_t i = 0; i < count; ++i) {
    REQUIRE(memo.find(key_of(i)) == nullptr);
    memo.insert(key_of(i), {i});
  }
  CHECK(memo.size() == count + 1);
  for (size_t i = 0; i < count; ++i) {
    const Remembered* found = memo.find(key_of(i));
    REQUIRE(found != nullptr);
    CHECK(found->value == i);
  }
  // A value found can be updated in place.
  memo.find(key_of(3))->value = 33;
  CHECK(memo.find(key_of(3))->value == 33);
  memo.clear();
  CHECK(memo.size() == 0);
  CHECK(memo.find("a") == nullptr);
}

TEST_CASE("key memo stays bounded: a full table of the largest size starts over") {
  kds::KeyMemo<Remembered> memo;
  const size_t limit = kds::KeyMemo<Remembered>::kMaxEntries / 2;
  for (size_t i = 0; i < limit; ++i)
    memo.insert(key_of(i), {i});
  CHECK(memo.size() == limit);
  CHECK(memo.find(key_of(0)) != nullptr);
  memo.insert("one more", {1});  // no room without passing the bound: everything is forgotten first
  CHECK(memo.size() == 1);
  CHECK(memo.find(key_of(0)) == nullptr);
  REQUIRE(memo.find("one more") != nullptr);
  CHECK(memo.find("one more")->value == 1);
}
