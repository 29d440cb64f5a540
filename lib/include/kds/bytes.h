// Little-endian loads and stores at any alignment, and a byte comparison for short strings. The on-disk
// format is little-endian and so is every host kds builds on (the static_assert says so), so a load is a
// memcpy the compiler turns into one instruction.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace kds {

static_assert(std::endian::native == std::endian::little,
              "the on-disk format is little-endian; add byte swaps");

template <class T>
T load(const char* p) {
  T value;
  std::memcpy(&value, p, sizeof value);
  return value;
}

template <class T>
void store(char* p, T value) {
  std::memcpy(p, &value, sizeof value);
}

// a == b, without a call to memcmp for strings of 4 to 16 bytes (partition keys, typically): two
// overlapping word loads compare them. The producer compares each record's key up to three times.
inline bool equal_bytes(std::string_view a, std::string_view b) {
  const size_t n = a.size();
  if (n != b.size()) return false;
  const char* p = a.data();
  const char* q = b.data();
  if (n >= 8 && n <= 16)
    return load<uint64_t>(p) == load<uint64_t>(q) && load<uint64_t>(p + n - 8) == load<uint64_t>(q + n - 8);
  if (n >= 4 && n < 8)
    return load<uint32_t>(p) == load<uint32_t>(q) && load<uint32_t>(p + n - 4) == load<uint32_t>(q + n - 4);
  return n == 0 || std::memcmp(p, q, n) == 0;
}

}  // namespace kds
