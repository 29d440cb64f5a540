// Signing a request with SigV4 for the remote client (the rules are sigv4.h's, shared with kds-serve's
// verifier): the Authorization header that signs every header given.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kds/remote/target.h"

namespace kds::remote {

struct RequestToSign {
  std::string_view method = "POST";
  std::string_view path = "/";
  std::string_view query;  // after '?', percent-encoded as sent
  // Every header to sign, names in lower case: host and x-amz-date at least, and x-amz-security-token
  // when the credentials have a session token.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string_view body;
};

// "AWS4-HMAC-SHA256 Credential=KEY/DATE/REGION/SERVICE/aws4_request, SignedHeaders=..., Signature=...",
// dated by the request's x-amz-date header ("yyyymmddThhmmssZ").
std::string authorization(const RequestToSign& request, const Credentials& credentials,
                          std::string_view region, std::string_view service);

}  // namespace kds::remote
