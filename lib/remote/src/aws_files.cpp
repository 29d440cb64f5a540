#include "aws_files.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "kds/file.h"

namespace kds::remote {

namespace {

Result<AwsFile> read_file(const Environment& environment, std::string_view variable, std::string_view name) {
  AwsFile file;
  if (auto given = environment(variable)) {
    file.path = *given;
  } else if (auto home = environment("HOME")) {
    file.path = *home + "/.aws/" + std::string(name);
  } else {
    return file;  // no HOME: no file
  }
  const std::string what = "cannot read " + file.path;
  const Fd fd(::open(file.path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENOENT) return file;
    return Error(Errc::kInvalidArgument, io_error(what, errno).message());
  }
  auto text = read_to_end(fd.get(), what);
  if (!text.ok()) return Error(Errc::kInvalidArgument, text.error().message());
  KDS_ASSIGN(file.sections, api::parse_aws_ini(*text, file.path));
  file.exists = true;
  return file;
}

const api::AwsIniSection* section_named(const AwsFile& file, const std::string& name) {
  const api::AwsIniSection* found = nullptr;
  for (const auto& section : file.sections)
    if (section.name == name) found = &section;  // the last of a name, as the SDKs read duplicates
  return found;
}

}  // namespace

Result<AwsFile> read_config_file(const Environment& environment) {
  return read_file(environment, "AWS_CONFIG_FILE", "config");
}

Result<AwsFile> read_credentials_file(const Environment& environment) {
  return read_file(environment, "AWS_SHARED_CREDENTIALS_FILE", "credentials");
}

const api::AwsIniSection* config_profile(const AwsFile& config, const std::string& profile) {
  if (const auto* section = section_named(config, "profile " + profile)) return section;
  return profile == "default" ? section_named(config, "default") : nullptr;
}

const api::AwsIniSection* credentials_profile(const AwsFile& credentials, const std::string& profile) {
  return section_named(credentials, profile);
}

const std::string* profile_setting(const AwsFile& config, const std::string& profile, std::string_view key) {
  const auto* section = config_profile(config, profile);
  return section == nullptr ? nullptr : section->find(key);
}

}  // namespace kds::remote
