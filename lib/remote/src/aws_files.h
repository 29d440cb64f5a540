// The AWS CLI's two files as the remote client reads them: the config file's profile sections and the
// credentials file's, each looked up by profile name.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "kds/api/aws_credentials.h"
#include "kds/remote/target.h"
#include "kds/status.h"

namespace kds::remote {

struct AwsFile {
  std::string path;  // as shown in messages
  bool exists = false;
  std::vector<api::AwsIniSection> sections;
};

// $AWS_CONFIG_FILE, else ~/.aws/config; $AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials. A file
// that does not exist reads as empty; one that cannot be read or parsed is an error (kInvalidArgument).
Result<AwsFile> read_config_file(const Environment& environment);
Result<AwsFile> read_credentials_file(const Environment& environment);

// The profile's section: "[default]" or "[profile NAME]" in the config file, "[NAME]" in the credentials
// file; null when absent.
const api::AwsIniSection* config_profile(const AwsFile& config, const std::string& profile);
const api::AwsIniSection* credentials_profile(const AwsFile& credentials, const std::string& profile);

// A setting of the profile: the config file's, else null.
const std::string* profile_setting(const AwsFile& config, const std::string& profile, std::string_view key);

}  // namespace kds::remote
