#include "kds/base64.h"

#include <openssl/evp.h>

namespace kds {

void base64_encode(std::string_view data, std::string* out) {
  const size_t start = out->size();
  out->resize(start + 4 * ((data.size() + 2) / 3) + 1);
  // EVP_EncodeBlock takes an int length; records are at most 1 MiB, but stay correct for any size.
  size_t written = 0;
  constexpr size_t kChunk = 3 << 20;
  for (size_t done = 0; done < data.size() || (data.empty() && done == 0); done += kChunk) {
    const size_t n = std::min(kChunk, data.size() - done);
    written += static_cast<size_t>(
        EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out->data() + start + written),
                        reinterpret_cast<const unsigned char*>(data.data() + done), static_cast<int>(n)));
    if (data.empty()) break;
  }
  out->resize(start + written);
}

bool base64_decode(std::string_view text, std::string* out) {
  if (text.size() % 4 != 0) return false;
  out->resize(text.size() / 4 * 3);
  const int n =
      EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out->data()),
                      reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  if (n < 0) return false;
  // EVP_DecodeBlock counts padding as zero bytes.
  size_t size = static_cast<size_t>(n);
  if (!text.empty() && text.back() == '=') --size;
  if (text.size() >= 2 && text[text.size() - 2] == '=') --size;
  out->resize(size);
  return true;
}

std::optional<std::string> base64_decode(std::string_view text) {
  std::string out;
  if (!base64_decode(text, &out)) return std::nullopt;
  return out;
}

}  // namespace kds
