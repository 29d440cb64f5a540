#include "kds/cipher.h"

#include <fcntl.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

#include <fmt/format.h>

namespace kds {

namespace {

bool hkdf(const unsigned char* key, size_t key_size, std::string_view info, unsigned char* out,
          size_t out_size) {
  EVP_KDF* kdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
  if (kdf == nullptr) return false;
  EVP_KDF_CTX* ctx = EVP_KDF_CTX_new(kdf);
  EVP_KDF_free(kdf);
  if (ctx == nullptr) return false;
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, const_cast<unsigned char*>(key), key_size),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, const_cast<char*>(info.data()), info.size()),
      OSSL_PARAM_construct_end()};
  const bool ok = EVP_KDF_derive(ctx, out, out_size, params) == 1;
  EVP_KDF_CTX_free(ctx);
  return ok;
}

std::string hex(const unsigned char* bytes, size_t size) {
  std::string text;
  for (size_t i = 0; i < size; ++i)
    text += fmt::format("{:02x}", bytes[i]);
  return text;
}

}  // namespace

Result<Key> load_key_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return io_error("cannot open key file " + path, errno);
  struct stat st {};
  ::fstat(fd, &st);
  Key key{};
  unsigned char extra = 0;
  const ssize_t got = ::read(fd, key.data(), key.size());
  const ssize_t more = got == static_cast<ssize_t>(key.size()) ? ::read(fd, &extra, 1) : 0;
  ::close(fd);
  if ((st.st_mode & 077) != 0) {
    return Error(Errc::kInvalidArgument,
                 fmt::format("key file {} can be read or written by others (mode {:04o}); "
                             "chmod 600 {}",
                             path, st.st_mode & 07777, path));
  }
  if (got != static_cast<ssize_t>(key.size()) || more != 0) {
    return Error(Errc::kInvalidArgument, fmt::format("key file {} does not hold exactly 32 bytes; make one "
                                                     "with: (umask 077; head -c 32 /dev/urandom > {})",
                                                     path, path));
  }
  return key;
}

std::string key_fingerprint(const Key& key) {
  unsigned char print[16];
  if (!hkdf(key.data(), key.size(), "kds key fingerprint", print, sizeof print)) return "unavailable";
  return hex(print, sizeof print);
}

std::string stored_key_id(std::string_view stored) {
  if (stored.size() < kKeyIdBytes) return "";
  return hex(reinterpret_cast<const unsigned char*>(stored.data()), kKeyIdBytes);
}

void KeyRing::add(std::shared_ptr<const StreamCipher> cipher) {
  std::lock_guard lock(mutex_);
  ciphers_.push_back(std::move(cipher));
}

void KeyRing::add_lazily(const Key& key, std::string_view stream, int64_t created_ms) {
  std::lock_guard lock(mutex_);
  pending_.push_back({key, std::string(stream), created_ms});
}

bool KeyRing::empty() const {
  std::lock_guard lock(mutex_);
  return ciphers_.empty() && pending_.empty();
}

const StreamCipher* KeyRing::find(const std::function<bool(const StreamCipher&)>& match) const {
  std::lock_guard lock(mutex_);
  for (int pass = 0; pass < 2; ++pass) {
    for (const auto& cipher : ciphers_) {
      if (match(*cipher)) return cipher.get();
    }
    if (pending_.empty()) break;
    // A key that cannot be derived (OpenSSL failing) is as if not given: the caller reports it missing.
    for (const auto& key : pending_) {
      auto cipher = StreamCipher::create(key.key, key.stream, key.created_ms);
      if (cipher.ok()) ciphers_.push_back(std::move(cipher).value());
    }
    pending_.clear();
  }
  return nullptr;
}

const StreamCipher* KeyRing::by_fingerprint(std::string_view fingerprint) const {
  return find([&](const StreamCipher& cipher) { return cipher.fingerprint() == fingerprint; });
}

const StreamCipher* KeyRing::for_payload(std::string_view stored) const {
  const std::string id = stored_key_id(stored);
  if (id.empty()) return nullptr;
  return find(
      [&](const StreamCipher& cipher) { return cipher.fingerprint().compare(0, id.size(), id) == 0; });
}

struct StreamCipher::Contexts {
  EVP_CIPHER* cipher = nullptr;
  EVP_CIPHER_CTX* encrypt = nullptr;
  EVP_CIPHER_CTX* decrypt = nullptr;
  ~Contexts() {
    EVP_CIPHER_CTX_free(encrypt);
    EVP_CIPHER_CTX_free(decrypt);
    EVP_CIPHER_free(cipher);
  }
};

StreamCipher::~StreamCipher() {
  OPENSSL_cleanse(stream_key_, sizeof stream_key_);
}

Result<std::shared_ptr<StreamCipher>> StreamCipher::create(const Key& key, std::string_view stream,
                                                           int64_t created_ms) {
  std::shared_ptr<StreamCipher> cipher(new StreamCipher());
  const std::string info = fmt::format("kds batch key\n{}\n{}", stream, created_ms);
  if (!hkdf(key.data(), key.size(), info, cipher->stream_key_, sizeof cipher->stream_key_)) {
    return Error(Errc::kIo, "OpenSSL cannot derive keys (HKDF-SHA256)");
  }
  cipher->fingerprint_ = key_fingerprint(key);
  if (cipher->fingerprint_.size() < 2 * kKeyIdBytes) {  // "unavailable": HKDF failed
    return Error(Errc::kIo, "OpenSSL cannot derive keys (HKDF-SHA256)");
  }
  for (size_t i = 0; i < kKeyIdBytes; ++i) {
    const char* digits = cipher->fingerprint_.data() + 2 * i;
    std::from_chars(digits, digits + 2, cipher->key_id_[i],
                    16);  // hex digits, as key_fingerprint writes them
  }
  cipher->contexts_ = std::make_unique<Contexts>();
  Contexts& c = *cipher->contexts_;
  c.cipher = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
  c.encrypt = EVP_CIPHER_CTX_new();
  c.decrypt = EVP_CIPHER_CTX_new();
  if (c.cipher == nullptr || c.encrypt == nullptr || c.decrypt == nullptr ||
      EVP_EncryptInit_ex2(c.encrypt, c.cipher, cipher->stream_key_, nullptr, nullptr) != 1 ||
      EVP_DecryptInit_ex2(c.decrypt, c.cipher, cipher->stream_key_, nullptr, nullptr) != 1) {
    return Error(Errc::kIo, "OpenSSL cannot provide AES-256-GCM");
  }
  return cipher;
}

Status StreamCipher::seal(std::string_view associated, std::string_view plaintext, std::string* out) const {
  unsigned char nonce[kNonceBytes];
  if (RAND_bytes(nonce, sizeof nonce) != 1) return Error(Errc::kIo, "OpenSSL's random generator failed");
  const size_t start = out->size();
  out->resize(start + kCipherOverhead + plaintext.size());
  auto* p = reinterpret_cast<unsigned char*>(out->data() + start);
  std::memcpy(p, key_id_, kKeyIdBytes);
  std::memcpy(p + kKeyIdBytes, nonce, kNonceBytes);
  unsigned char* body = p + kKeyIdBytes + kNonceBytes;
  EVP_CIPHER_CTX* ctx = contexts_->encrypt;
  int n = 0;
  bool ok = EVP_EncryptInit_ex2(ctx, nullptr, nullptr, nonce, nullptr) == 1 &&
            EVP_EncryptUpdate(ctx, nullptr, &n, reinterpret_cast<const unsigned char*>(associated.data()),
                              static_cast<int>(associated.size())) == 1 &&
            EVP_EncryptUpdate(ctx, body, &n, reinterpret_cast<const unsigned char*>(plaintext.data()),
                              static_cast<int>(plaintext.size())) == 1 &&
            EVP_EncryptFinal_ex(ctx, body + n, &n) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, kTagBytes, body + plaintext.size()) == 1;
  if (!ok) return Error(Errc::kIo, "AES-256-GCM encryption failed");
  return {};
}

StreamCipher::OpenResult StreamCipher::open(std::string_view associated, std::string_view stored,
                                            std::string* out) const {
  if (stored.size() < kCipherOverhead) return OpenResult::kBadTag;
  const auto* p = reinterpret_cast<const unsigned char*>(stored.data());
  if (std::memcmp(p, key_id_, kKeyIdBytes) != 0) return OpenResult::kWrongKey;
  const unsigned char* nonce = p + kKeyIdBytes;
  const unsigned char* body = nonce + kNonceBytes;
  const size_t body_size = stored.size() - kCipherOverhead;
  out->resize(body_size);
  EVP_CIPHER_CTX* ctx = contexts_->decrypt;
  int n = 0;
  bool ok = EVP_DecryptInit_ex2(ctx, nullptr, nullptr, nonce, nullptr) == 1 &&
            EVP_DecryptUpdate(ctx, nullptr, &n, reinterpret_cast<const unsigned char*>(associated.data()),
                              static_cast<int>(associated.size())) == 1 &&
            EVP_DecryptUpdate(ctx, reinterpret_cast<unsigned char*>(out->data()), &n, body,
                              static_cast<int>(body_size)) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, kTagBytes,
                                const_cast<unsigned char*>(body + body_size)) == 1;
  int final_n = 0;
  ok = ok && EVP_DecryptFinal_ex(ctx, reinterpret_cast<unsigned char*>(out->data()) + n, &final_n) == 1;
  if (!ok) {
    out->clear();
    return OpenResult::kBadTag;
  }
  return OpenResult::kOk;
}

}  // namespace kds
