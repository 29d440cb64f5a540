// Endpoint, region and profile of remote mode (target.h).
#include "kds/remote/target.h"

#include <cstdlib>

#include <fmt/format.h>

#include "aws_files.h"
#include "kds/errors.h"

namespace kds::remote {

namespace {

Error usage(std::string message) {
  return Error(Errc::kInvalidArgument, std::move(message));
}

// `text` as an error may show it: without a user:password@ part.
std::string shown(std::string_view text) {
  const size_t at = text.find('@');
  const size_t scheme = text.find("://");
  if (at == std::string_view::npos) return std::string(text);
  return std::string(text.substr(0, scheme == std::string_view::npos ? 0 : scheme + 3)) + "..." +
         std::string(text.substr(at));
}

// "http(s)://HOST[:PORT]" with at most a "/" after it, returned without the slash.
Result<std::string> checked_url(std::string_view text, std::string_view where) {
  std::string_view rest = text;
  if (rest.starts_with("https://")) {
    rest.remove_prefix(8);
  } else if (rest.starts_with("http://")) {
    rest.remove_prefix(7);
  } else {
    return usage(fmt::format("{}: '{}' is neither aws nor an http:// or https:// URL", where, shown(text)));
  }
  if (rest.ends_with('/')) rest.remove_suffix(1);
  if (rest.empty() || rest.find_first_of("/?#@ \t") != std::string_view::npos) {
    return usage(
        fmt::format("{}: '{}' is not http(s)://HOST[:PORT] (kds sends every request to the root path)", where,
                    shown(text)));
  }
  return std::string(text.substr(0, text.size() - (text.ends_with('/') ? 1 : 0)));
}

std::optional<std::string> first_of(std::initializer_list<std::optional<std::string>> values) {
  for (const auto& value : values)
    if (value) return value;
  return std::nullopt;
}

std::optional<std::string> setting(const AwsFile& config, const std::string& profile, std::string_view key) {
  const std::string* value = profile_setting(config, profile, key);
  if (value == nullptr || value->empty()) return std::nullopt;
  return *value;
}

}  // namespace

Environment process_environment() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* value = std::getenv(std::string(name).c_str());
    if (value == nullptr || *value == '\0') return std::nullopt;
    return std::string(value);
  };
}

Result<std::optional<Target>> resolve_target(const RemoteOptions& options, const Environment& environment) {
  std::string endpoint = options.endpoint;
  std::string endpoint_source = "--endpoint";
  if (endpoint.empty()) {
    endpoint = environment("KDS_ENDPOINT").value_or("");
    endpoint_source = "KDS_ENDPOINT";
  }
  if (endpoint.empty()) return std::optional<Target>();

  Target target;
  const bool profile_given = !options.profile.empty();
  const auto named_profile = profile_given
                                 ? std::optional<std::string>(options.profile)
                                 : first_of({environment("AWS_DEFAULT_PROFILE"), environment("AWS_PROFILE")});
  target.profile = named_profile.value_or("default");
  KDS_ASSIGN(const AwsFile config, read_config_file(environment));
  KDS_ASSIGN(const AwsFile credentials, read_credentials_file(environment));
  if (named_profile) {
    if (config_profile(config, target.profile) == nullptr &&
        credentials_profile(credentials, target.profile) == nullptr) {
      return usage(fmt::format("profile '{}' is in neither {} nor {}", target.profile,
                               config.path.empty() ? "the config file" : config.path,
                               credentials.path.empty() ? "the credentials file" : credentials.path));
    }
  }

  const auto region = first_of({options.region.empty() ? std::nullopt : std::optional(options.region),
                                environment("AWS_REGION"), environment("AWS_DEFAULT_REGION"),
                                setting(config, target.profile, "region")});
  if (region && !is_region(*region))
    return usage(fmt::format("region '{}' is not a region name such as eu-west-1", *region));

  if (endpoint == "aws") {
    const auto configured =
        first_of({environment("AWS_ENDPOINT_URL_KINESIS"), environment("AWS_ENDPOINT_URL"),
                  setting(config, target.profile, "endpoint_url")});
    if (configured) {
      KDS_ASSIGN(target.url, checked_url(*configured, "the configured endpoint URL"));
    } else if (!region) {
      return usage(
          fmt::format("--endpoint aws needs a region: give --region, set AWS_REGION, or set region in "
                      "profile '{}' of {}",
                      target.profile, config.path.empty() ? "~/.aws/config" : config.path));
    } else {
      target.url =
          fmt::format("https://kinesis.{}.amazonaws.com{}", *region, region->starts_with("cn-") ? ".cn" : "");
    }
  } else {
    KDS_ASSIGN(target.url, checked_url(endpoint, endpoint_source));
  }
  // A server of one's own signs in whatever region it was started with; kds-serve's default is us-east-1.
  target.region = region.value_or("us-east-1");
  target.ca_bundle =
      options.ca_bundle.empty()
          ? first_of({environment("AWS_CA_BUNDLE"), setting(config, target.profile, "ca_bundle")})
                .value_or("")
          : options.ca_bundle;
  KDS_ASSIGN(target.credentials,
             resolve_credentials(target.profile, profile_given, environment, credentials, config));
  return std::optional<Target>(std::move(target));
}

}  // namespace kds::remote
