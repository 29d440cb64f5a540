#include "kds/timestamp.h"

#include <fmt/compile.h>
#include <fmt/format.h>

#include <chrono>

namespace kds {

namespace {

bool take_digits(std::string_view& text, size_t count, int64_t* value) {
  if (text.size() < count) return false;
  int64_t result = 0;
  for (size_t i = 0; i < count; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    result = result * 10 + (text[i] - '0');
  }
  text.remove_prefix(count);
  *value = result;
  return true;
}

bool take_char(std::string_view& text, char c) {
  if (text.empty() || text[0] != c) return false;
  text.remove_prefix(1);
  return true;
}

// Up to three fraction digits as milliseconds; further digits are accepted and dropped.
bool take_fraction_ms(std::string_view& text, int64_t* ms) {
  *ms = 0;
  if (!take_char(text, '.')) return true;
  size_t digits = 0;
  int64_t scale = 100;
  while (!text.empty() && text[0] >= '0' && text[0] <= '9') {
    if (digits < 3) *ms += (text[0] - '0') * scale, scale /= 10;
    ++digits;
    text.remove_prefix(1);
  }
  return digits > 0;
}

std::optional<int64_t> parse_epoch(std::string_view text) {
  int64_t seconds = 0;
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9')
    ++digits;
  if (digits == 0 || digits > 12) return std::nullopt;
  take_digits(text, digits, &seconds);
  int64_t ms = 0;
  if (!take_fraction_ms(text, &ms) || !text.empty()) return std::nullopt;
  return seconds * 1000 + ms;
}

std::optional<int64_t> parse_iso(std::string_view text) {
  using namespace std::chrono;
  int64_t year, month, day, hour = 0, minute = 0, second = 0, ms = 0, offset_minutes = 0;
  if (!take_digits(text, 4, &year) || !take_char(text, '-') || !take_digits(text, 2, &month) ||
      !take_char(text, '-') || !take_digits(text, 2, &day)) {
    return std::nullopt;
  }
  const year_month_day date{std::chrono::year(static_cast<int>(year)),
                            std::chrono::month(static_cast<unsigned>(month)),
                            std::chrono::day(static_cast<unsigned>(day))};
  if (!date.ok()) return std::nullopt;
  if (!text.empty()) {
    if (!take_char(text, 'T') && !take_char(text, 't') && !take_char(text, ' ')) return std::nullopt;
    if (!take_digits(text, 2, &hour) || !take_char(text, ':') || !take_digits(text, 2, &minute))
      return std::nullopt;
    if (take_char(text, ':') && !take_digits(text, 2, &second)) return std::nullopt;
    if (!take_fraction_ms(text, &ms)) return std::nullopt;
    if (hour > 23 || minute > 59 || second > 60) return std::nullopt;
    if (take_char(text, 'Z') || take_char(text, 'z')) {
    } else if (!text.empty() && (text[0] == '+' || text[0] == '-')) {
      const int sign = text[0] == '-' ? -1 : 1;
      text.remove_prefix(1);
      int64_t off_hours = 0, off_minutes = 0;
      if (!take_digits(text, 2, &off_hours)) return std::nullopt;
      take_char(text, ':');
      if (!text.empty() && !take_digits(text, 2, &off_minutes)) return std::nullopt;
      if (off_hours > 23 || off_minutes > 59) return std::nullopt;
      offset_minutes = sign * (off_hours * 60 + off_minutes);
    }
  }
  if (!text.empty()) return std::nullopt;
  const int64_t days = sys_days(date).time_since_epoch().count();
  return ((days * 24 + hour) * 60 + minute - offset_minutes) * 60000 + second * 1000 + ms;
}

}  // namespace

std::optional<int64_t> parse_timestamp_ms(std::string_view text) {
  if (text.size() >= 5 && text[4] == '-') return parse_iso(text);
  return parse_epoch(text);
}

std::string format_epoch_seconds(int64_t ms) {
  // Sign and magnitude, so -1 ms prints as -0.001 (not -1.999).
  const uint64_t magnitude = ms < 0 ? 0 - static_cast<uint64_t>(ms) : static_cast<uint64_t>(ms);
  // Compiled: GetRecords writes one per record.
  return fmt::format(FMT_COMPILE("{}{}.{:03}"), ms < 0 ? "-" : "", magnitude / 1000, magnitude % 1000);
}

std::string format_iso8601(int64_t ms) {
  using namespace std::chrono;
  const sys_time<milliseconds> time{milliseconds(ms)};
  const auto day_point = floor<days>(time);
  const year_month_day date{day_point};
  const hh_mm_ss clock{time - day_point};
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", static_cast<int>(date.year()),
                     static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                     clock.hours().count(), clock.minutes().count(), clock.seconds().count(),
                     clock.subseconds().count());
}

}  // namespace kds
