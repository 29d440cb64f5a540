// The standard credential chain (target.h), as botocore's default resolver walks it for a one-shot tool.
#include <stdio.h>
#include <sys/wait.h>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "aws_files.h"

namespace kds::remote {

namespace {

Error no_credentials(std::string message) {
  return Error::named(Errc::kAccessDenied, "NoCredentials", std::move(message));
}

// The keys of an INI section: nullopt without any, an error when only one of the pair is there.
Result<std::optional<Credentials>> keys_of(const api::AwsIniSection* section, const std::string& where) {
  if (section == nullptr) return std::optional<Credentials>();
  const std::string* id = section->find("aws_access_key_id");
  const std::string* secret = section->find("aws_secret_access_key");
  if (id == nullptr && secret == nullptr) return std::optional<Credentials>();
  if (id == nullptr || secret == nullptr || id->empty() || secret->empty()) {
    return no_credentials(fmt::format("{} has {} but no {}", where,
                                      id == nullptr ? "aws_secret_access_key" : "aws_access_key_id",
                                      id == nullptr ? "aws_access_key_id" : "aws_secret_access_key"));
  }
  const std::string* token = section->find("aws_session_token");
  return std::optional<Credentials>(Credentials{*id, *secret, token ? *token : "", where});
}

// Runs the profile's credential_process and reads the keys it prints. Its standard error stays the
// user's; what it prints is never repeated in a message, as it holds the secret.
Result<Credentials> run_credential_process(const std::string& command, const std::string& where) {
  FILE* pipe = ::popen(command.c_str(), "re");
  if (pipe == nullptr) return no_credentials(fmt::format("cannot run the credential_process of {}", where));
  std::string output;
  char buffer[4096];
  for (size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;)
    output.append(buffer, n);
  const int status = ::pclose(pipe);
  if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return no_credentials(fmt::format("the credential_process of {} failed ({})", where,
                                      status != -1 && WIFEXITED(status)
                                          ? fmt::format("exit status {}", WEXITSTATUS(status))
                                          : std::string("killed by a signal")));
  }
  const auto json = nlohmann::json::parse(output, nullptr, false);
  auto text = [&](const char* member) -> std::string {
    if (!json.is_object() || !json.contains(member) || !json[member].is_string()) return {};
    return json[member].get<std::string>();
  };
  Credentials credentials{text("AccessKeyId"), text("SecretAccessKey"), text("SessionToken"),
                          "the credential_process of " + where};
  const bool version_1 = json.is_object() && json.contains("Version") &&
                         json["Version"].is_number_integer() && json["Version"].get<int64_t>() == 1;
  if (!version_1 || credentials.access_key_id.empty() || credentials.secret_access_key.empty()) {
    return no_credentials(
        fmt::format("the credential_process of {} printed no JSON object with Version 1, "
                    "AccessKeyId and SecretAccessKey",
                    where));
  }
  return credentials;
}

}  // namespace

Result<Credentials> resolve_credentials(const std::string& profile, bool profile_from_command_line,
                                        const Environment& environment, const AwsFile& credentials_file,
                                        const AwsFile& config_file) {
  std::vector<std::string> looked;
  if (!profile_from_command_line) {
    const auto id = environment("AWS_ACCESS_KEY_ID");
    const auto secret = environment("AWS_SECRET_ACCESS_KEY");
    if (id && secret)
      return Credentials{*id, *secret, environment("AWS_SESSION_TOKEN").value_or(""), "environment"};
    // A secret alone is passed over, as botocore does; a key id alone is a mistake to point out.
    if (id) return no_credentials("AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not");
    looked.push_back("AWS_ACCESS_KEY_ID");
  }
  const std::string in_credentials = fmt::format("{} [{}]", credentials_file.path, profile);
  const auto* credentials_section = credentials_profile(credentials_file, profile);
  KDS_ASSIGN(auto from_credentials, keys_of(credentials_section, in_credentials));
  if (from_credentials) return *from_credentials;
  if (!credentials_file.path.empty()) looked.push_back(in_credentials);

  // botocore's order: the credentials file's keys, then a credential_process (the credentials file's
  // first, as its profile settings win), then the config file's keys.
  const auto* config_section = config_profile(config_file, profile);
  const std::string in_config =
      fmt::format("{} [{}]", config_file.path, config_section ? config_section->name : "profile " + profile);
  for (const auto& [section, where] :
       {std::pair(credentials_section, in_credentials), std::pair(config_section, in_config)}) {
    const std::string* process = section ? section->find("credential_process") : nullptr;
    if (process != nullptr && !process->empty()) return run_credential_process(*process, where);
  }
  KDS_ASSIGN(auto from_config, keys_of(config_section, in_config));
  if (from_config) return *from_config;
  // Profiles that get their keys from another service (assumed roles, IAM Identity Center, web identity).
  for (const char* setting : {"role_arn", "sso_session", "sso_start_url", "web_identity_token_file"}) {
    if (config_section != nullptr && config_section->find(setting) != nullptr) {
      return no_credentials(
          fmt::format("{} gets its credentials with {}, which kds cannot do; export them with "
                      "`aws configure export-credentials --profile {} --format env`",
                      in_config, setting, profile));
    }
  }
  if (!config_file.path.empty()) looked.push_back(in_config + " (keys or credential_process)");
  std::string places;
  for (const auto& place : looked)
    places += (places.empty() ? "" : ", ") + place;
  return no_credentials("no AWS credentials found; looked in " + places);
}

}  // namespace kds::remote
