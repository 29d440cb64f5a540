// Arrival timestamps as users write and read them: epoch seconds with a millisecond fraction (what the
// AWS CLI prints) and ISO-8601.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kds {

// Parses "1459799926", "1459799926.48", "2016-04-04T19:58:46.480Z", "2016-04-04 19:58:46+02:00",
// "2016-04-04" (midnight UTC) into milliseconds since the epoch (digits past milliseconds are dropped).
// nullopt for anything else.
std::optional<int64_t> parse_timestamp_ms(std::string_view text);

// "1459799926.480": epoch seconds with exactly three decimals, as JSON numbers in kds output.
std::string format_epoch_seconds(int64_t ms);
// "2016-04-04T19:58:46.480Z"
std::string format_iso8601(int64_t ms);

}  // namespace kds
