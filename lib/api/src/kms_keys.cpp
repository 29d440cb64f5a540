// kds-serve's KMS key directory (kms_keys.h).
#include "kds/api/kms_keys.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <system_error>

#include <fmt/format.h>
#include <openssl/rand.h>

#include "kds/api/operations.h"
#include "kds/errors.h"
#include "kds/file.h"

namespace kds::api {

namespace {

constexpr std::string_view kDefaultAlias = "alias/aws/kinesis";
constexpr size_t kMaxNameLength = 256;

Error not_found(std::string_view key_id, std::string_view why) {
  return Error::named(Errc::kInvalidArgument, "KMSNotFoundException",
                      fmt::format("KeyId {} {}", key_id, why));
}

bool is_id_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

// A key id: letters, digits, '-' and '_' (a UUID, or "mrk-" and hex for a multi-Region key).
bool is_key_id(std::string_view text) {
  return !text.empty() && text.size() <= kMaxNameLength && text != "alias" &&
         std::all_of(text.begin(), text.end(), is_id_char);
}

// "alias/NAME", NAME made of key-id characters and '/' between non-empty parts (KMS's alias pattern, less
// what would make a path leave the directory).
bool is_alias_name(std::string_view text) {
  if (!text.starts_with("alias/") || text.size() > kMaxNameLength) return false;
  std::string_view rest = text.substr(6);
  for (;;) {
    const size_t slash = rest.find('/');
    const std::string_view part = rest.substr(0, slash);
    if (part.empty() || !std::all_of(part.begin(), part.end(), is_id_char)) return false;
    if (slash == std::string_view::npos) return true;
    rest.remove_prefix(slash + 1);
  }
}

}  // namespace

Result<std::string> kms_key_file_name(std::string_view key_id) {
  std::string_view name = key_id;
  if (key_id.starts_with("arn:")) {
    // arn:PARTITION:kms:REGION:ACCOUNT:key/ID or …:alias/NAME
    std::string_view parts[6];
    std::string_view rest = key_id;
    for (int i = 0; i < 5; ++i) {
      const size_t colon = rest.find(':');
      if (colon == std::string_view::npos) return not_found(key_id, "is not a KMS key or alias ARN");
      parts[i] = rest.substr(0, colon);
      rest.remove_prefix(colon + 1);
    }
    parts[5] = rest;
    if (!parts[1].starts_with("aws") || parts[2] != "kms")
      return not_found(key_id, "is not a KMS key or alias ARN");
    if (parts[3] != region() || parts[4] != account_id()) {
      return not_found(key_id, fmt::format("is a key of region {} and account {}; this server is {} and {}",
                                           parts[3], parts[4], region(), account_id()));
    }
    if (parts[5].starts_with("key/")) {
      name = parts[5].substr(4);
      if (!is_key_id(name)) return not_found(key_id, "is not a KMS key or alias ARN");
      return std::string(name);
    }
    name = parts[5];
  }
  if (is_alias_name(name) || (!key_id.starts_with("arn:") && is_key_id(name))) return std::string(name);
  return not_found(key_id, "is not a KMS key id, key ARN, alias name or alias ARN");
}

Result<std::unique_ptr<KmsKeys>> KmsKeys::open(std::string dir) {
  std::unique_ptr<KmsKeys> keys(new KmsKeys(std::move(dir)));
  KDS_TRY(keys->load_all());
  return keys;
}

Status KmsKeys::load_all() {
  namespace fs = std::filesystem;
  std::error_code error;
  fs::recursive_directory_iterator it(dir_, error);
  if (error == std::errc::no_such_file_or_directory) return {};
  auto failed = [&] {
    return Error(Errc::kIo, fmt::format("cannot read the KMS key directory {}: {}", dir_, error.message()));
  };
  for (; !error && it != fs::recursive_directory_iterator(); it.increment(error)) {
    const fs::path& path = it->path();
    if (path.filename().string().starts_with(".")) {
      if (it->is_directory(error)) it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file(error)) continue;
    const std::string name = path.lexically_relative(dir_).string();
    // Other files (a README, say) name no key.
    if (is_key_id(name) || is_alias_name(name)) KDS_TRY(load(name));
  }
  if (error) return failed();
  return {};
}

Status KmsKeys::load(const std::string& name) {
  KDS_ASSIGN(const Key key, load_key_file(dir_ + "/" + name));
  std::string fingerprint = key_fingerprint(key);
  const bool known =
      std::any_of(known_.begin(), known_.end(), [&](const Known& k) { return k.fingerprint == fingerprint; });
  known_.push_back({key, std::move(fingerprint), name});
  if (!known) ++generation_;
  return {};
}

Result<Key> KmsKeys::resolve(std::string_view key_id) {
  KDS_ASSIGN(const std::string name, kms_key_file_name(key_id));
  std::lock_guard lock(mutex_);
  for (const Known& k : known_)
    if (k.name == name) return k.key;
  Status loaded = load(name);
  if (!loaded.ok() && loaded.error().sys_errno() == ENOENT && name == kDefaultAlias) {
    KDS_TRY(make_default_key());
    loaded = load(name);
  }
  if (!loaded.ok() && loaded.error().sys_errno() == ENOENT)
    return not_found(key_id, fmt::format("names no key file of this server: there is no {}/{}", dir_, name));
  KDS_TRY(loaded);
  return known_.back().key;
}

// Written beside its name and renamed to it without replacing: a key file is never half written, and a
// key that exists (made by another server at the same moment, say) is never replaced.
Result<Key> KmsKeys::make_default_key() {
  KDS_ASSIGN(const Dir aliases, Dir::open(dir_ + "/alias/aws", true));
  Key key{};
  if (RAND_bytes(key.data(), static_cast<int>(key.size())) != 1)
    return Error(Errc::kIo, "OpenSSL's random generator failed");
  const std::string temp = fmt::format(".kinesis.{}", ::getpid());
  {
    KDS_ASSIGN(const Fd fd, aliases.open_file(temp, O_WRONLY | O_CREAT | O_TRUNC));
    Status written = pwrite_full(fd.get(), reinterpret_cast<const char*>(key.data()), key.size(), 0,
                                 aliases.path_of(temp));
    if (written.ok()) written = sync_file(fd.get(), aliases.path_of(temp));
    if (!written.ok()) {
      (void)aliases.unlink(temp);
      return written.error();
    }
  }
  const Status renamed = aliases.rename(temp, "kinesis", true);
  if (!renamed.ok()) {
    (void)aliases.unlink(temp);
    if (renamed.error().sys_errno() != EEXIST) return renamed.error();
  }
  KDS_TRY(aliases.sync());
  return key;
}

std::vector<Key> KmsKeys::keys() const {
  std::lock_guard lock(mutex_);
  std::vector<Key> keys;
  for (const Known& k : known_)
    keys.push_back(k.key);
  return keys;
}

uint64_t KmsKeys::generation() const {
  std::lock_guard lock(mutex_);
  return generation_;
}

std::string KmsKeys::key_id_of(std::string_view fingerprint) const {
  std::lock_guard lock(mutex_);
  for (const Known& k : known_)
    if (k.fingerprint == fingerprint) return k.name;
  return {};
}

std::vector<Key> Context::all_keys() const {
  std::vector<Key> all = keys;
  if (kms != nullptr) {
    for (const Key& key : kms->keys())
      if (std::find(all.begin(), all.end(), key) == all.end()) all.push_back(key);
  }
  return all;
}

}  // namespace kds::api
