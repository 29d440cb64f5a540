// Verification of SigV4 signatures (kds-serve --credentials; wire.md §6): the request must be signed by a
// key of the credentials file (with its session token, if the profile has one), for this server's region
// and the kinesis service, within 5 minutes of now (a presigned URL: before it expires), and the
// signature must be the one computed here from the request (kds/api/sigv4.h). Runs after the presence
// checks (signature_presence.h), which guarantee the parts it reads are there.
//
// Thread-safe: verify() reads only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "kds/api/aws_credentials.h"
#include "kds/serve/http_message.h"
#include "signature_presence.h"

namespace kds::serve {

class SignatureVerifier {
 public:
  SignatureVerifier(const std::vector<api::AwsCredentials>& keys, std::string region);

  // Why `request` is refused, or nullopt when its signature holds at `now_ms`.
  std::optional<SignatureRefusal> verify(const HttpRequest& request, int64_t now_ms) const;

 private:
  std::unordered_map<std::string, api::AwsCredentials> keys_;  // by access key id
  std::string region_;
};

}  // namespace kds::serve
