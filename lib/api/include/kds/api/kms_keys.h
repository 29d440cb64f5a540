// kds-serve's KMS keys: StartStreamEncryption's KeyId names a key file in a directory of the server's
// machine (kds-serve --kms-keys, default ${XDG_CONFIG_HOME:-$HOME/.config}/kds/kms), kept outside the store
// as a key management service keeps keys apart from the data. A key id ("1234abcd-12ab-…") or key ARN
// ("arn:aws:kms:REGION:ACCOUNT:key/ID") names the file ID; an alias name ("alias/NAME") or alias ARN
// ("arn:aws:kms:REGION:ACCOUNT:alias/NAME") names alias/NAME. The files are the tools' key files (32
// bytes, mode 0600), so a stream the server encrypted is read by the tools with --encryption-key-file.
//
// alias/aws/kinesis, the key AWS-managed encryption uses, is made on first use: 32 random bytes, never
// replaced (two servers making it at once agree on the first one written).
//
// Every key file of the directory is loaded when it is opened, so what was encrypted under it before a
// restart is read and written; keys resolved later are added. Thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "kds/cipher.h"
#include "kds/status.h"

namespace kds::api {

class KmsKeys {
 public:
  // The keys of `dir`, which need not exist (it is made, mode 0700, with alias/aws/kinesis). A file there
  // that is not a key file (load_key_file's errors, naming it) fails the open; names starting with "."
  // (a key being made) are passed over.
  static Result<std::unique_ptr<KmsKeys>> open(std::string dir);

  // The key `key_id` names. KMSNotFoundException (kInvalidArgument) when it is none of the four forms,
  // an ARN of another region or account than errors.h's identity, or names no file; a key file refused by
  // load_key_file is that error.
  Result<Key> resolve(std::string_view key_id);

  // Every key loaded or resolved so far.
  std::vector<Key> keys() const;
  // Grows whenever a key is added: a holder of keys() may compare it to see whether it is missing one.
  uint64_t generation() const;
  // The KeyId of the key with `fingerprint` as a key id or alias name ("alias/aws/kinesis"), or empty
  // when the key is not one of these.
  std::string key_id_of(std::string_view fingerprint) const;

  const std::string& dir() const { return dir_; }

 private:
  struct Known {
    Key key;
    std::string fingerprint;
    std::string name;  // the file's path under the directory: an id or alias/NAME
  };
  explicit KmsKeys(std::string dir) : dir_(std::move(dir)) {}
  Status load_all();
  Status load(const std::string& name);  // under mutex_ (or before the object is shared)
  Result<Key> make_default_key();

  const std::string dir_;
  mutable std::mutex mutex_;
  std::vector<Known> known_;  // guarded by mutex_
  uint64_t generation_ = 0;   // guarded by mutex_
};

// The file name under the KMS key directory that `key_id` names ("ID" or "alias/NAME"), or an error
// saying why it names none (KMSNotFoundException). Exposed for tests.
Result<std::string> kms_key_file_name(std::string_view key_id);

}  // namespace kds::api
