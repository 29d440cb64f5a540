// Helpers shared by the unit tests: raw file access outside the library, a Reporter that records its
// calls, a controllable clock, and batch construction.
#pragma once

#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "kds/batch.h"
#include "kds/clock.h"
#include "kds/crc32c.h"
#include "kds/hash_key.h"
#include "kds/report.h"
#include "kds/status.h"

namespace kds_test {

// doctest prints u128 poorly; compare through this.
inline std::string dec(kds::u128 value) { return kds::to_decimal(value); }

inline std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw std::runtime_error("cannot write " + path);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write " + path);
}

inline void append_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::app);
  if (!out) throw std::runtime_error("cannot append to " + path);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot append to " + path);
}

// Flips bit `bit` of the byte at `position` of the file `path`.
inline void flip_bit_in_file(const std::string& path, uint64_t position, int bit = 0) {
  std::string bytes = read_bytes(path);
  if (position >= bytes.size()) throw std::runtime_error("flip past end of " + path);
  bytes[position] = static_cast<char>(bytes[position] ^ static_cast<char>(1 << bit));
  write_bytes(path, bytes);
}

inline uint64_t size_of(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) throw std::runtime_error("cannot stat " + path);
  return static_cast<uint64_t>(st.st_size);
}

inline bool exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

// A Reporter that keeps every call.
class RecordingReporter : public kds::Reporter {
 public:
  void damage(const kds::DamageReport& report) override { damages.push_back(report); }
  void repaired(const kds::DamageReport& report) override { repairs.push_back(report); }
  std::vector<kds::DamageReport> damages;
  std::vector<kds::DamageReport> repairs;
};

// Installs a test clock for the lifetime of the object and restores the real clock afterwards, even when
// an assertion aborts the test.
class ClockGuard {
 public:
  explicit ClockGuard(int64_t start_ms) : now_(start_ms) {
    kds::set_clock_for_testing([this] { return now_; });
  }
  ~ClockGuard() { kds::set_clock_for_testing(nullptr); }
  ClockGuard(const ClockGuard&) = delete;
  ClockGuard& operator=(const ClockGuard&) = delete;

  void set(int64_t ms) { now_ = ms; }
  void advance(int64_t ms) { now_ += ms; }
  int64_t now() const { return now_; }

 private:
  int64_t now_;
};

using Records = std::vector<std::pair<std::string, std::string>>;

inline kds::BatchBuilder build(const Records& records) {
  kds::BatchBuilder builder;
  for (const auto& [key, data] : records) builder.add(key, data);
  return builder;
}

// Header + payload of a batch of `records` with the given first offset and arrival time.
inline std::string encode_batch(const Records& records, uint64_t first_offset, int64_t arrival_ms) {
  const kds::BatchBuilder builder = build(records);
  kds::BatchHeader header;
  header.payload_size = static_cast<uint32_t>(builder.payload().size());
  header.raw_size = header.payload_size;
  header.record_count = builder.record_count();
  header.first_offset = first_offset;
  header.arrival_ms = arrival_ms;
  char bytes[kds::kBatchHeaderSize];
  kds::encode_batch_header(header, kds::crc32c(builder.payload().data(), builder.payload().size()), bytes);
  return std::string(bytes, sizeof bytes) + builder.payload();
}

// Position and header of every batch of a segment file, found by walking its headers (stops at the first
// one that does not parse).
struct RawBatch {
  uint64_t position = 0;
  kds::BatchHeader header;
};
inline std::vector<RawBatch> walk_batches(const std::string& bytes) {
  std::vector<RawBatch> batches;
  uint64_t position = 0;
  while (position < bytes.size()) {
    kds::BatchHeader header;
    if (kds::parse_batch_header(bytes.data() + position, bytes.size() - position, &header) != kds::BatchCheck::kOk) {
      break;
    }
    batches.push_back({position, header});
    position += header.total_size();
  }
  return batches;
}

}  // namespace kds_test
