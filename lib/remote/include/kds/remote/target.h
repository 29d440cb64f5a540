// Where a tool in remote mode sends its requests and as whom: the endpoint, the region and the
// credentials, resolved as the AWS CLI and SDKs resolve them (the standard chain, without the parts that
// call other AWS services: assumed roles, IAM Identity Center, instance and container credentials).
//
// Remote mode is asked for only by --endpoint or $KDS_ENDPOINT: an AWS_* variable alone never sends
// anything anywhere.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "kds/status.h"

namespace kds::remote {

// What the command line gave (empty: not given).
struct RemoteOptions {
  std::string endpoint;   // --endpoint URL|aws
  std::string region;     // --region
  std::string profile;    // --profile
  std::string ca_bundle;  // --ca-bundle FILE
};

// An environment variable's value, or nullopt when it is unset or empty. Tests pass their own.
using Environment = std::function<std::optional<std::string>(std::string_view name)>;
Environment process_environment();

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty: none
  std::string source;         // where they came from, for messages: "environment", "~/.aws/credentials [dev]"
};

struct Target {
  std::string url;  // scheme://host[:port], no path
  std::string region;
  std::string profile;
  Credentials credentials;
  std::string ca_bundle;  // empty: the system's
  // Asked while a request waits for its answer (about once a second) and during waits between requests;
  // when it returns true they end at once with an error saying so. Empty: never. Set by tools that
  // stop on SIGINT themselves (kds-tail), so an unanswered request or a throttled read does not hold them.
  std::function<bool()> stop_requested;
};

// The endpoint URL as a tool prints it, and whether remote mode applies: nullopt without --endpoint and
// $KDS_ENDPOINT. Errors (kInvalidArgument): an endpoint that is neither an http(s) URL nor "aws", a
// profile that does not exist, an unreadable or malformed config file, "aws" without a region;
// (kAccessDenied) no credentials anywhere, with where they were looked for. The credentials are those of
// the standard chain (resolve_credentials in src/aws_files.h says its order).
Result<std::optional<Target>> resolve_target(const RemoteOptions& options, const Environment& environment);

}  // namespace kds::remote
