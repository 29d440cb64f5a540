// The AWS shared credentials file (aws_credentials.h).
#include "kds/api/aws_credentials.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>

#include <fmt/format.h>

#include "kds/file.h"

namespace kds::api {

namespace {

std::string_view trim(std::string_view text) {
  const size_t begin = text.find_first_not_of(" \t\r");
  if (begin == std::string_view::npos) return {};
  return text.substr(begin, text.find_last_not_of(" \t\r") - begin + 1);
}

}  // namespace

const std::string* AwsIniSection::find(std::string_view key) const {
  for (auto it = values.rbegin(); it != values.rend(); ++it)
    if (it->first == key) return &it->second;
  return nullptr;
}

Result<std::vector<AwsIniSection>> parse_aws_ini(std::string_view text, std::string_view path) {
  std::vector<AwsIniSection> sections;
  size_t line_number = 0;
  bool in_nested = false;  // after "s3 =": indented lines belong to that setting
  auto error = [&](const std::string& what) {
    return Error(Errc::kInvalidArgument, fmt::format("{}:{}: {}", path, line_number, what));
  };
  while (!text.empty()) {
    const size_t end = text.find('\n');
    const std::string_view raw = text.substr(0, end);
    const std::string_view line = trim(raw);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    ++line_number;
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;
    if (in_nested && (raw.front() == ' ' || raw.front() == '\t')) continue;
    in_nested = false;
    if (line.front() == '[') {
      if (line.back() != ']' || trim(line.substr(1, line.size() - 2)).empty())
        return error("a line that begins with [ but is not a [profile] line");
      sections.push_back({std::string(trim(line.substr(1, line.size() - 2))), line_number, {}});
      continue;
    }
    const size_t equals = line.find('=');
    if (equals == std::string_view::npos)
      return error(
          "a line that is neither a [profile] nor a key = value line (not shown: it may hold a secret)");
    if (sections.empty()) return error("a key = value line before the first [profile]");
    const std::string_view value = trim(line.substr(equals + 1));
    in_nested = value.empty();
    sections.back().values.emplace_back(trim(line.substr(0, equals)), value);
  }
  return sections;
}

Result<std::vector<AwsCredentials>> parse_aws_credentials(std::string_view text, std::string_view path) {
  KDS_ASSIGN(const std::vector<AwsIniSection> sections, parse_aws_ini(text, path));
  auto error = [&](size_t line, const std::string& what) {
    return Error(Errc::kInvalidArgument, fmt::format("{}:{}: {}", path, line, what));
  };
  std::vector<AwsCredentials> keyed;
  std::map<std::string, std::string> secrets;  // key id → secret, to refuse one id with two secrets
  for (const AwsIniSection& section : sections) {
    const std::string* id = section.find("aws_access_key_id");
    const std::string* secret = section.find("aws_secret_access_key");
    const std::string* token = section.find("aws_session_token");
    AwsCredentials profile{section.name, id ? *id : "", secret ? *secret : "", token ? *token : ""};
    if (profile.access_key_id.empty() && profile.secret_access_key.empty()) continue;  // region only, say
    if (profile.access_key_id.empty() || profile.secret_access_key.empty()) {
      return error(
          section.line,
          fmt::format("profile [{}] has {} but no {}", profile.profile,
                      profile.access_key_id.empty() ? "aws_secret_access_key" : "aws_access_key_id",
                      profile.access_key_id.empty() ? "aws_access_key_id" : "aws_secret_access_key"));
    }
    auto [known, added] = secrets.emplace(profile.access_key_id, profile.secret_access_key);
    if (!added && known->second != profile.secret_access_key) {
      return error(section.line,
                   fmt::format("profile [{}] gives access key {} another secret than an earlier "
                               "profile",
                               profile.profile, profile.access_key_id));
    }
    keyed.push_back(std::move(profile));
  }
  if (keyed.empty()) {
    return Error(Errc::kInvalidArgument,
                 fmt::format("{}: no profile has an aws_access_key_id and an aws_secret_access_key", path));
  }
  return keyed;
}

Result<std::vector<AwsCredentials>> read_aws_credentials(const std::string& path) {
  // A file named on the command line that cannot be used is the caller's mistake: kInvalidArgument.
  const std::string what = "cannot read credentials file " + path;
  const Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return Error(Errc::kInvalidArgument, io_error(what, errno).message());
  auto text = read_to_end(fd.get(), what);
  if (!text.ok()) return Error(Errc::kInvalidArgument, text.error().message());
  return parse_aws_credentials(*text, path);
}

}  // namespace kds::api
