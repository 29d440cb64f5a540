#include "kds/api/shard_iterator.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>
#include <random>

#include <fmt/format.h>

#include "kds/base64.h"
#include "kds/bytes.h"

namespace kds::api {

namespace {

constexpr std::string_view kSecretName = "iterator.key";
constexpr uint8_t kVersion = 1;
constexpr size_t kTagBytes = 16;
// version, issued, stream created, shard, offset, name length
constexpr size_t kFixedBytes = 1 + 8 + 8 + 4 + 8 + 1;

Error invalid_iterator() {
  return Error(Errc::kInvalidArgument, "Invalid ShardIterator.");
}

void put64(std::string* out, uint64_t value) {
  char bytes[8];
  store<uint64_t>(bytes, value);
  out->append(bytes, 8);
}

void put32(std::string* out, uint32_t value) {
  char bytes[4];
  store<uint32_t>(bytes, value);
  out->append(bytes, 4);
}

std::array<unsigned char, 32> tag_of(const std::array<unsigned char, 32>& secret, std::string_view bytes) {
  std::array<unsigned char, 32> digest{};
  unsigned int length = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest.data(), &length);
  return digest;
}

// Writes a fresh secret under a temporary name and links it into place unless another process was first;
// either way the secret in place is the one returned.
Result<std::string> read_or_create_secret(const Dir& dir) {
  auto existing = dir.read_file(kSecretName);
  if (existing.ok() || existing.error().sys_errno() != ENOENT) return existing;
  unsigned char secret[32];
  if (RAND_bytes(secret, sizeof secret) != 1) return Error(Errc::kIo, "OpenSSL's random generator failed");
  // ".create-<pid>-..." is what kds-fsck cleans up after a crash.
  const std::string temp = fmt::format(".create-{}-{:08x}", ::getpid(), std::random_device{}());
  {
    KDS_ASSIGN(Fd fd, dir.open_file(temp, O_WRONLY | O_CREAT | O_EXCL));
    KDS_TRY(
        pwrite_full(fd.get(), reinterpret_cast<const char*>(secret), sizeof secret, 0, dir.path_of(temp)));
    KDS_TRY(sync_file(fd.get(), dir.path_of(temp)));
  }
  const Status renamed = dir.rename(temp, kSecretName, true);
  if (!renamed.ok()) {
    (void)dir.unlink(temp);
    if (renamed.error().sys_errno() != EEXIST) return renamed.error();
  }
  KDS_TRY(dir.sync());
  return dir.read_file(kSecretName);
}

}  // namespace

Result<IteratorCodec> IteratorCodec::open(const Store& store) {
  KDS_ASSIGN(std::string secret, read_or_create_secret(store.dir()));
  if (secret.size() != 32) {
    return Error(Errc::kCorruption,
                 fmt::format("{} holds {} bytes, not 32", store.dir().path_of(kSecretName), secret.size()));
  }
  std::array<unsigned char, 32> bytes{};
  std::copy(secret.begin(), secret.end(), bytes.begin());
  return IteratorCodec(bytes);
}

std::string IteratorCodec::encode(const ShardIterator& iterator) const {
  std::string bytes;
  bytes.push_back(static_cast<char>(kVersion));
  put64(&bytes, static_cast<uint64_t>(iterator.issued_ms));
  put64(&bytes, static_cast<uint64_t>(iterator.stream_created_ms));
  put32(&bytes, iterator.shard_index);
  put64(&bytes, iterator.offset);
  bytes.push_back(static_cast<char>(iterator.stream.size()));  // stream names are at most 128 bytes
  bytes += iterator.stream;
  const auto tag = tag_of(secret_, bytes);
  bytes.append(reinterpret_cast<const char*>(tag.data()), kTagBytes);
  std::string text;
  base64_encode(bytes, &text);
  return text;
}

Result<ShardIterator> IteratorCodec::decode(std::string_view text, int64_t now_ms) const {
  if (text.size() >= 2 && text.front() == '"' && text.back() == '"') text = text.substr(1, text.size() - 2);
  auto decoded = base64_decode(text);
  if (!decoded || decoded->size() < kFixedBytes + kTagBytes) return invalid_iterator();
  const std::string_view bytes(*decoded);
  const std::string_view body = bytes.substr(0, bytes.size() - kTagBytes);
  const auto tag = tag_of(secret_, body);
  if (CRYPTO_memcmp(tag.data(), bytes.data() + body.size(), kTagBytes) != 0) return invalid_iterator();
  if (static_cast<uint8_t>(body[0]) != kVersion) return invalid_iterator();
  const char* p = body.data() + 1;
  ShardIterator iterator;
  iterator.issued_ms = static_cast<int64_t>(load<uint64_t>(p));
  iterator.stream_created_ms = static_cast<int64_t>(load<uint64_t>(p + 8));
  iterator.shard_index = load<uint32_t>(p + 16);
  iterator.offset = load<uint64_t>(p + 20);
  const size_t name_length = static_cast<uint8_t>(p[28]);
  if (body.size() != kFixedBytes + name_length) return invalid_iterator();
  iterator.stream.assign(p + 29, name_length);
  if (now_ms - iterator.issued_ms > kIteratorLifetimeMs) {
    return Error(
        Errc::kExpiredIterator,
        fmt::format("Iterator expired. The iterator was created at time {} while right now it is {} which "
                    "is further in the future than the tolerated delay of {} milliseconds.",
                    java_date(iterator.issued_ms), java_date(now_ms), kIteratorLifetimeMs));
  }
  return iterator;
}

std::string java_date(int64_t ms) {
  const time_t seconds = static_cast<time_t>(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
  struct tm utc {};
  gmtime_r(&seconds, &utc);
  char text[64];
  const size_t length = std::strftime(text, sizeof text, "%a %b %d %H:%M:%S UTC %Y", &utc);
  return std::string(text, length);
}

}  // namespace kds::api
