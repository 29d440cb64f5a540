// equal_bytes (bytes.h): every length, a difference at every position.
#include <doctest/doctest.h>

#include <string>

#include "kds/bytes.h"

TEST_CASE("equal_bytes agrees with == for every length and every differing position") {
  for (size_t n = 0; n <= 40; ++n) {
    CAPTURE(n);
    std::string a(n, 'k');
    for (size_t i = 0; i < n; ++i)
      a[i] = static_cast<char>('a' + i % 26);
    const std::string b = a;
    CHECK(kds::equal_bytes(a, b));
    CHECK_FALSE(kds::equal_bytes(a, a + "x"));
    CHECK_FALSE(kds::equal_bytes(a + "x", a));
    for (size_t i = 0; i < n; ++i) {
      CAPTURE(i);
      std::string c = b;
      c[i] = static_cast<char>(c[i] ^ 0x40);
      CHECK_FALSE(kds::equal_bytes(a, c));
      CHECK_FALSE(kds::equal_bytes(c, a));
    }
  }
  // Compared as bytes: embedded NULs count.
  using namespace std::string_view_literals;
  CHECK_FALSE(kds::equal_bytes("ab\0cdefgh"sv, "ab\0cdefgX"sv));
  CHECK(kds::equal_bytes("ab\0cdefgh"sv, "ab\0cdefgh"sv));
}
