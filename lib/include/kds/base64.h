// Base64 (RFC 4648, with padding) as AWS uses for record data in JSON.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace kds {

// Appends the encoding of `data` to `out`.
void base64_encode(std::string_view data, std::string* out);
// Decodes padded base64; nullopt for malformed input.
std::optional<std::string> base64_decode(std::string_view text);
// The same into `*out` (its contents replaced, its capacity reused: a reader decoding record after record
// allocates once); false for malformed input, `*out` then unspecified.
bool base64_decode(std::string_view text, std::string* out);

}  // namespace kds
