// kds-serve's KMS key directory (kms_keys.h): the four KeyId forms to file names, the AWS-managed key made
// once and never replaced, keys loaded at open, what is refused.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "kds/api/kms_keys.h"
#include "kds/api/operations.h"
#include "kds/errors.h"
#include "temp_dir.h"

namespace {

mode_t mode_of(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

void write_key(const std::string& path, unsigned char fill, mode_t mode = 0600) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, mode);
  REQUIRE(fd >= 0);
  const std::string bytes(32, static_cast<char>(fill));
  REQUIRE(::write(fd, bytes.data(), bytes.size()) == 32);
  ::close(fd);
  REQUIRE(::chmod(path.c_str(), mode) == 0);
}

kds::Key key_filled(unsigned char fill) {
  kds::Key key;
  key.fill(fill);
  return key;
}

}  // namespace

TEST_CASE("kms keys: every KeyId form names one file under the directory, nothing else does") {
  const std::string arn = "arn:aws:kms:" + std::string(kds::region()) + ":" + std::string(kds::account_id());
  const struct {
    std::string key_id;
    std::string file;  // empty: refused
  } cases[] = {
      {"1234abcd-12ab-34cd-56ef-1234567890ab", "1234abcd-12ab-34cd-56ef-1234567890ab"},
      {"mrk-1234abcd12ab34cd56ef1234567890ab", "mrk-1234abcd12ab34cd56ef1234567890ab"},
      {arn + ":key/1234abcd-12ab", "1234abcd-12ab"},
      {"alias/aws/kinesis", "alias/aws/kinesis"},
      {"alias/my_key-1", "alias/my_key-1"},
      {arn + ":alias/team/orders", "alias/team/orders"},
      {"arn:aws-cn:kms:" + std::string(kds::region()) + ":" + std::string(kds::account_id()) + ":alias/x",
       "alias/x"},
      // What would leave the directory, or is no form at all.
      {"../outside", ""},
      {"alias/../../etc/passwd", ""},
      {"alias/a/../b", ""},
      {"/etc/passwd", ""},
      {"alias/", ""},
      {"alias//x", ""},
      {"alias/x/", ""},
      {"alias", ""},
      {"a b", ""},
      {".hidden", ""},
      {arn + ":key/", ""},
      {arn + ":key/a/b", ""},
      {arn + ":other/x", ""},
      {"arn:aws:s3:" + std::string(kds::region()) + ":" + std::string(kds::account_id()) + ":alias/x", ""},
      {"arn:aws:kms:elsewhere-1:" + std::string(kds::account_id()) + ":alias/x", ""},
      {"arn:aws:kms:" + std::string(kds::region()) + ":111111111111:alias/x", ""},
      {"arn:aws:kms", ""},
      {"alias/" + std::string(300, 'a'), ""},
  };
  for (const auto& c : cases) {
    CAPTURE(c.key_id);
    auto name = kds::api::kms_key_file_name(c.key_id);
    if (c.file.empty()) {
      REQUIRE_FALSE(name.ok());
      CHECK(name.error().name() == "KMSNotFoundException");
      CHECK(name.error().message().starts_with("KeyId " + c.key_id + " "));
    } else {
      REQUIRE(name.ok());
      CHECK(*name == c.file);
    }
  }
}

TEST_CASE("kms keys: alias/aws/kinesis is made on first use, private, and kept across opens") {
  kds_test::TempDir tmp;
  const std::string dir = tmp.sub("config/kds/kms");
  auto keys = kds::api::KmsKeys::open(dir);
  REQUIRE(keys.ok());
  CHECK((*keys)->keys().empty());
  CHECK((*keys)->generation() == 0);
  CHECK_FALSE(std::filesystem::exists(dir));  // opening makes nothing

  auto made = (*keys)->resolve("alias/aws/kinesis");
  REQUIRE(made.ok());
  CHECK(mode_of(dir) == 0700);
  CHECK(mode_of(dir + "/alias/aws") == 0700);
  CHECK(mode_of(dir + "/alias/aws/kinesis") == 0600);
  CHECK(std::filesystem::file_size(dir + "/alias/aws/kinesis") == 32);
  CHECK(std::filesystem::directory_iterator(dir + "/alias/aws")->path().filename() == "kinesis");  // no temp
  CHECK((*keys)->generation() == 1);
  CHECK((*keys)->keys() == std::vector<kds::Key>{*made});
  CHECK((*keys)->key_id_of(kds::key_fingerprint(*made)) == "alias/aws/kinesis");
  CHECK((*keys)->key_id_of("00000000000000000000000000000000").empty());

  // The same key by its alias ARN, and again: nothing new.
  const std::string alias_arn = "arn:aws:kms:" + std::string(kds::region()) + ":" +
                                std::string(kds::account_id()) + ":alias/aws/kinesis";
  auto again = (*keys)->resolve(alias_arn);
  REQUIRE(again.ok());
  CHECK(*again == *made);
  CHECK((*keys)->generation() == 1);

  // Another server (or a restart) loads it, and never makes another.
  auto reopened = kds::api::KmsKeys::open(dir);
  REQUIRE(reopened.ok());
  CHECK((*reopened)->keys() == std::vector<kds::Key>{*made});
  auto resolved = (*reopened)->resolve("alias/aws/kinesis");
  REQUIRE(resolved.ok());
  CHECK(*resolved == *made);
}

TEST_CASE("kms keys: the user's key files by id and alias, unknown ids and bad files are refused") {
  kds_test::TempDir tmp;
  const std::string dir = tmp.path();
  std::filesystem::create_directories(dir + "/alias/team");
  write_key(dir + "/1234abcd-12ab", 1);
  write_key(dir + "/alias/team/orders", 2);
  write_key(dir + "/README.txt", 3, 0644);   // no key id has a dot: passed over
  write_key(dir + "/.kinesis.42", 4, 0644);  // a key being made: passed over
  auto keys = kds::api::KmsKeys::open(dir);
  REQUIRE(keys.ok());
  CHECK((*keys)->keys().size() == 2);
  CHECK((*keys)->generation() == 2);
  CHECK((*keys)->key_id_of(kds::key_fingerprint(key_filled(2))) == "alias/team/orders");

  auto by_id = (*keys)->resolve("arn:aws:kms:" + std::string(kds::region()) + ":" +
                                std::string(kds::account_id()) + ":key/1234abcd-12ab");
  REQUIRE(by_id.ok());
  CHECK(*by_id == key_filled(1));

  auto missing = (*keys)->resolve("alias/nope");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().name() == "KMSNotFoundException");
  CHECK(missing.error().message() ==
        "KeyId alias/nope names no key file of this server: there is no " + dir + "/alias/nope");
  CHECK_FALSE(std::filesystem::exists(dir + "/alias/nope"));

  // A key file added while serving is found when first named.
  write_key(dir + "/alias/later", 5);
  auto later = (*keys)->resolve("alias/later");
  REQUIRE(later.ok());
  CHECK(*later == key_filled(5));
  CHECK((*keys)->generation() == 3);

  // One others may read is refused at resolve, and fails the open of the directory.
  write_key(dir + "/alias/open", 6, 0644);
  auto loose = (*keys)->resolve("alias/open");
  REQUIRE_FALSE(loose.ok());
  CHECK(loose.error().message().find("chmod 600") != std::string::npos);
  auto refused = kds::api::KmsKeys::open(dir);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().message().find(dir + "/alias/open") != std::string::npos);
}

TEST_CASE("kms keys: a context's keys are its key files' and the KMS keys, once each") {
  kds_test::TempDir tmp;
  write_key(tmp.sub("k"), 7);
  auto keys = kds::api::KmsKeys::open(tmp.path());
  REQUIRE(keys.ok());
  kds::api::Context context;
  context.keys = {key_filled(7), key_filled(8)};
  CHECK(context.all_keys() == context.keys);
  context.kms = keys->get();
  CHECK(context.all_keys() == context.keys);  // the KMS key is one of them already
  write_key(tmp.sub("other"), 9);
  REQUIRE((*keys)->resolve("other").ok());
  CHECK(context.all_keys() == std::vector<kds::Key>{key_filled(7), key_filled(8), key_filled(9)});
}
