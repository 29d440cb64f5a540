// The AWS CLI's two files as the remote client reads them (the config file's profile sections and the
// credentials file's, each looked up by profile name), and the credential chain over them. target.cpp
// reads each file once and hands both to resolve_credentials.
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

// The credentials of the standard chain for `profile`: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (with
// AWS_SESSION_TOKEN) unless a profile was named on the command line; the profile's keys in the
// credentials file ($AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials); its credential_process (the
// credentials file's, else the config file's), run by /bin/sh, whose standard output is the JSON of the
// AWS CLI's credential_process (Version 1); its keys in the config file ($AWS_CONFIG_FILE, else
// ~/.aws/config). Profiles that assume roles or use IAM Identity Center are refused with a way around.
Result<Credentials> resolve_credentials(const std::string& profile, bool profile_from_command_line,
                                        const Environment& environment, const AwsFile& credentials_file,
                                        const AwsFile& config_file);

}  // namespace kds::remote
