// CBOR 1.1 bodies (wire.md §2, §4), the Java SDK's default: the operations read and write JSON 1.1, so a
// CBOR request is turned into the JSON the operations read, and their JSON answer into CBOR.
//   - Blobs are byte strings in CBOR and base64 strings in JSON.
//   - Timestamps are epoch milliseconds in CBOR (tag 1 around an integer; a float or no tag accepted on
//     input) and epoch seconds in JSON.
// libcbor (Debian's libcbor-dev) reads and writes the CBOR: nlohmann's from_cbor refuses tags 0 to 5,
// and so the Java SDK's timestamps, and its to_cbor cannot put a tag around a number.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace kds::serve {

// The JSON text of a CBOR request body, or nullopt when the body is not one well-formed CBOR value.
std::optional<std::string> cbor_request_to_json(std::string_view body);

// The CBOR form of an answer given as JSON text (which the operations produced, so it parses).
std::string json_answer_to_cbor(std::string_view json_text);

}  // namespace kds::serve
