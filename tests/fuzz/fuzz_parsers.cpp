// Fuzzes the parsers of text users type: sequence numbers, shard ids, hash keys, timestamps, sizes,
// durations, codecs, escapes, names. Each must refuse what it cannot read without crashing, and what it
// accepts must print back in a form it reads as the same value.
#include <cstdint>
#include <string>

#include "common/text.h"
#include "fuzz_support.h"
#include "kds/compression.h"
#include "kds/hash_key.h"
#include "kds/shard_id.h"
#include "kds/timestamp.h"
#include "kds/validate.h"

namespace {

using kds::fuzz::fail;

void check_numbers(std::string_view text) {
  const auto number = kds::parse_decimal_u128(text);
  if (number) {
    const std::string printed = kds::to_decimal(*number);
    if (kds::parse_decimal_u128(printed) != number) fail("to_decimal does not parse back");
    if (text.size() > 1 && text[0] != '0' && printed != text) fail("canonical decimal prints differently");
  }
  const auto hash_key = kds::parse_explicit_hash_key(text);
  if (hash_key.ok() && (!number || *hash_key != *number)) fail("hash key accepted that is not the decimal");

  const auto position = kds::parse_sequence_number(text, "StartingSequenceNumber");
  if (position.ok()) {
    if (!number) fail("sequence number accepted that is not a decimal");
    const kds::u128 rebuilt = kds::make_sequence_number(position->shard_index, position->offset);
    if (rebuilt != *number) fail("sequence number does not rebuild");
    const auto split = kds::split_sequence_number(rebuilt);
    if (!split || !(*split == *position)) fail("sequence number does not split back");
  }

  if (const auto index = kds::parse_shard_id(text)) {
    if (kds::parse_shard_id(kds::shard_id_string(*index)) != index) fail("shard id does not print back");
  }
}

void check_units(std::string_view text) {
  (void)kds::parse_timestamp_ms(text);
  (void)kds::cli::parse_size(text);
  (void)kds::cli::parse_size_cap(text);
  (void)kds::cli::parse_hours(text);
  if (const auto integer = kds::cli::parse_integer(text)) {
    if (kds::cli::parse_integer(std::to_string(*integer)) != integer) fail("integer does not print back");
  }
  const auto level = kds::parse_compression(text);
  if (level && kds::parse_compression(kds::compression_text(*level)) != level)
    fail("codec does not print back");
  if (const auto decoded = kds::cli::decode_escapes(text)) {
    if (decoded->size() > text.size()) fail("escapes decode to more bytes than they take");
  }
}

void check_names(std::string_view text) {
  // Kinesis's rule; a stream lives in "<name>.stream", so even ".." stays inside the store.
  if (kds::validate_stream_name(text).ok()) {
    const bool kinesis_name = !text.empty() && text.size() <= kds::kMaxStreamNameLength &&
                              text.find_first_not_of(
                                  "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                  "0123456789_.-") == std::string_view::npos;
    if (!kinesis_name) fail("stream name accepted that breaks Kinesis's rule");
  }
  (void)kds::validate_partition_key(text);
  (void)kds::utf8_length(text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  check_numbers(text);
  check_units(text);
  check_names(text);
  return 0;
}
