// Shard iterators: where a GetRecords call starts, handed to the client as an opaque string.
//
// An iterator names a stream (and which incarnation of that name: its creation time), a shard, the
// offset of the next record to return and the time it was issued. It carries an HMAC-SHA256 tag
// under the store's iterator secret (`iterator.key` in the store directory, made on first use), so a
// client cannot forge or alter one, and any process on the same store accepts the iterators of another.
// Like Kinesis's, an iterator is valid for five minutes after it was issued and may be used many times.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "kds/status.h"
#include "kds/store.h"

namespace kds::api {

inline constexpr int64_t kIteratorLifetimeMs = 300'000;
inline constexpr size_t kMaxIteratorLength = 512;

struct ShardIterator {
  std::string stream;
  int64_t stream_created_ms = 0;
  uint32_t shard_index = 0;
  uint64_t offset = 0;  // the next record returned has at least this offset
  int64_t issued_ms = 0;
};

class IteratorCodec {
 public:
  // Reads the store's iterator secret, creating it when the store has none.
  static Result<IteratorCodec> open(const Store& store);
  // A codec with a given secret (tests).
  explicit IteratorCodec(const std::array<unsigned char, 32>& secret) : secret_(secret) {}

  std::string encode(const ShardIterator& iterator) const;
  // The iterator `text` encodes (double quotes around it are allowed, as AWS allows them). Fails with
  // InvalidArgumentException "Invalid ShardIterator." for anything this store did not issue, and with
  // ExpiredIteratorException once it is older than kIteratorLifetimeMs at `now_ms`.
  Result<ShardIterator> decode(std::string_view text, int64_t now_ms) const;

 private:
  std::array<unsigned char, 32> secret_{};
};

// A time as Java's Date.toString() prints it, as Kinesis's messages show times: "Thu Jan 22 01:22:02 UTC
// 2015".
std::string java_date(int64_t ms);

}  // namespace kds::api
