#include "text.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>

namespace kds::cli {

std::optional<std::string> decode_escapes(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\') {
      out += text[i];
      continue;
    }
    if (++i == text.size()) return std::nullopt;
    switch (text[i]) {
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case '0':
        out += '\0';
        break;
      case '\\':
        out += '\\';
        break;
      case 'x': {
        if (i + 2 >= text.size()) return std::nullopt;  // needs two hex digits after the x
        unsigned value = 0;
        const auto* begin = text.data() + i + 1;
        auto [end, ec] = std::from_chars(begin, begin + 2, value, 16);
        if (ec != std::errc() || end != begin + 2) return std::nullopt;
        out += static_cast<char>(value);
        i += 2;
        break;
      }
      default:
        return std::nullopt;
    }
  }
  return out;
}

std::optional<uint64_t> parse_size(std::string_view text) {
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end == text.data()) return std::nullopt;
  std::string suffix(end, text.data() + text.size());
  for (auto& c : suffix)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  int shift = 0;
  if (suffix.empty() || suffix == "B") {
    shift = 0;
  } else if (suffix == "K" || suffix == "KB" || suffix == "KIB") {
    shift = 10;
  } else if (suffix == "M" || suffix == "MB" || suffix == "MIB") {
    shift = 20;
  } else if (suffix == "G" || suffix == "GB" || suffix == "GIB") {
    shift = 30;
  } else if (suffix == "T" || suffix == "TB" || suffix == "TIB") {
    shift = 40;
  } else {
    return std::nullopt;
  }
  if (shift > 0 && value > (UINT64_MAX >> shift)) return std::nullopt;
  return value << shift;
}

std::optional<int64_t> parse_hours(std::string_view text) {
  int64_t unit = 1;
  if (!text.empty()) {
    switch (text.back()) {
      case 'h':
        unit = 1, text.remove_suffix(1);
        break;
      case 'd':
        unit = 24, text.remove_suffix(1);
        break;
      case 'w':
        unit = 24 * 7, text.remove_suffix(1);
        break;
      default:
        break;
    }
  }
  auto value = parse_integer(text);
  if (!value || *value > INT64_MAX / unit || *value < INT64_MIN / unit) return std::nullopt;
  return *value * unit;
}

std::optional<int64_t> parse_duration_ms(std::string_view text) {
  int64_t unit = 1000;
  if (text.ends_with("ms")) {
    unit = 1, text.remove_suffix(2);
  } else if (text.ends_with('s')) {
    text.remove_suffix(1);
  } else if (text.ends_with('m')) {
    unit = 60 * 1000, text.remove_suffix(1);
  } else if (text.ends_with('h')) {
    unit = 3600 * 1000, text.remove_suffix(1);
  }
  auto value = parse_integer(text);
  if (!value || *value < 0 || *value > INT64_MAX / unit) return std::nullopt;
  return *value * unit;
}

std::optional<int64_t> parse_size_kib(std::string_view text) {
  const auto size = parse_size(text);
  if (!size || *size % 1024 != 0) return std::nullopt;
  return static_cast<int64_t>(std::min<uint64_t>(*size / 1024, INT32_MAX));
}

std::optional<uint64_t> parse_size_cap(std::string_view text) {
  if (text == "none") return 0;
  return parse_size(text);
}

std::optional<int64_t> parse_integer(std::string_view text) {
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

}  // namespace kds::cli
