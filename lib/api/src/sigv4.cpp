// SigV4 (sigv4.h) over OpenSSL's HMAC and SHA-256.
#include "kds/api/sigv4.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <algorithm>

namespace kds::api::sigv4 {

namespace {

std::string hex(const unsigned char* bytes, size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(size * 2, '0');
  for (size_t i = 0; i < size; ++i) {
    out[2 * i] = kDigits[bytes[i] >> 4];
    out[2 * i + 1] = kDigits[bytes[i] & 0xf];
  }
  return out;
}

SigningKey hmac(std::string_view key, std::string_view data) {
  SigningKey out{};
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(), &length);
  return out;
}

std::string_view view(const SigningKey& key) {
  return {reinterpret_cast<const char*>(key.data()), key.size()};
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Trimall: no spaces before or after, runs of spaces as one (SigV4's canonical header value).
std::string trim_all(std::string_view value) {
  std::string out;
  bool space = false;
  for (const char c : value) {
    if (c == ' ' || c == '\t') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

std::string canonical_query(std::string_view query, const std::vector<std::string_view>& left_out) {
  std::vector<std::pair<std::string, std::string>> pairs;
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    const size_t equals = pair.find('=');
    std::string name = uri_decode(pair.substr(0, equals));
    if (!pair.empty() && std::find(left_out.begin(), left_out.end(), name) == left_out.end()) {
      pairs.emplace_back(
          uri_encode(name),
          uri_encode(equals == std::string_view::npos ? "" : uri_decode(pair.substr(equals + 1))));
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  std::sort(pairs.begin(), pairs.end());
  std::string out;
  for (const auto& [name, value] : pairs) {
    if (!out.empty()) out += '&';
    out += name + '=' + value;
  }
  return out;
}

}  // namespace

std::string canonical_request(const CanonicalInput& input) {
  std::vector<std::string> names = input.signed_headers;
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  std::string out;
  out.append(input.method).append("\n");
  out.append(uri_encode(uri_decode(input.path), true)).append("\n");
  out.append(canonical_query(input.query, input.query_left_out)).append("\n");
  for (const auto& name : names) {
    std::string values;
    for (const auto& [header, value] : input.headers) {
      if (header != name) continue;
      if (!values.empty()) values += ',';
      values += trim_all(value);
    }
    out.append(name).append(":").append(values).append("\n");
  }
  out.append("\n");
  for (size_t i = 0; i < names.size(); ++i)
    out.append(i ? ";" : "").append(names[i]);
  out.append("\n").append(input.payload_hash);
  return out;
}

std::string string_to_sign(std::string_view amz_date, std::string_view scope, std::string_view canonical) {
  std::string out(kAlgorithm);
  out.append("\n").append(amz_date).append("\n").append(scope).append("\n").append(sha256_hex(canonical));
  return out;
}

SigningKey signing_key(std::string_view secret, std::string_view date, std::string_view region,
                       std::string_view service) {
  const std::string first = "AWS4" + std::string(secret);
  SigningKey key = hmac(first, date);
  key = hmac(view(key), region);
  key = hmac(view(key), service);
  return hmac(view(key), "aws4_request");
}

std::string signature(const SigningKey& key, std::string_view string_to_sign) {
  const SigningKey mac = hmac(view(key), string_to_sign);
  return hex(mac.data(), mac.size());
}

std::string sha256_hex(std::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  return hex(digest, sizeof digest);
}

std::string uri_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 && hex_value(text[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

std::string uri_encode(std::string_view text, bool keep_slash) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    const bool alphanumeric = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (alphanumeric || c == '-' || c == '_' || c == '.' || c == '~' || (keep_slash && c == '/')) {
      out += c;
    } else {
      out += '%';
      out += kDigits[byte >> 4];
      out += kDigits[byte & 0xf];
    }
  }
  return out;
}

}  // namespace kds::api::sigv4
