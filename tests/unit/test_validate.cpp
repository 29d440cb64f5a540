// Request validation with Kinesis's exception names and texts (validate.h, errors.h; kinesis.md §5, §10,
// §13).
#include <doctest/doctest.h>

#include <string>

#include "kds/errors.h"
#include "kds/status.h"
#include "kds/validate.h"

namespace {

std::string violation(const std::string& value, const std::string& member, const std::string& constraint) {
  return "Value '" + value + "' at '" + member + "' failed to satisfy constraint: " + constraint;
}

const char* const kPattern = "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+";
const char* const kMin1 = "Member must have length greater than or equal to 1";
const char* const kMax128 = "Member must have length less than or equal to 128";

}  // namespace

TEST_CASE("validate_stream_name accepts [a-zA-Z0-9_.-]{1,128}") {
  for (const std::string& name :
       {std::string("a"), std::string("A-b_c.9"), std::string(128, 'x'), std::string("."), std::string(".."),
        std::string("..."), std::string("-"), std::string("_"), std::string("0123456789"),
        std::string("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")}) {
    CAPTURE(name);
    CHECK(kds::validate_stream_name(name).ok());
  }
}

TEST_CASE("validate_stream_name rejects with ValidationException texts") {
  auto message = [](const std::string& name) {
    const kds::Status status = kds::validate_stream_name(name);
    REQUIRE_FALSE(status.ok());
    CHECK(status.error().code() == kds::Errc::kValidation);
    CHECK(status.error().to_string().rfind("ValidationException: ", 0) == 0);
    return status.error().message();
  };
  const std::string long_name(129, 'a');
  CHECK(message(long_name) == "1 validation error detected: " + violation(long_name, "streamName", kMax128));
  CHECK(message("a/b") == "1 validation error detected: " + violation("a/b", "streamName", kPattern));
  CHECK(message("a b") == "1 validation error detected: " + violation("a b", "streamName", kPattern));
  CHECK(message("caf\xc3\xa9") ==
        "1 validation error detected: " + violation("caf\xc3\xa9", "streamName", kPattern));
  CHECK(message(std::string("a\0b", 3)) ==
        "1 validation error detected: " + violation(std::string("a\0b", 3), "streamName", kPattern));
  // Too long and a bad character: both violations, counted.
  const std::string long_bad = std::string(128, 'a') + "/";
  const std::string both = message(long_bad);
  CHECK(both.rfind("2 validation errors detected: ", 0) == 0);
  CHECK(both.find(violation(long_bad, "streamName", kMax128)) != std::string::npos);
  CHECK(both.find(violation(long_bad, "streamName", kPattern)) != std::string::npos);
  CHECK(both.find("; ") != std::string::npos);
  // The empty name at least names the length constraint.
  CHECK(message("").find(violation("", "streamName", kMin1)) != std::string::npos);
}

TEST_CASE("validate_stream_name: the empty name violates both the pattern and the length, as on AWS") {
  // The pattern [a-zA-Z0-9_.-]+ does not match "" either, and AWS (kinesalite's createStream test, run
  // against live AWS) reports both, pattern first.
  const kds::Status status = kds::validate_stream_name("");
  REQUIRE_FALSE(status.ok());
  CHECK(status.error().message() == "2 validation errors detected: " + violation("", "streamName", kPattern) +
                                        "; " + violation("", "streamName", kMin1));
}

TEST_CASE("validate_partition_key: 1..256 Unicode characters of valid UTF-8") {
  CHECK(kds::validate_partition_key("a").ok());
  CHECK(kds::validate_partition_key(std::string(256, 'k')).ok());
  std::string two_byte;
  for (int i = 0; i < 256; ++i)
    two_byte += "\xc3\xbc";  // 256 x ü: 512 bytes, 256 characters
  CHECK(kds::validate_partition_key(two_byte).ok());
  std::string four_byte;
  for (int i = 0; i < 256; ++i)
    four_byte += "\xf0\x9f\x98\x80";  // 256 x U+1F600: 1024 bytes
  CHECK(kds::validate_partition_key(four_byte).ok());
  CHECK(kds::validate_partition_key(std::string("a\0b", 3)).ok());  // NUL is a valid character

  const std::string too_long(257, 'k');
  kds::Status status = kds::validate_partition_key(too_long);
  REQUIRE_FALSE(status.ok());
  CHECK(status.error().code() == kds::Errc::kValidation);
  CHECK(status.error().message() ==
        "1 validation error detected: " +
            violation(too_long, "partitionKey", "Member must have length less than or equal to 256"));

  status = kds::validate_partition_key(two_byte + "\xc3\xbc");
  REQUIRE_FALSE(status.ok());
  CHECK(status.error().code() == kds::Errc::kValidation);

  status = kds::validate_partition_key("");
  REQUIRE_FALSE(status.ok());
  CHECK(status.error().code() == kds::Errc::kValidation);
  CHECK(status.error().message() == "1 validation error detected: " + violation("", "partitionKey", kMin1));

  // The member name is the caller's (PutRecords names the entry).
  status = kds::validate_partition_key("", "records.1.member.partitionKey");
  REQUIRE_FALSE(status.ok());
  CHECK(status.error().message() ==
        "1 validation error detected: Value '' at 'records.1.member.partitionKey' failed to satisfy "
        "constraint: "
        "Member must have length greater than or equal to 1");

  for (const std::string& bad :
       {std::string("\xff"), std::string("\xc3"), std::string("ab\xc3"), std::string("\xc0\xaf"),
        std::string("\xed\xa0\x80"), std::string("\xf4\x90\x80\x80"), std::string("\x80"),
        std::string("a\xe2\x82"), std::string("\xf8\x88\x80\x80\x80")}) {
    CAPTURE(bad);
    status = kds::validate_partition_key(bad);
    REQUIRE_FALSE(status.ok());
    CHECK(status.error().code() == kds::Errc::kValidation);
    CHECK(status.error().message().find("partitionKey") != std::string::npos);
  }
}

TEST_CASE("utf8_length") {
  CHECK(kds::utf8_length("") == 0);
  CHECK(kds::utf8_length("abc") == 3);
  CHECK(kds::utf8_length("\xc3\xbc") == 1);
  CHECK(kds::utf8_length("\xe2\x82\xac") == 1);      // €
  CHECK(kds::utf8_length("\xf0\x9f\x98\x80") == 1);  // U+1F600
  CHECK(kds::utf8_length("a\xc3\xbc\xe2\x82\xac\xf0\x9f\x98\x80z") == 5);
  CHECK(kds::utf8_length("\xf4\x8f\xbf\xbf") == 1);  // U+10FFFF, the last code point
  CHECK(kds::utf8_length("\xef\xbf\xbf") == 1);      // U+FFFF
  CHECK(kds::utf8_length(std::string("\0", 1)) == 1);
  // Invalid: stray continuation, truncated sequences, overlong forms, surrogates, past U+10FFFF, 5-byte lead.
  for (const std::string& bad :
       {std::string("\x80"), std::string("\xbf"), std::string("\xc3"), std::string("\xe2\x82"),
        std::string("\xf0\x9f\x98"), std::string("\xc0\x80"), std::string("\xc1\xbf"),
        std::string("\xe0\x80\xaf"), std::string("\xf0\x80\x80\xaf"), std::string("\xed\xa0\x80"),
        std::string("\xed\xbf\xbf"), std::string("\xf4\x90\x80\x80"), std::string("\xf8\x88\x80\x80\x80"),
        std::string("\xfe"), std::string("\xc3\x41"), std::string("abc\xc3")}) {
    CAPTURE(bad);
    CHECK(kds::utf8_length(bad) == -1);
  }
}

TEST_CASE("validate_record_size: data and key + data at most 1 MiB") {
  const size_t mib = 1024 * 1024;
  CHECK(kds::validate_record_size("", mib, mib).ok());
  CHECK(kds::validate_record_size("", 0, mib).ok());
  CHECK(kds::validate_record_size("k", mib - 1, mib).ok());
  CHECK(kds::validate_record_size(std::string(256, 'k'), mib - 256, mib).ok());

  kds::Status status = kds::validate_record_size("", mib + 1, mib);
  REQUIRE_FALSE(status.ok());
  CHECK(status.error().code() == kds::Errc::kValidation);
  CHECK(
      status.error().message() ==
      "1 validation error detected: Value 'java.nio.HeapByteBuffer[pos=0 lim=1048577 cap=1048577]' at 'data' "
      "failed to satisfy constraint: Member must have length less than or equal to 1048576");
  // kinesis.md §5's example value.
  status = kds::validate_record_size("k", 1048954, mib);
  REQUIRE_FALSE(status.ok());
  CHECK(
      status.error().message() ==
      "1 validation error detected: Value 'java.nio.HeapByteBuffer[pos=0 lim=1048954 cap=1048954]' at 'data' "
      "failed to satisfy constraint: Member must have length less than or equal to 1048576");

  // Key + data over 1 MiB with data alone within it.
  for (const auto& [key, size] :
       {std::pair<std::string, size_t>{"k", mib}, {std::string(256, 'k'), mib - 255}}) {
    CAPTURE(size);
    status = kds::validate_record_size(key, size, mib);
    REQUIRE_FALSE(status.ok());
    CHECK(status.error().code() == kds::Errc::kValidation);
  }
}

TEST_CASE("validate_shard_count: 1..10000") {
  CHECK(kds::validate_shard_count(1).ok());
  CHECK(kds::validate_shard_count(10000).ok());
  for (int64_t count : {int64_t{0}, int64_t{-1}}) {
    const kds::Status status = kds::validate_shard_count(count);
    REQUIRE_FALSE(status.ok());
    CHECK(status.error().code() == kds::Errc::kValidation);
    CHECK(status.error().message() ==
          "1 validation error detected: " + violation(std::to_string(count), "shardCount",
                                                      "Member must have value greater than or equal to 1"));
  }
  const kds::Status status = kds::validate_shard_count(10001);
  REQUIRE_FALSE(status.ok());
  CHECK(status.error().code() == kds::Errc::kLimitExceeded);
  CHECK(
      status.error().message() ==
      "This request would exceed the shard limit for the account 000000000000 in us-east-1. Current shard "
      "count "
      "for the account: 0. Limit: 10000. Number of additional shards that would have resulted from this "
      "request: "
      "10001. Refer to the AWS Service Limits page "
      "(http://docs.aws.amazon.com/general/latest/gr/aws_service_limits.html) for current limits and how to "
      "request higher limits.");
  CHECK(status.error().to_string().rfind("LimitExceededException: ", 0) == 0);
}

TEST_CASE("validate_retention_hours: 24..8760") {
  CHECK(kds::validate_retention_hours(24).ok());
  CHECK(kds::validate_retention_hours(168).ok());
  CHECK(kds::validate_retention_hours(8760).ok());
  kds::Status status = kds::validate_retention_hours(23);
  REQUIRE_FALSE(status.ok());
  CHECK(status.error().code() == kds::Errc::kInvalidArgument);
  CHECK(status.error().message() ==
        "Minimum allowed retention period is 24 hours. Requested retention period (23 hours) is too short.");
  CHECK(status.error().to_string().rfind("InvalidArgumentException: ", 0) == 0);
  status = kds::validate_retention_hours(0);
  REQUIRE_FALSE(status.ok());
  CHECK(status.error().message() ==
        "Minimum allowed retention period is 24 hours. Requested retention period (0 hours) is too short.");
  status = kds::validate_retention_hours(8761);
  REQUIRE_FALSE(status.ok());
  CHECK(status.error().code() == kds::Errc::kInvalidArgument);
  // kinesis.md §15: AWS's text for this case is unknown; the message must name the limit and the value.
  CHECK(status.error().message().find("8760 hours") != std::string::npos);
  CHECK(status.error().message().find("(8761 hours)") != std::string::npos);
}

TEST_CASE("error texts of errors.h follow kinesis.md §13") {
  CHECK(kds::stream_not_found("s").message() == "Stream s under account 000000000000 not found.");
  CHECK(kds::stream_not_found("s").code() == kds::Errc::kResourceNotFound);
  CHECK(kds::stream_exists("s").message() == "Stream s under account 000000000000 already exists.");
  CHECK(kds::stream_exists("s").code() == kds::Errc::kResourceInUse);
  CHECK(kds::stream_not_active("s", "UPDATING").message() ==
        "Stream s under account 000000000000 not ACTIVE, instead in state UPDATING");
  CHECK(kds::shard_not_found("shardId-5", "s").message() ==
        "Could not find shard shardId-000000000005 in stream s under account 000000000000.");
  CHECK(kds::shard_not_found("ABKLFD8", "s").message() ==
        "Could not find shard ABKLFD8 in stream s under account 000000000000.");
  CHECK(kds::shard_does_not_exist(3, "s").message() ==
        "Shard shardId-000000000003 in stream s under account 000000000000 does not exist");
  CHECK(kds::stream_arn("s") == "arn:aws:kinesis:us-east-1:000000000000:stream/s");
  CHECK(kds::stream_exists("s").to_string() ==
        "ResourceInUseException: Stream s under account 000000000000 already exists.");
  CHECK(kds::stream_not_found("s").to_string() ==
        "ResourceNotFoundException: Stream s under account 000000000000 not found.");
}
