// Small text conversions shared by the tools' option parsers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kds::cli {

// Decodes \n \r \t \0 \\ \xHH (kcat's escapes); other text is kept. nullopt for a bad escape.
std::optional<std::string> decode_escapes(std::string_view text);

// "4096", "64K", "64M", "1G", "512KiB", "2MB": binary multiples. nullopt for anything else or overflow.
std::optional<uint64_t> parse_size(std::string_view text);

// Hours as a whole number, or with a unit: "36", "36h", "7d", "2w". nullopt for anything else.
std::optional<int64_t> parse_hours(std::string_view text);

// A duration in milliseconds: a whole number with a unit, "500ms", "10s", "2m", "1h", or a bare number of
// seconds (as sleep(1) takes it). nullopt for anything else, a negative number or overflow.
std::optional<int64_t> parse_duration_ms(std::string_view text);

// A size in whole KiB as parse_size takes it ("2M", "1536K"), in KiB (at most 2^31-1, beyond which no
// Kinesis limit goes); nullopt for anything else. The maximum record size is given so.
std::optional<int64_t> parse_size_kib(std::string_view text);

// A size cap: "none" or "0" for none (returns 0), else a size as parse_size takes it.
std::optional<uint64_t> parse_size_cap(std::string_view text);

// A whole decimal integer, optionally negative; nullopt for anything else.
std::optional<int64_t> parse_integer(std::string_view text);

}  // namespace kds::cli
