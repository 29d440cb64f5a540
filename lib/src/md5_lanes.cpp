// MD5 of many messages: the choice of kernel by CPU, and OpenSSL's one-at-a-time MD5 (md5_lanes.h).
#include "kds/md5_lanes.h"

#include <openssl/evp.h>

#include <cstdlib>
#include <stdexcept>
#include <string>

#include "md5_lanes_detail.h"

namespace kds {

namespace {

// Fetching the MD5 implementation once per thread instead of on every call halves the cost per message.
class OpenSslMd5 {
 public:
  OpenSslMd5() : md_(EVP_MD_fetch(nullptr, "MD5", nullptr)), ctx_(EVP_MD_CTX_new()) {
    if (md_ == nullptr || ctx_ == nullptr) throw std::runtime_error("OpenSSL cannot provide MD5");
  }
  ~OpenSslMd5() {
    EVP_MD_CTX_free(ctx_);
    EVP_MD_free(md_);
  }
  OpenSslMd5(const OpenSslMd5&) = delete;
  OpenSslMd5& operator=(const OpenSslMd5&) = delete;

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

std::vector<Md5Path> detect_paths() {
  std::vector<Md5Path> paths{Md5Path::kOpenSsl, Md5Path::kLanes4};
#ifdef KDS_MD5_X86
  // libgcc's checks include the operating system's support for the wider registers (XCR0).
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2")) paths.push_back(Md5Path::kAvx2);
  if (__builtin_cpu_supports("avx512f")) paths.push_back(Md5Path::kAvx512);
#endif
  return paths;
}

// The path md5_many() takes by default: the widest, unless KDS_MD5_PATH names another one this machine
// has (for benchmarks and for comparing paths from the shell).
Md5Path default_path() {
  const auto& paths = md5_paths();
  if (const char* forced = std::getenv("KDS_MD5_PATH")) {
    for (Md5Path path : paths)
      if (std::string_view(forced) == md5_path_name(path)) return path;
  }
  return paths.back();
}

}  // namespace

const char* md5_path_name(Md5Path path) {
  switch (path) {
    case Md5Path::kOpenSsl:
      return "openssl";
    case Md5Path::kLanes4:
      return "lanes4";
    case Md5Path::kAvx2:
      return "avx2";
    case Md5Path::kAvx512:
      return "avx512";
  }
  return "unknown";
}

const std::vector<Md5Path>& md5_paths() {
  static const std::vector<Md5Path> paths = detect_paths();
  return paths;
}

void md5_many(std::span<const std::string_view> messages, Md5Digest* digests) {
  static const Md5Path path = default_path();
  md5_many(messages, digests, path);
}

void md5_many(std::span<const std::string_view> messages, Md5Digest* digests, Md5Path path) {
  using md5_lanes_detail::Message;
  if (path == Md5Path::kOpenSsl) {
    thread_local OpenSslMd5 md5;
    for (size_t i = 0; i < messages.size(); ++i)
      md5.digest(messages[i], digests[i]);
    return;
  }
  // The kernels take plain pointers; converted in groups to stay on the stack.
  constexpr size_t kGroup = 256;
  Message group[kGroup];
  for (size_t first = 0; first < messages.size(); first += kGroup) {
    const size_t count = std::min(kGroup, messages.size() - first);
    for (size_t i = 0; i < count; ++i) {
      const std::string_view m = messages[first + i];
      group[i] = {reinterpret_cast<const unsigned char*>(m.data()), m.size()};
    }
    unsigned char* out = digests[first];
    switch (path) {
#ifdef KDS_MD5_X86
      case Md5Path::kAvx512:
        md5_lanes_detail::hash_avx512(group, count, out);
        break;
      case Md5Path::kAvx2:
        md5_lanes_detail::hash_avx2(group, count, out);
        break;
#endif
      default:
        md5_lanes_detail::hash_lanes4(group, count, out);
        break;
    }
  }
}

}  // namespace kds
