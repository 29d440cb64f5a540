// MD5 routing lives in its own file so that tools which never route (kds-get, kds-describe-stream) do
// not link OpenSSL's digest machinery, which costs start-up time in every process.
#include <openssl/evp.h>

#include <stdexcept>

#include "kds/hash_key.h"

namespace kds {

namespace {

// Fetching the MD5 implementation once per thread instead of on every call halves the cost per key.
class Md5 {
 public:
  Md5() : md_(EVP_MD_fetch(nullptr, "MD5", nullptr)), ctx_(EVP_MD_CTX_new()) {
    if (md_ == nullptr || ctx_ == nullptr) throw std::runtime_error("OpenSSL cannot provide MD5");
  }
  ~Md5() {
    EVP_MD_CTX_free(ctx_);
    EVP_MD_free(md_);
  }
  Md5(const Md5&) = delete;
  Md5& operator=(const Md5&) = delete;

  void digest(std::string_view data, unsigned char out[16]) {
    unsigned int len = 0;
    EVP_DigestInit_ex2(ctx_, md_, nullptr);
    EVP_DigestUpdate(ctx_, data.data(), data.size());
    EVP_DigestFinal_ex(ctx_, out, &len);
  }

 private:
  EVP_MD* md_;
  EVP_MD_CTX* ctx_;
};

}  // namespace

u128 partition_key_hash(std::string_view key) {
  thread_local Md5 md5;
  unsigned char digest[16];
  md5.digest(key, digest);
  u128 value = 0;
  for (unsigned char byte : digest) value = (value << 8) | byte;
  return value;
}

}  // namespace kds
