// Event-stream messages (event_stream.h).
#include "kds/api/event_stream.h"

#include <fmt/format.h>

#include "kds/crc32.h"

namespace kds::api {

namespace {

uint32_t crc32(std::string_view bytes) {
  return kds::crc32(bytes.data(), bytes.size());
}

void put_u32(std::string& out, uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8)
    out += static_cast<char>((value >> shift) & 0xff);
}

uint64_t get_be(std::string_view bytes, size_t at, size_t width) {
  uint64_t value = 0;
  for (size_t i = 0; i < width; ++i)
    value = (value << 8) | static_cast<unsigned char>(bytes[at + i]);
  return value;
}

}  // namespace

std::string encode_event_message(const EventHeaders& headers, std::string_view payload) {
  std::string encoded_headers;
  for (const auto& [name, value] : headers) {
    encoded_headers += static_cast<char>(name.size());
    encoded_headers += name;
    encoded_headers += static_cast<char>(7);  // string
    encoded_headers += static_cast<char>((value.size() >> 8) & 0xff);
    encoded_headers += static_cast<char>(value.size() & 0xff);
    encoded_headers += value;
  }
  std::string out;
  out.reserve(16 + encoded_headers.size() + payload.size());
  put_u32(out, static_cast<uint32_t>(16 + encoded_headers.size() + payload.size()));
  put_u32(out, static_cast<uint32_t>(encoded_headers.size()));
  put_u32(out, crc32(out));
  out += encoded_headers;
  out += payload;
  put_u32(out, crc32(out));
  return out;
}

namespace {

// A message of `message_type` ("event", "exception") whose kind is `type_header` (":event-type",
// ":exception-type") = `type`.
std::string encode_typed(std::string_view message_type, std::string_view type_header, std::string_view type,
                         std::string_view content_type, std::string_view payload) {
  return encode_event_message({{":message-type", std::string(message_type)},
                               {std::string(type_header), std::string(type)},
                               {":content-type", std::string(content_type)}},
                              payload);
}

}  // namespace

std::string encode_event(std::string_view event_type, std::string_view content_type,
                         std::string_view payload) {
  return encode_typed("event", ":event-type", event_type, content_type, payload);
}

std::string encode_exception(std::string_view exception_type, std::string_view content_type,
                             std::string_view payload) {
  return encode_typed("exception", ":exception-type", exception_type, content_type, payload);
}

std::optional<EventMessage> read_event_message(std::string_view bytes) {
  if (bytes.size() < 16) return std::nullopt;
  const uint64_t total = get_be(bytes, 0, 4);
  const uint64_t headers_length = get_be(bytes, 4, 4);
  if (total < 16 || total > bytes.size() || headers_length > total - 16) return std::nullopt;
  if (get_be(bytes, 8, 4) != crc32(bytes.substr(0, 8))) return std::nullopt;
  if (get_be(bytes, total - 4, 4) != crc32(bytes.substr(0, total - 4))) return std::nullopt;
  EventMessage message;
  message.size = total;
  const std::string_view headers = bytes.substr(12, headers_length);
  size_t at = 0;
  auto need = [&](size_t count) { return at + count <= headers.size(); };
  while (at < headers.size()) {
    const size_t name_length = static_cast<unsigned char>(headers[at++]);
    if (!need(name_length + 1)) return std::nullopt;
    std::string name(headers.substr(at, name_length));
    at += name_length;
    const int type = static_cast<unsigned char>(headers[at++]);
    std::string value;
    static constexpr size_t kWidths[] = {0, 0, 1, 2, 4, 8};
    if (type == 0 || type == 1) {
      value = type == 0 ? "true" : "false";
    } else if (type >= 2 && type <= 5) {
      if (!need(kWidths[type])) return std::nullopt;
      const int unused_bits = 64 - 8 * static_cast<int>(kWidths[type]);  // sign-extended from its width
      value = std::to_string(static_cast<int64_t>(get_be(headers, at, kWidths[type]) << unused_bits) >>
                             unused_bits);
      at += kWidths[type];
    } else if (type == 6 || type == 7) {
      if (!need(2)) return std::nullopt;
      const size_t length = get_be(headers, at, 2);
      at += 2;
      if (!need(length)) return std::nullopt;
      value = std::string(headers.substr(at, length));
      at += length;
    } else if (type == 8) {
      if (!need(8)) return std::nullopt;
      value = std::to_string(static_cast<int64_t>(get_be(headers, at, 8)));
      at += 8;
    } else if (type == 9) {
      if (!need(16)) return std::nullopt;
      for (size_t i = 0; i < 16; ++i)
        value += fmt::format("{:02x}", static_cast<unsigned char>(headers[at + i]));
      at += 16;
    } else {
      return std::nullopt;
    }
    message.headers.emplace_back(std::move(name), std::move(value));
  }
  message.payload = std::string(bytes.substr(12 + headers_length, total - 16 - headers_length));
  return message;
}

}  // namespace kds::api
