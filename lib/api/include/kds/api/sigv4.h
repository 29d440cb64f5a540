// AWS Signature Version 4 as Kinesis requests carry it: the canonical request, the string to sign, the
// signing key and the signature (HMAC-SHA256 through OpenSSL). kds-serve computes what a request's
// signature must be to verify it; a client signs with the same functions.
//
// The rules (AWS's "Signature Version 4 signing process", as botocore's SigV4Auth applies them):
//   canonical request = METHOD \n canonical URI \n canonical query \n canonical headers \n \n
//                       signed header names (;-joined) \n payload hash
//   string to sign    = "AWS4-HMAC-SHA256" \n amz-date \n scope \n hex(SHA-256(canonical request))
//   signing key       = HMAC("AWS4" + secret, yyyymmdd) → region → service → "aws4_request"
//   signature         = hex(HMAC(signing key, string to sign))
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kds::api::sigv4 {

inline constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";

using SigningKey = std::array<unsigned char, 32>;

// What the canonical request is made of. Header names in lower case; a name given several times has its
// values joined with commas in the order given.
struct CanonicalInput {
  std::string_view method;                                   // "POST"
  std::string_view path;                                     // the request target up to '?', as sent
  std::string_view query;                                    // after '?', as sent (percent-encoded)
  std::vector<std::pair<std::string, std::string>> headers;  // every header of the request
  std::vector<std::string> signed_headers;                   // lower case, in any order
  std::string payload_hash;                                  // hex SHA-256 of the body, or as sent
  std::vector<std::string_view> query_left_out;              // parameters not signed (X-Amz-Signature)
};

std::string canonical_request(const CanonicalInput& input);

// scope: "yyyymmdd/region/service/aws4_request"; amz_date: "yyyymmddThhmmssZ".
std::string string_to_sign(std::string_view amz_date, std::string_view scope, std::string_view canonical);

SigningKey signing_key(std::string_view secret, std::string_view date, std::string_view region,
                       std::string_view service);

// Lower-case hex of HMAC-SHA256(key, string_to_sign).
std::string signature(const SigningKey& key, std::string_view string_to_sign);

// Lower-case hex of SHA-256(data).
std::string sha256_hex(std::string_view data);

// Percent-decoding of a query component ('+' stays '+', as AWS reads it); nullopt-free: a '%' not
// followed by two hex digits is kept as it is.
std::string uri_decode(std::string_view text);

// Percent-encoding of everything but A-Z a-z 0-9 - _ . ~ (and '/' when keep_slash), upper-case hex.
std::string uri_encode(std::string_view text, bool keep_slash = false);

}  // namespace kds::api::sigv4
