// The binary framing of an `application/vnd.amazon.eventstream` body (wire.md §7), in which SubscribeToShard
// answers: a sequence of messages, each
//
//   total length   u32 big-endian, the whole message, these 4 bytes and the CRC at the end included
//   headers length u32 big-endian
//   prelude CRC    u32 big-endian, CRC-32 (IEEE, zlib's) of the 8 bytes above
//   headers        each: name length u8, name, value type u8, value (type 7, string: u16 length, bytes)
//   payload        total length - headers length - 16 bytes
//   message CRC    u32 big-endian, CRC-32 of everything before it
//
// kds-serve writes such messages, and every header Kinesis sends is a string, so this writes type 7 alone;
// read_event_message is the inverse, for the remote client (kds-tail --consumer), and reads every type.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kds::api {

using EventHeaders = std::vector<std::pair<std::string, std::string>>;

// One message with string-valued `headers` (names up to 255 bytes, values up to 65535) and `payload`.
std::string encode_event_message(const EventHeaders& headers, std::string_view payload);

// An event (`:message-type` event) of `event_type` with a payload of `content_type`.
std::string encode_event(std::string_view event_type, std::string_view content_type,
                         std::string_view payload);

// An exception (`:message-type` exception) of `exception_type` (e.g. "ResourceInUseException").
std::string encode_exception(std::string_view exception_type, std::string_view content_type,
                             std::string_view payload);

struct EventMessage {
  EventHeaders headers;  // values of other types than string are given as their decimal or hex text
  std::string payload;
  size_t size = 0;  // bytes the message took
};

// The message at the start of `bytes`; nullopt if they do not begin with a whole, well-formed message
// (lengths that disagree, a CRC that does not match, a header that runs past its end).
std::optional<EventMessage> read_event_message(std::string_view bytes);

}  // namespace kds::api
