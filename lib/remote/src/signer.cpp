#include "kds/remote/signer.h"

#include <algorithm>

#include <fmt/format.h>

#include "kds/api/sigv4.h"

namespace kds::remote {

std::string authorization(const RequestToSign& request, const Credentials& credentials,
                          std::string_view region, std::string_view service) {
  namespace sigv4 = api::sigv4;
  sigv4::CanonicalInput input;
  input.method = request.method;
  input.path = request.path;
  input.query = request.query;
  input.headers = request.headers;
  std::string amz_date;
  for (const auto& [name, value] : request.headers) {
    if (name == "x-amz-date") amz_date = value;
    if (std::find(input.signed_headers.begin(), input.signed_headers.end(), name) ==
        input.signed_headers.end())
      input.signed_headers.push_back(name);
  }
  std::sort(input.signed_headers.begin(), input.signed_headers.end());
  input.payload_hash = sigv4::sha256_hex(request.body);
  const std::string date = amz_date.substr(0, 8);
  const std::string scope = fmt::format("{}/{}/{}/aws4_request", date, region, service);
  const std::string signature =
      sigv4::signature(sigv4::signing_key(credentials.secret_access_key, date, region, service),
                       sigv4::string_to_sign(amz_date, scope, sigv4::canonical_request(input)));
  return fmt::format("{} Credential={}/{}, SignedHeaders={}, Signature={}", sigv4::kAlgorithm,
                     credentials.access_key_id, scope, fmt::join(input.signed_headers, ";"), signature);
}

}  // namespace kds::remote
