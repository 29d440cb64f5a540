// SigV4 (kds/api/sigv4.h), the credentials file (kds/api/aws_credentials.h) and kds-serve's signature
// verification (lib/serve/src/signature_verifier.h). The signed requests below were signed by botocore's
// SigV4Auth and SigV4QueryAuth (python3-botocore 1.29, clock fixed at 2026-12-03T12:00:00Z): an
// independent signer, so a mistake shared by our signer and verifier cannot pass.
#include <doctest/doctest.h>

#include <string>

#include "../../lib/serve/src/signature_verifier.h"
#include "kds/api/aws_credentials.h"
#include "kds/api/sigv4.h"

using kds::serve::HttpRequest;
using kds::serve::SignatureVerifier;

namespace {

constexpr int64_t kSignedAtMs = 1796299200000;  // 2026-12-03T12:00:00Z
constexpr const char* kAccessKey = "AKIDEXAMPLE";
constexpr const char* kSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

// ListStreams {"Limit": 5} as botocore signs it.
HttpRequest header_signed() {
  HttpRequest request;
  request.method = "POST";
  request.target = "/";
  request.headers = {{"content-type", "application/x-amz-json-1.1"},
                     {"x-amz-target", "Kinesis_20131202.ListStreams"},
                     {"host", "127.0.0.1:4567"},
                     {"x-amz-date", "20261203T120000Z"},
                     {"authorization",
                      "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261203/us-east-1/kinesis/aws4_request, "
                      "SignedHeaders=content-type;host;x-amz-date;x-amz-target, "
                      "Signature=89cc780236ae3f6ef54ed593caa29283a3c34256396bc7b8228b6f8bf5f5353f"}};
  request.body = R"({"Limit": 5})";
  return request;
}

// A presigned POST (expires in 60 s) with an operation parameter of its own, as SigV4QueryAuth makes it.
HttpRequest query_signed() {
  HttpRequest request;
  request.method = "POST";
  request.target =
      "/?a=b%20c&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20261203%2Fus-east-1%"
      "2Fkinesis%"
      "2Faws4_request&X-Amz-Date=20261203T120000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host%3Bx-amz-target&X-"
      "Amz-"
      "Signature=03c11fa2b98fc9bca3fc6a90974f4611e8c02fb9ba62c42a04b385e9147987bf";
  request.headers = {{"x-amz-target", "Kinesis_20131202.ListStreams"}, {"host", "127.0.0.1:4567"}};
  return request;
}

std::vector<kds::api::AwsCredentials> keys(std::string token = "") {
  return {{"default", kAccessKey, kSecret, std::move(token)}, {"other", "AKIDOTHER", "other-secret", ""}};
}

std::string refusal(const SignatureVerifier& verifier, const HttpRequest& request, int64_t now_ms) {
  auto refused = verifier.verify(request, now_ms);
  if (!refused) return "accepted";
  return std::to_string(refused->status) + " " + std::string(refused->type) + ": " + refused->message;
}

}  // namespace

TEST_CASE("sigv4: the signing key and signature agree with botocore's") {
  namespace sigv4 = kds::api::sigv4;
  const HttpRequest request = header_signed();
  sigv4::CanonicalInput input;
  input.method = "POST";
  input.path = "/";
  input.headers = request.headers;
  input.signed_headers = {"x-amz-target", "host", "content-type", "x-amz-date"};  // any order
  input.payload_hash = sigv4::sha256_hex(request.body);
  CHECK(
      sigv4::canonical_request(input) ==
      "POST\n/\n\ncontent-type:application/x-amz-json-1.1\nhost:127.0.0.1:4567\nx-amz-date:20261203T120000Z\n"
      "x-amz-target:Kinesis_20131202.ListStreams\n\ncontent-type;host;x-amz-date;x-amz-target\n" +
          sigv4::sha256_hex(R"({"Limit": 5})"));
  const auto key = sigv4::signing_key(kSecret, "20261203", "us-east-1", "kinesis");
  CHECK(sigv4::signature(key,
                         sigv4::string_to_sign("20261203T120000Z", "20261203/us-east-1/kinesis/aws4_request",
                                               sigv4::canonical_request(input))) ==
        "89cc780236ae3f6ef54ed593caa29283a3c34256396bc7b8228b6f8bf5f5353f");
  CHECK(sigv4::sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(sigv4::uri_encode("a b/c~%", false) == "a%20b%2Fc~%25");
  CHECK(sigv4::uri_encode("a b/c", true) == "a%20b/c");
  CHECK(sigv4::uri_decode("a%20b%2fc%zz%") == "a b/c%zz%");
}

TEST_CASE("sigv4: header signatures verified, and each refusal with AWS's text") {
  const SignatureVerifier verifier(keys(), "us-east-1");
  HttpRequest request = header_signed();
  CHECK(refusal(verifier, request, kSignedAtMs) == "accepted");
  CHECK(refusal(verifier, request, kSignedAtMs + 299000) == "accepted");
  CHECK(refusal(verifier, request, kSignedAtMs - 299000) == "accepted");

  SUBCASE("the body changed") {
    request.body = R"({"Limit": 6})";
    CHECK(
        refusal(verifier, request, kSignedAtMs) ==
        "403 InvalidSignatureException: The request signature we calculated does not match the signature you "
        "provided. Check your AWS Secret Access Key and signing method. Consult the service documentation "
        "for "
        "details.");
  }
  SUBCASE("a signed header changed, or an unsigned one added (which does not matter)") {
    request.headers.emplace_back("user-agent", "anything");
    CHECK(refusal(verifier, request, kSignedAtMs) == "accepted");
    request.headers[1].second = "Kinesis_20131202.DeleteStream";
    CHECK(refusal(verifier, request, kSignedAtMs).starts_with("403 InvalidSignatureException: The request"));
  }
  SUBCASE("another secret for the key") {
    const SignatureVerifier other({{"p", kAccessKey, "not-the-secret", ""}}, "us-east-1");
    CHECK(refusal(other, request, kSignedAtMs).starts_with("403 InvalidSignatureException: The request"));
  }
  SUBCASE("a key the server does not know") {
    const SignatureVerifier other({{"p", "AKIDOTHER", kSecret, ""}}, "us-east-1");
    CHECK(refusal(other, request, kSignedAtMs) ==
          "403 UnrecognizedClientException: The security token included in the request is invalid.");
  }
  SUBCASE("a profile with a session token wants it sent") {
    const SignatureVerifier temporary(keys("token"), "us-east-1");
    CHECK(refusal(temporary, request, kSignedAtMs).starts_with("403 UnrecognizedClientException"));
    request.headers.emplace_back("x-amz-security-token", "token");  // not signed here, but checked
    CHECK(refusal(temporary, request, kSignedAtMs) == "accepted");
    CHECK(refusal(verifier, request, kSignedAtMs).starts_with("403 UnrecognizedClientException"));
  }
  SUBCASE("another region") {
    const SignatureVerifier europe(keys(), "eu-west-1");
    CHECK(refusal(europe, request, kSignedAtMs) ==
          "400 InvalidSignatureException: Credential should be scoped to a valid region. ");
  }
  SUBCASE("more than 5 minutes off") {
    CHECK(refusal(verifier, request, kSignedAtMs + 301000) ==
          "400 InvalidSignatureException: Signature expired: 20261203T120000Z is now earlier than "
          "20261203T120001Z "
          "(20261203T120501Z - 5 min.)");
    CHECK(refusal(verifier, request, kSignedAtMs - 301000) ==
          "400 InvalidSignatureException: Signature not yet current: 20261203T120000Z is still later than "
          "20261203T115959Z (20261203T115459Z + 5 min.)");
  }
  SUBCASE("a scope that is not five parts, or of another date, or another service") {
    request.headers[4].second =
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261203/us-east-1, SignedHeaders=host, "
        "Signature=00";
    CHECK(refusal(verifier, request, kSignedAtMs) ==
          "400 IncompleteSignatureException: Credential must have exactly 5 slash-delimited elements, e.g. "
          "keyid/date/region/service/term, got 'AKIDEXAMPLE/20261203/us-east-1'");
    request.headers[4].second =
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261202/us-east-1/kinesis/aws4_request, "
        "SignedHeaders=host, "
        "Signature=00";
    CHECK(refusal(verifier, request, kSignedAtMs) ==
          "403 InvalidSignatureException: Date in Credential scope does not match YYYYMMDD from ISO-8601 "
          "version "
          "of date from HTTP: '20261202' != '20261203', from 'X-Amz-Date'.");
    request.headers[4].second =
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261203/us-east-1/dynamodb/aws4_request, "
        "SignedHeaders=host, "
        "Signature=00";
    CHECK(refusal(verifier, request, kSignedAtMs) ==
          "400 InvalidSignatureException: Credential should be scoped to correct service: 'kinesis'. ");
  }
  SUBCASE("a date that is not ISO 8601 basic, and an HTTP Date instead of X-Amz-Date") {
    request.headers[3].second = "2026-12-03T12:00:00Z";
    CHECK(refusal(verifier, request, kSignedAtMs)
              .starts_with("400 IncompleteSignatureException: Date must be in ISO-8601 'basic format'. Got "
                           "'2026-12-03T12:00:00Z'."));
    request.headers[3] = {"date", "Thu, 03 Dec 2026 12:00:00 GMT"};
    // Read as 20261203T120000Z; the signature covered x-amz-date, which is gone, so it no longer matches.
    CHECK(refusal(verifier, request, kSignedAtMs).starts_with("403 InvalidSignatureException: The request"));
  }
  SUBCASE("another algorithm") {
    request.headers[4].second = "AWS4-HMAC-SHA512 Credential=x/y/z/kinesis/aws4_request";
    CHECK(refusal(verifier, request, kSignedAtMs) ==
          "400 IncompleteSignatureException: Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512'. Only "
          "AWS4-HMAC-SHA256 is supported.");
  }
}

TEST_CASE("sigv4: presigned requests verified until they expire") {
  const SignatureVerifier verifier(keys(), "us-east-1");
  HttpRequest request = query_signed();
  CHECK(refusal(verifier, request, kSignedAtMs) == "accepted");
  CHECK(refusal(verifier, request, kSignedAtMs + 60000) == "accepted");
  CHECK(refusal(verifier, request, kSignedAtMs + 60001) == "403 AccessDeniedException: Request has expired");
  request.target.replace(request.target.find("b%20c"), 5, "b%20d");
  CHECK(refusal(verifier, request, kSignedAtMs).starts_with("403 InvalidSignatureException: The request"));
}

TEST_CASE("aws credentials file: profiles with keys, and one line for each mistake") {
  using kds::api::parse_aws_credentials;
  const auto parsed = parse_aws_credentials(
      "# comment\n[default]\naws_access_key_id = AKID1\naws_secret_access_key=secret one \n\n; another\n"
      "[config-only]\nregion = eu-west-1\n[temp]\r\naws_access_key_id=ASIA2\r\naws_secret_access_key = s2\r\n"
      "aws_session_token = tok\r\n",
      "creds");
  REQUIRE(parsed.ok());
  REQUIRE(parsed->size() == 2);
  CHECK((*parsed)[0].profile == "default");
  CHECK((*parsed)[0].access_key_id == "AKID1");
  CHECK((*parsed)[0].secret_access_key == "secret one");
  CHECK((*parsed)[0].session_token.empty());
  CHECK((*parsed)[1].profile == "temp");
  CHECK((*parsed)[1].session_token == "tok");

  const std::pair<const char*, const char*> refused[] = {
      {"aws_access_key_id = A\n", "creds:1: a key = value line before the first [profile]"},
      {"[p\naws_access_key_id = A\n", "creds:1: a line that begins with [ but is not a [profile] line"},
      {"[p]\njust words\n",
       "creds:2: a line that is neither a [profile] nor a key = value line (not shown: it may hold a "
       "secret)"},
      {"[p]\n\naws_access_key_id = A\n",
       "creds:1: profile [p] has aws_access_key_id but no aws_secret_access_key"},
      {"[p]\naws_secret_access_key = S\n",
       "creds:1: profile [p] has aws_secret_access_key but no aws_access_key_id"},
      {"[p]\naws_access_key_id=A\naws_secret_access_key=S\n[q]\naws_access_key_id=A\naws_secret_access_key="
       "T\n",
       "creds:4: profile [q] gives access key A another secret than an earlier profile"},
      {"[p]\nregion = us-east-1\n",
       "creds: no profile has an aws_access_key_id and an aws_secret_access_key"},
      {"", "creds: no profile has an aws_access_key_id and an aws_secret_access_key"},
  };
  for (const auto& [text, message] : refused) {
    CAPTURE(text);
    const auto result = parse_aws_credentials(text, "creds");
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().message() == message);
  }
}
