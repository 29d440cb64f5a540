// The AWS shared credentials file (~/.aws/credentials, as the AWS CLI and SDKs read it): INI sections,
// one per profile, with aws_access_key_id, aws_secret_access_key and, for temporary credentials,
// aws_session_token. kds-serve --credentials takes the keys it accepts from such a file; the remote
// client reads it and ~/.aws/config (the same syntax, sections "[profile NAME]") for its credentials.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kds/status.h"

namespace kds::api {

struct AwsCredentials {
  std::string profile;
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty: none
};

// One [section] of an AWS INI file, its `key = value` lines in file order.
struct AwsIniSection {
  std::string name;  // between the brackets, trimmed: "default", "profile dev"
  size_t line = 0;   // of the [section] line
  std::vector<std::pair<std::string, std::string>> values;
  // The last value of `key`, or null.
  const std::string* find(std::string_view key) const;
};

// The sections of `text`; `path` names the file in errors ("PATH:LINE: ..."). Refused: a line that is
// neither a [section], a key = value, a comment (# or ;), blank, nor an indented line under a key with an
// empty value (the config file's nested settings, which are skipped); a key before the first section.
Result<std::vector<AwsIniSection>> parse_aws_ini(std::string_view text, std::string_view path);

// The profiles of `text` that have a key, in file order; `path` names the file in errors
// ("PATH:LINE: ..."). Refused: a line that is neither a [section], a key = value, a comment (# or ;)
// nor blank; a profile with a key id but no secret, or a secret but no key id; one key id given two
// secrets; a file with no key at all.
Result<std::vector<AwsCredentials>> parse_aws_credentials(std::string_view text, std::string_view path);

// Reads and parses the file at `path`.
Result<std::vector<AwsCredentials>> read_aws_credentials(const std::string& path);

}  // namespace kds::api
