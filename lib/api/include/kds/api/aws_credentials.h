// The AWS shared credentials file (~/.aws/credentials, as the AWS CLI and SDKs read it): INI sections,
// one per profile, with aws_access_key_id, aws_secret_access_key and, for temporary credentials,
// aws_session_token. kds-serve --credentials takes the keys it accepts from such a file.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "kds/status.h"

namespace kds::api {

struct AwsCredentials {
  std::string profile;
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty: none
};

// The profiles of `text` that have a key, in file order; `path` names the file in errors
// ("PATH:LINE: ..."). Refused: a line that is neither a [section], a key = value, a comment (# or ;)
// nor blank; a profile with a key id but no secret, or a secret but no key id; one key id given two
// secrets; a file with no key at all.
Result<std::vector<AwsCredentials>> parse_aws_credentials(std::string_view text, std::string_view path);

// Reads and parses the file at `path`.
Result<std::vector<AwsCredentials>> read_aws_credentials(const std::string& path);

}  // namespace kds::api
