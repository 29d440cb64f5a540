// The batch codec (batch.h): header, checksum, record payload, varints; and CRC-32C (crc32c.h).
#include <doctest/doctest.h>

#include <cstring>
#include <string>
#include <vector>

#include "kds/batch.h"
#include "kds/crc32c.h"
#include "test_util.h"

using kds::BatchCheck;
using kds::BatchHeader;

namespace {

// Several records: repeated keys (so key code 0 is used), an empty-data record, binary data with NULs,
// a multi-byte key length and a data size needing a two-byte varint.
kds_test::Records sample_records() {
  return {
      {"user-1", "first"},
      {"user-1", "second, same key"},
      {"user-1", ""},  // empty data
      {"other", std::string("bin\0ary\0\xff\x80\x00", 11)},
      {"other", std::string(300, 'x')},     // data size 300 needs two varint bytes
      {std::string(130, 'k'), "long key"},  // key length 130 needs two varint bytes
      {"user-1", "back to the first key"},
      {"\xc3\xbc", std::string(1, '\0')},
  };
}

const uint64_t kFirstOffset = 1234567;
const int64_t kArrival = 1459799926480;

std::string sample_batch() {
  return kds_test::encode_batch(sample_records(), kFirstOffset, kArrival);
}

bool accepted(const std::string& bytes) {
  BatchHeader header;
  if (kds::parse_batch_header(bytes.data(), bytes.size(), &header) != BatchCheck::kOk) return false;
  return kds::batch_checksum_ok(bytes.data(), header);
}

}  // namespace

TEST_CASE("CRC-32C check value, extension and masking") {
  const char* check = "123456789";
  CHECK(kds::crc32c(check, 9) == 0xE3069283u);
  CHECK(kds::crc32c("", 0) == 0u);
  // RFC 3720 B.4 test vectors: 32 zero bytes and 32 0xff bytes.
  const std::string zeros(32, '\0');
  const std::string ones(32, '\xff');
  CHECK(kds::crc32c(zeros.data(), zeros.size()) == 0x8A9136AAu);
  CHECK(kds::crc32c(ones.data(), ones.size()) == 0x62A8AB43u);

  std::string data;
  for (int i = 0; i < 1000; ++i)
    data.push_back(static_cast<char>((i * 131 + 7) & 0xff));
  const uint32_t whole = kds::crc32c(data.data(), data.size());
  for (size_t split = 0; split <= data.size(); split += 37) {
    CAPTURE(split);
    const uint32_t first = kds::crc32c(data.data(), split);
    CHECK(kds::crc32c_extend(first, data.data() + split, data.size() - split) == whole);
  }
  // Three pieces.
  uint32_t crc = kds::crc32c_extend(0, data.data(), 10);
  crc = kds::crc32c_extend(crc, data.data() + 10, 500);
  crc = kds::crc32c_extend(crc, data.data() + 510, data.size() - 510);
  CHECK(crc == whole);

  for (uint32_t value : {0u, 1u, 0xE3069283u, 0xa282ead8u, 0xffffffffu, 0x80000000u, whole}) {
    CAPTURE(value);
    CHECK(kds::crc32c_unmask(kds::crc32c_mask(value)) == value);
    CHECK(kds::crc32c_mask(value) != value);
  }
}

TEST_CASE("varint32 round trips and sizes") {
  struct Case {
    uint32_t value;
    size_t size;
  };
  for (const Case& c :
       {Case{0, 1}, Case{1, 1}, Case{127, 1}, Case{128, 2}, Case{300, 2}, Case{16383, 2}, Case{16384, 3},
        Case{2097151, 3}, Case{2097152, 4}, Case{268435455, 4}, Case{268435456, 5}, Case{UINT32_MAX, 5}}) {
    CAPTURE(c.value);
    std::string encoded = "pre";
    kds::put_varint32(&encoded, c.value);
    CHECK(encoded.size() == 3 + c.size);
    encoded += "post";
    size_t pos = 3;
    uint32_t decoded = 0xdeadbeef;
    REQUIRE(kds::get_varint32(encoded, &pos, &decoded));
    CHECK(decoded == c.value);
    CHECK(pos == 3 + c.size);
    CHECK(encoded.substr(pos) == "post");
  }
  // LEB128 little-endian layout.
  std::string bytes;
  kds::put_varint32(&bytes, 300);
  CHECK(bytes == std::string("\xac\x02", 2));
}

TEST_CASE("get_varint32 rejects truncated and overlong varints") {
  auto fails = [](const std::string& bytes) {
    size_t pos = 0;
    uint32_t value = 0;
    return !kds::get_varint32(bytes, &pos, &value);
  };
  CHECK(fails(""));
  CHECK(fails("\x80"));
  CHECK(fails("\xff\xff"));
  CHECK(fails("\xff\xff\xff\xff"));  // four continuation bytes and nothing after
  // Longer than 5 bytes.
  CHECK(fails(std::string("\x80\x80\x80\x80\x80\x00", 6)));
  CHECK(fails("\xff\xff\xff\xff\xff\x01"));
  // Five bytes whose value overflows 32 bits.
  CHECK(fails("\xff\xff\xff\xff\x10"));
  CHECK(fails("\x80\x80\x80\x80\x7f"));
  // The largest five-byte value is fine.
  CHECK_FALSE(fails("\xff\xff\xff\xff\x0f"));
  // Reading at the end of the input fails too.
  size_t pos = 1;
  uint32_t value = 0;
  CHECK_FALSE(kds::get_varint32(std::string("\x05", 1), &pos, &value));
}

TEST_CASE("BatchBuilder payload layout and added_size") {
  kds::BatchBuilder builder;
  CHECK(builder.empty());
  CHECK(builder.encoded_size() == kds::kBatchHeaderSize);
  size_t expected_size = 0;
  for (const auto& [key, data] : sample_records()) {
    const size_t added = builder.added_size(key, data.size());
    const size_t before = builder.payload().size();
    builder.add(key, data);
    CHECK(builder.payload().size() - before == added);
    expected_size += added;
  }
  CHECK(builder.payload().size() == expected_size);
  CHECK(builder.record_count() == sample_records().size());
  CHECK(builder.encoded_size() == kds::kBatchHeaderSize + expected_size);
  // The first bytes: key length 6, "user-1", data size 5, "first", then key code 0 for the repeat.
  CHECK(builder.payload().substr(0, 14) == std::string("\x06user-1\x05"
                                                       "first",
                                                       13) +
                                               std::string(1, '\0'));

  builder.clear();
  CHECK(builder.empty());
  CHECK(builder.payload().empty());
  // After clear the previous key is forgotten: the first record carries its key again.
  builder.add("user-1", "x");
  CHECK(builder.payload() == std::string("\x06user-1\x01x", 9));
}

TEST_CASE("intact batch parses, verifies and decodes to the exact records") {
  const std::string batch = sample_batch();
  const auto records = sample_records();
  BatchHeader header;
  REQUIRE(kds::parse_batch_header(batch.data(), batch.size(), &header) == BatchCheck::kOk);
  CHECK(header.version == kds::kBatchVersion);
  CHECK(header.flags == 0);
  CHECK(header.record_count == records.size());
  CHECK(header.first_offset == kFirstOffset);
  CHECK(header.end_offset() == kFirstOffset + records.size());
  CHECK(header.arrival_ms == kArrival);
  CHECK(header.total_size() == batch.size());
  CHECK(header.raw_size == header.payload_size);
  CHECK(kds::batch_checksum_ok(batch.data(), header));
  // Magic bytes on disk are "kdsB".
  CHECK(batch.substr(0, 4) == "kdsB");
  // Extra bytes after the batch do not matter.
  const std::string longer = batch + "trailing";
  CHECK(kds::parse_batch_header(longer.data(), longer.size(), &header) == BatchCheck::kOk);
  CHECK(header.total_size() == batch.size());

  std::vector<kds::RecordView> views;
  const std::string_view payload(batch.data() + kds::kBatchHeaderSize, header.payload_size);
  REQUIRE(kds::decode_records(payload, header.record_count, &views));
  REQUIRE(views.size() == records.size());
  for (size_t i = 0; i < records.size(); ++i) {
    CAPTURE(i);
    CHECK(views[i].key == records[i].first);
    CHECK(views[i].data == records[i].second);
  }

  SUBCASE("skip and limit keep a window of the records") {
    REQUIRE(kds::decode_records(payload, header.record_count, &views, 2, 3));
    REQUIRE(views.size() == 3);
    for (size_t i = 0; i < 3; ++i) {
      CHECK(views[i].key == records[2 + i].first);
      CHECK(views[i].data == records[2 + i].second);
    }
    REQUIRE(kds::decode_records(payload, header.record_count, &views, 6, 100));
    REQUIRE(views.size() == 2);
    CHECK(views[0].key == records[6].first);  // key code 0 resolves even when the window starts late
    CHECK(views[1].data == records[7].second);
    REQUIRE(kds::decode_records(payload, header.record_count, &views, 8));
    CHECK(views.empty());
  }
}

TEST_CASE("every single-bit flip anywhere in a batch is detected") {
  const std::string batch = sample_batch();
  REQUIRE(accepted(batch));
  int missed = 0;
  for (size_t position = 0; position < batch.size(); ++position) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string damaged = batch;
      damaged[position] = static_cast<char>(damaged[position] ^ static_cast<char>(1 << bit));
      if (accepted(damaged)) {
        ++missed;
        if (missed <= 5) {
          CAPTURE(position);
          CAPTURE(bit);
          FAIL_CHECK("a bit flip was accepted");
        }
      }
    }
  }
  CHECK(missed == 0);
}

TEST_CASE("every truncation of a batch is kIncomplete") {
  const std::string batch = sample_batch();
  int wrong = 0;
  for (size_t length = 0; length < batch.size(); ++length) {
    BatchHeader header;
    // A copy, so a read past `length` would show up under sanitizers.
    const std::string prefix = batch.substr(0, length);
    const BatchCheck check = kds::parse_batch_header(prefix.data(), length, &header);
    if (check != BatchCheck::kIncomplete) {
      ++wrong;
      if (wrong <= 5) {
        CAPTURE(length);
        FAIL_CHECK("truncation not reported as incomplete");
      }
    }
  }
  CHECK(wrong == 0);
}

TEST_CASE("a short prefix that contradicts the magic is a bad header, not a torn tail") {
  BatchHeader header;
  CHECK(kds::parse_batch_header("kdsX", 4, &header) == BatchCheck::kBadHeader);
  CHECK(kds::parse_batch_header("x", 1, &header) == BatchCheck::kBadHeader);
  CHECK(kds::parse_batch_header("kd", 2, &header) == BatchCheck::kIncomplete);
  const std::string zeros(20, '\0');
  CHECK(kds::parse_batch_header(zeros.data(), zeros.size(), &header) == BatchCheck::kBadHeader);
  const std::string zeros48(48, '\0');
  CHECK(kds::parse_batch_header(zeros48.data(), zeros48.size(), &header) == BatchCheck::kBadHeader);
}

TEST_CASE("headers with impossible fields are bad headers even with a matching checksum") {
  const kds::BatchBuilder builder = kds_test::build(sample_records());
  const uint32_t crc = kds::crc32c(builder.payload().data(), builder.payload().size());
  auto encode = [&](BatchHeader header) {
    char bytes[kds::kBatchHeaderSize];
    kds::encode_batch_header(header, crc, bytes);
    return std::string(bytes, sizeof bytes) + builder.payload();
  };
  BatchHeader good;
  good.payload_size = static_cast<uint32_t>(builder.payload().size());
  good.raw_size = good.payload_size;
  good.record_count = builder.record_count();
  good.first_offset = 10;
  good.arrival_ms = 5;
  REQUIRE(accepted(encode(good)));

  auto check_bad = [&](BatchHeader header, const char* what) {
    const std::string shown = what;
    CAPTURE(shown);
    const std::string bytes = encode(header);
    BatchHeader parsed;
    CHECK(kds::parse_batch_header(bytes.data(), bytes.size(), &parsed) == BatchCheck::kBadHeader);
  };
  BatchHeader h = good;
  h.version = 2;
  check_bad(h, "version 2");
  h = good;
  h.flags = 2;
  check_bad(h, "reserved compression codec 2");
  h = good;
  h.flags = 7;
  check_bad(h, "reserved compression codec 7");
  h = good;
  h.flags = kds::kBatchEncrypted;
  check_bad(h, "encrypted flag without room for key id, nonce and tag");
  h = good;
  h.flags = 0x80;
  check_bad(h, "unknown flag");
  h = good;
  h.record_count = 0;
  check_bad(h, "zero records");
  h = good;
  h.raw_size = good.payload_size + 1;
  check_bad(h, "raw size differs");
  h = good;
  h.record_count = good.payload_size;  // needs at least 2n+1 payload bytes
  check_bad(h, "too many records for the payload");
  h = good;
  h.first_offset = UINT64_MAX - 2;  // offsets would wrap
  check_bad(h, "offset overflow");
  h = good;
  h.payload_size = kds::kMaxBatchPayload + 1;
  h.raw_size = h.payload_size;
  check_bad(h, "payload too large");
}

TEST_CASE("a wrong CRC with a sane header is kOk from parse and fails the checksum") {
  std::string batch = sample_batch();
  batch[4] = static_cast<char>(batch[4] ^ 1);
  BatchHeader header;
  REQUIRE(kds::parse_batch_header(batch.data(), batch.size(), &header) == BatchCheck::kOk);
  CHECK_FALSE(kds::batch_checksum_ok(batch.data(), header));
  // The CRC covers the header fields too: a different arrival time with the old CRC fails.
  std::string other = sample_batch();
  const std::string moved = kds_test::encode_batch(sample_records(), kFirstOffset, kArrival + 1);
  std::memcpy(other.data() + 32, moved.data() + 32, 8);
  REQUIRE(kds::parse_batch_header(other.data(), other.size(), &header) == BatchCheck::kOk);
  CHECK_FALSE(kds::batch_checksum_ok(other.data(), header));
}

TEST_CASE("decode_records rejects malformed payloads") {
  const kds::BatchBuilder builder = kds_test::build(sample_records());
  const std::string payload = builder.payload();
  const uint32_t count = builder.record_count();
  std::vector<kds::RecordView> views;
  REQUIRE(kds::decode_records(payload, count, &views));

  CHECK_FALSE(kds::decode_records(payload + "x", count, &views));  // trailing garbage
  CHECK_FALSE(kds::decode_records(payload + std::string(1, '\0'), count, &views));
  CHECK_FALSE(kds::decode_records(payload, count + 1, &views));  // count too high
  CHECK_FALSE(kds::decode_records(payload, count - 1, &views));  // count too low: bytes left over
  CHECK_FALSE(kds::decode_records(payload.substr(0, payload.size() - 1), count, &views));  // truncated data
  // A first record using key code 0 ("same key as the previous record") has no key to repeat.
  CHECK_FALSE(kds::decode_records(std::string("\x00\x01x", 3), 1, &views));
  // Key length running past the end.
  CHECK_FALSE(kds::decode_records(std::string("\x05"
                                              "ab",
                                              3),
                                  1, &views));
  // Data size running past the end.
  CHECK_FALSE(kds::decode_records(std::string("\x01k\x05"
                                              "ab",
                                              5),
                                  1, &views));
  // Overlong varint as key code.
  CHECK_FALSE(kds::decode_records(std::string("\xff\xff\xff\xff\xff\x01", 6), 1, &views));
  // A minimal valid single record, for contrast.
  const std::string minimal("\x01k\x00", 3);  // outlives the views into it
  REQUIRE(kds::decode_records(minimal, 1, &views));
  REQUIRE(views.size() == 1);
  CHECK(views[0].key == "k");
  CHECK(views[0].data.empty());
}
