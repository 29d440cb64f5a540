// Arrival timestamps as users write and read them (timestamp.h).
#include <doctest/doctest.h>

#include <optional>
#include <string>

#include "kds/timestamp.h"

TEST_CASE("parse_timestamp_ms accepts epoch seconds and ISO-8601") {
  struct Case {
    const char* text;
    int64_t ms;
  };
  for (const Case& c : {
           Case{"1459799926", 1459799926000},
           Case{"1459799926.48", 1459799926480},
           Case{"1459799926.480", 1459799926480},
           Case{"1459799926.480123", 1459799926480},  // digits past milliseconds are dropped
           Case{"1459799926.4", 1459799926400},
           Case{"1459799926.001", 1459799926001},
           Case{"1459799926.999999", 1459799926999},
           Case{"0", 0},
           Case{"2016-04-04T19:58:46.480Z", 1459799926480},
           Case{"2016-04-04T21:58:46.480+02:00", 1459799926480},
           Case{"2016-04-04T14:28:46.480-05:30", 1459799926480},
           Case{"2016-04-04T21:58:46.480+0200", 1459799926480},
           Case{"2016-04-04 19:58:46+02:00", 1459792726000},
           Case{"2016-04-04t19:58:46.480z", 1459799926480},
           Case{"2016-04-04T19:58:46Z", 1459799926000},
           Case{"2016-04-04T19:58Z", 1459799880000},
           Case{"2016-04-04", 1459728000000},
           Case{"1970-01-01", 0},
           Case{"2000-02-29T12:00:00Z", 951825600000},
           Case{"9999-12-31T23:59:59.999Z", 253402300799999},
       }) {
    const std::string shown = c.text;
    CAPTURE(shown);
    const auto parsed = kds::parse_timestamp_ms(c.text);
    REQUIRE(parsed.has_value());
    CHECK(*parsed == c.ms);
  }
}

TEST_CASE("parse_timestamp_ms rejects everything else") {
  for (const char* text : {"abc", "2016-13-01", "1459799926.", "", "2016-02-30", "2017-02-29", "2016-00-10",
                           "2016-04-00", "2016-04-04T25:00:00Z", "2016-04-04T19:60:00Z", "2016-04-04T",
                           "2016-04-04T19:58:46.Z", "2016-04-04T19:58:46.480Zjunk", "2016-04-04T19:58:46+25:00",
                           "2016-4-4", "1459799926.48x", "-1", " 1459799926", "1459799926 ", "1.2.3", ".5",
                           "2016-04-04X19:58:46Z"}) {
    const std::string shown = text;
    CAPTURE(shown);
    CHECK_FALSE(kds::parse_timestamp_ms(text).has_value());
  }
}

TEST_CASE("format_epoch_seconds prints exactly three decimals") {
  CHECK(kds::format_epoch_seconds(1459799926480) == "1459799926.480");
  CHECK(kds::format_epoch_seconds(1459799926000) == "1459799926.000");
  CHECK(kds::format_epoch_seconds(1459799926005) == "1459799926.005");
  CHECK(kds::format_epoch_seconds(1572297168000) == "1572297168.000");
  CHECK(kds::format_epoch_seconds(0) == "0.000");
  CHECK(kds::format_epoch_seconds(5) == "0.005");
  CHECK(kds::format_epoch_seconds(999) == "0.999");
  CHECK(kds::format_epoch_seconds(1000) == "1.000");
  CHECK(kds::format_epoch_seconds(-1000) == "-1.000");
}

TEST_CASE("format_epoch_seconds of times before 1970 denotes the same instant") {
  // The text is read as a JSON number, so negative times must print as sign and magnitude:
  // parse_timestamp_ms("1969-12-31T23:59:59.999Z") is -1, which must print as "-0.001", not "-1.999".
  CHECK(kds::format_epoch_seconds(-1) == "-0.001");
  CHECK(kds::format_epoch_seconds(-1500) == "-1.500");
}

TEST_CASE("format_iso8601") {
  CHECK(kds::format_iso8601(1459799926480) == "2016-04-04T19:58:46.480Z");
  CHECK(kds::format_iso8601(0) == "1970-01-01T00:00:00.000Z");
  CHECK(kds::format_iso8601(951825600000) == "2000-02-29T12:00:00.000Z");
  CHECK(kds::format_iso8601(253402300799999) == "9999-12-31T23:59:59.999Z");
  CHECK(kds::format_iso8601(-1) == "1969-12-31T23:59:59.999Z");
  CHECK(kds::format_iso8601(1459728000000) == "2016-04-04T00:00:00.000Z");
}

TEST_CASE("formatted timestamps parse back to the same milliseconds") {
  for (int64_t ms : {int64_t{0}, int64_t{1}, int64_t{999}, int64_t{1459799926480}, int64_t{951825600000},
                     int64_t{1700000000123}, int64_t{253402300799999}}) {
    CAPTURE(ms);
    CHECK(kds::parse_timestamp_ms(kds::format_iso8601(ms)) == std::optional<int64_t>(ms));
    CHECK(kds::parse_timestamp_ms(kds::format_epoch_seconds(ms)) == std::optional<int64_t>(ms));
  }
}
