// The presence checks AWS makes on a request's signature before it looks at the operation (wire.md §6):
// an Authorization header or X-Amz-* query parameters, with all their parts. The signature itself is
// not verified here.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "kds/serve/http_message.h"

namespace kds::serve {

struct SignatureRefusal {
  std::string_view type;  // e.g. "MissingAuthenticationTokenException"
  std::string message;
  int status = 400;
};

using Parameters = std::map<std::string, std::string, std::less<>>;

// The query parameters of a request target ("/?a=b&c=d"), as sent (still percent-encoded).
Parameters query_parameters(std::string_view target);

// The Name=value parts of an Authorization header after its algorithm, split at commas and spaces.
Parameters authorization_parameters(std::string_view header);

// Why `request` is refused, or nullopt when its signature has every part.
std::optional<SignatureRefusal> check_signature_presence(const HttpRequest& request);

}  // namespace kds::serve
