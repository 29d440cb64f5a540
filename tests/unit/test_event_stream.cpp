// The event-stream framing SubscribeToShard answers in (kds/api/event_stream.h), against messages
// botocore's decoder is tested with, and byte surgery on our own.
#include <doctest/doctest.h>

#include <string>

#include "kds/api/event_stream.h"
#include "kds/crc32.h"

using namespace kds::api;
using namespace std::string_literals;

namespace {

// An empty message, and one with a content-type header and a payload, as botocore's tests give them.
const std::string kEmpty = "\x00\x00\x00\x10\x00\x00\x00\x00\x05\xc2H\xeb}\x98\xc8\xff"s;
const std::string kOneHeader =
    "\x00\x00\x00=\x00\x00\x00 \x07\xfd\x83\x96\x0c"
    "content-type\x07\x00\x10"
    "application/json{'foo':'bar'}\x8d\x9c\x08\xb1"s;
// One header of every type (0 true ... 9 uuid).
const std::string kAllTypes =
    "\x00\x00\x00\x62\x00\x00\x00\x52\x03\xb5\xcb\x9c"
    "\x01"
    "0\x00\x01"
    "1\x01\x01"
    "2\x02\x02\x01"
    "3\x03\x00\x03"
    "\x01"
    "4\x04\x00\x00\x00\x04\x01"
    "5\x05\x00\x00\x00\x00\x00\x00\x00\x05"
    "\x01"
    "6\x06\x00\x05"
    "bytes\x01"
    "7\x07\x00\x04"
    "utf8"
    "\x01"
    "8\x08\x00\x00\x00\x00\x00\x00\x00\x08\x01"
    "9\x09"
    "0123456789abcdef"
    "\x63\x35\x36\x71"s;

}  // namespace

TEST_CASE("event stream: messages are framed as AWS's decoders expect") {
  CHECK(encode_event_message({}, "") == kEmpty);
  CHECK(encode_event_message({{"content-type", "application/json"}}, "{'foo':'bar'}") == kOneHeader);
}

TEST_CASE("event stream: reading gives back what was written, of every header type") {
  auto one = read_event_message(kOneHeader + "trailing bytes");
  REQUIRE(one);
  CHECK(one->size == kOneHeader.size());
  CHECK(one->headers == EventHeaders{{"content-type", "application/json"}});
  CHECK(one->payload == "{'foo':'bar'}");

  auto all = read_event_message(kAllTypes);
  REQUIRE(all);
  CHECK(all->headers == EventHeaders{{"0", "true"},
                                     {"1", "false"},
                                     {"2", "2"},
                                     {"3", "3"},
                                     {"4", "4"},
                                     {"5", "5"},
                                     {"6", "bytes"},
                                     {"7", "utf8"},
                                     {"8", "8"},
                                     {"9", "30313233343536373839616263646566"}});

  const std::string event = encode_event("SubscribeToShardEvent", "application/json", R"({"Records":[]})");
  auto read = read_event_message(event);
  REQUIRE(read);
  CHECK(read->headers == EventHeaders{{":message-type", "event"},
                                      {":event-type", "SubscribeToShardEvent"},
                                      {":content-type", "application/json"}});
  CHECK(read->payload == R"({"Records":[]})");
  auto exception = read_event_message(encode_exception("ResourceInUseException", "application/json", "{}"));
  REQUIRE(exception);
  CHECK(exception->headers[1] ==
        std::pair<std::string, std::string>{":exception-type", "ResourceInUseException"});
}

TEST_CASE("event stream: a signed integer header is read with its sign") {
  // botocore's int8 example: header "byte" = -1.
  const std::string int8 =
      "\x00\x00\x00\x17\x00\x00\x00\x07)\x86\x01X\x04"
      "byte\x02\xff\xc2\xf8i\xdc"s;
  auto message = read_event_message(int8);
  REQUIRE(message);
  CHECK(message->headers == EventHeaders{{"byte", "-1"}});
}

TEST_CASE("event stream: every damaged or short message is refused") {
  const std::string good = encode_event("initial-response", "application/json", "{}");
  REQUIRE(read_event_message(good));
  // Any single flipped byte breaks a CRC (or a length, which then disagrees with the CRC).
  for (size_t at = 0; at < good.size(); ++at) {
    std::string bad = good;
    bad[at] = static_cast<char>(bad[at] ^ 0x20);
    CAPTURE(at);
    CHECK_FALSE(read_event_message(bad));
  }
  for (size_t length = 0; length < good.size(); ++length) {
    CAPTURE(length);
    CHECK_FALSE(read_event_message(good.substr(0, length)));
  }
}

TEST_CASE("crc32: the IEEE check value, and large inputs as small ones extend them") {
  CHECK(kds::crc32("", 0) == 0);
  CHECK(kds::crc32("123456789", 9) == 0xCBF43926u);
  CHECK(kds::crc32("a", 1) == 0xE8B7BE43u);
  // Long enough for the vector kernel, against a bitwise CRC-32.
  std::string bytes(100003, '\0');
  for (size_t i = 0; i < bytes.size(); ++i)
    bytes[i] = static_cast<char>((i * 2654435761u) >> 13);
  uint32_t bitwise = 0xFFFFFFFFu;
  for (unsigned char c : bytes) {
    bitwise ^= c;
    for (int k = 0; k < 8; ++k)
      bitwise = (bitwise >> 1) ^ (0xEDB88320u & (0u - (bitwise & 1u)));
  }
  CHECK(kds::crc32(bytes.data(), bytes.size()) == ~bitwise);
}
