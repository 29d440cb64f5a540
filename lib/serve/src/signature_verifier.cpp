// SigV4 verification (signature_verifier.h). The refusals' texts and statuses are AWS's (wire.md §6).
#include "signature_verifier.h"

#include <openssl/crypto.h>

#include <ctime>

#include <fmt/format.h>

#include "kds/api/sigv4.h"

namespace kds::serve {

namespace {

namespace sigv4 = api::sigv4;

constexpr int64_t kAllowedSkewMs = 5 * 60 * 1000;

// The parts of a signature, from the Authorization header or from the query (presigned).
struct SignatureParts {
  std::string credential;  // akid/yyyymmdd/region/service/aws4_request
  std::string signed_headers;
  std::string signature;
  std::string amz_date;                    // yyyymmddThhmmssZ
  std::string date_source;                 // the header or parameter it came from, for messages
  std::string security_token;              // empty: none
  std::optional<int64_t> expires_seconds;  // presigned only
  bool presigned = false;
};

// "yyyymmddThhmmssZ" → ms since the epoch.
std::optional<int64_t> parse_amz_date(std::string_view text) {
  std::tm parts{};
  if (text.size() != 16 || text[8] != 'T' || text[15] != 'Z') return std::nullopt;
  const std::string copy(text);
  const char* end = strptime(copy.c_str(), "%Y%m%dT%H%M%SZ", &parts);
  if (end == nullptr || *end != '\0') return std::nullopt;
  return static_cast<int64_t>(timegm(&parts)) * 1000;
}

std::string format_amz_date(int64_t ms) {
  const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm parts{};
  gmtime_r(&seconds, &parts);
  char text[32];
  std::strftime(text, sizeof text, "%Y%m%dT%H%M%SZ", &parts);
  return text;
}

// An HTTP Date ("Sun, 06 Dec 2026 13:00:00 GMT") in the amz-date form, or nullopt.
std::optional<std::string> http_date_as_amz_date(std::string_view text) {
  std::tm parts{};
  const std::string copy(text);
  const char* end = strptime(copy.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &parts);
  if (end == nullptr || *end != '\0') return std::nullopt;
  return format_amz_date(static_cast<int64_t>(timegm(&parts)) * 1000);
}

std::vector<std::string> split(std::string_view text, char separator) {
  std::vector<std::string> parts;
  for (;;) {
    const size_t at = text.find(separator);
    parts.emplace_back(text.substr(0, at));
    if (at == std::string_view::npos) return parts;
    text.remove_prefix(at + 1);
  }
}

SignatureParts signature_parts(const HttpRequest& request) {
  SignatureParts parts;
  const Parameters query = query_parameters(request.target);
  auto decoded = [&](std::string_view name) {
    auto found = query.find(name);
    return found == query.end() ? std::string() : sigv4::uri_decode(found->second);
  };
  if (query.count("X-Amz-Algorithm") > 0) {
    parts.presigned = true;
    parts.credential = decoded("X-Amz-Credential");
    parts.signed_headers = decoded("X-Amz-SignedHeaders");
    parts.signature = decoded("X-Amz-Signature");
    parts.amz_date = decoded("X-Amz-Date");
    parts.date_source = "X-Amz-Date";
    parts.security_token = decoded("X-Amz-Security-Token");
    const std::string expires = decoded("X-Amz-Expires");
    if (!expires.empty() && expires.find_first_not_of("0123456789") == std::string::npos &&
        expires.size() < 10) {
      parts.expires_seconds = std::stoll(expires);
    }
    return parts;
  }
  const Parameters authorization = authorization_parameters(request.header("authorization").value_or(""));
  auto value = [&](std::string_view name) {
    auto found = authorization.find(name);
    return found == authorization.end() ? std::string() : found->second;
  };
  parts.credential = value("Credential");
  parts.signed_headers = value("SignedHeaders");
  parts.signature = value("Signature");
  if (auto amz_date = request.header("x-amz-date")) {
    parts.amz_date = std::string(*amz_date);
    parts.date_source = "X-Amz-Date";
  } else if (auto date = request.header("date")) {
    parts.amz_date = http_date_as_amz_date(*date).value_or(std::string(*date));
    parts.date_source = "Date";
  }
  parts.security_token = std::string(request.header("x-amz-security-token").value_or(""));
  return parts;
}

SignatureRefusal refusal(std::string_view type, std::string message, int status) {
  return SignatureRefusal{type, std::move(message), status};
}

}  // namespace

SignatureVerifier::SignatureVerifier(const std::vector<api::AwsCredentials>& keys, std::string region)
    : region_(std::move(region)) {
  for (const auto& key : keys)
    keys_.emplace(key.access_key_id, key);
}

std::optional<SignatureRefusal> SignatureVerifier::verify(const HttpRequest& request, int64_t now_ms) const {
  const SignatureParts parts = signature_parts(request);
  if (!parts.presigned) {
    const std::string_view authorization = request.header("authorization").value_or("");
    const std::string_view algorithm = authorization.substr(0, authorization.find(' '));
    if (algorithm != sigv4::kAlgorithm) {
      return refusal(
          "IncompleteSignatureException",
          fmt::format("Unsupported AWS 'algorithm': '{}'. Only AWS4-HMAC-SHA256 is supported.", algorithm),
          400);
    }
  }
  const std::vector<std::string> scope = split(parts.credential, '/');
  if (scope.size() != 5 || scope[4] != "aws4_request") {
    return refusal("IncompleteSignatureException",
                   fmt::format("Credential must have exactly 5 slash-delimited elements, e.g. "
                               "keyid/date/region/service/term, got '{}'",
                               parts.credential),
                   400);
  }
  const auto key = keys_.find(scope[0]);
  if (key == keys_.end() || key->second.session_token != parts.security_token) {
    return refusal("UnrecognizedClientException", "The security token included in the request is invalid.",
                   403);
  }
  if (scope[2] != region_) {
    return refusal("InvalidSignatureException", "Credential should be scoped to a valid region. ", 400);
  }
  if (scope[3] != "kinesis") {
    return refusal("InvalidSignatureException", "Credential should be scoped to correct service: 'kinesis'. ",
                   400);
  }
  const std::optional<int64_t> signed_at = parse_amz_date(parts.amz_date);
  if (!signed_at) {
    return refusal("IncompleteSignatureException",
                   fmt::format("Date must be in ISO-8601 'basic format'. Got '{}'. See "
                               "http://en.wikipedia.org/wiki/ISO_8601",
                               parts.amz_date),
                   400);
  }
  if (scope[1] != parts.amz_date.substr(0, 8)) {
    return refusal(
        "InvalidSignatureException",
        fmt::format("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date "
                    "from HTTP: '{}' != '{}', from '{}'.",
                    scope[1], parts.amz_date.substr(0, 8), parts.date_source),
        403);
  }
  if (*signed_at > now_ms + kAllowedSkewMs) {
    return refusal(
        "InvalidSignatureException",
        fmt::format("Signature not yet current: {} is still later than {} ({} + 5 min.)", parts.amz_date,
                    format_amz_date(now_ms + kAllowedSkewMs), format_amz_date(now_ms)),
        400);
  }
  if (parts.presigned && parts.expires_seconds && now_ms > *signed_at + *parts.expires_seconds * 1000) {
    return refusal("AccessDeniedException", "Request has expired", 403);
  }
  if (!parts.presigned && *signed_at < now_ms - kAllowedSkewMs) {
    return refusal("InvalidSignatureException",
                   fmt::format("Signature expired: {} is now earlier than {} ({} - 5 min.)", parts.amz_date,
                               format_amz_date(now_ms - kAllowedSkewMs), format_amz_date(now_ms)),
                   400);
  }

  const std::string_view target = request.target;
  const size_t question = target.find('?');
  sigv4::CanonicalInput input;
  input.method = request.method;
  input.path = target.substr(0, question);
  input.query = question == std::string_view::npos ? std::string_view() : target.substr(question + 1);
  input.headers = request.headers;
  input.signed_headers = split(parts.signed_headers, ';');
  input.payload_hash = std::string(request.header("x-amz-content-sha256").value_or(""));
  if (input.payload_hash.empty()) input.payload_hash = sigv4::sha256_hex(request.body);
  if (parts.presigned) input.query_left_out = {"X-Amz-Signature"};
  const std::string credential_scope = fmt::format("{}/{}/{}/{}", scope[1], scope[2], scope[3], scope[4]);
  const std::string expected = sigv4::signature(
      sigv4::signing_key(key->second.secret_access_key, scope[1], scope[2], scope[3]),
      sigv4::string_to_sign(parts.amz_date, credential_scope, sigv4::canonical_request(input)));
  if (expected.size() != parts.signature.size() ||
      CRYPTO_memcmp(expected.data(), parts.signature.data(), expected.size()) != 0) {
    return refusal(
        "InvalidSignatureException",
        "The request signature we calculated does not match the signature you provided. Check your "
        "AWS Secret Access Key and signing method. Consult the service documentation for details.",
        403);
  }
  return std::nullopt;
}

}  // namespace kds::serve
