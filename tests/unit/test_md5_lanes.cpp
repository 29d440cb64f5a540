// MD5 in SIMD lanes against OpenSSL's MD5, on every path this machine has.
#include <doctest/doctest.h>
#include <openssl/evp.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "kds/hash_key.h"
#include "kds/md5_lanes.h"

using namespace kds;

namespace {

std::string openssl_md5(std::string_view message) {
  unsigned char digest[16];
  unsigned int size = 0;
  REQUIRE(EVP_Digest(message.data(), message.size(), digest, &size, EVP_md5(), nullptr) == 1);
  return std::string(reinterpret_cast<char*>(digest), 16);
}

// Each message's digest on `path`, compared with OpenSSL's.
void check_path(const std::vector<std::string>& messages, Md5Path path) {
  std::vector<std::string_view> views(messages.begin(), messages.end());
  std::vector<Md5Digest> digests(messages.size());
  md5_many(views, digests.data(), path);
  for (size_t i = 0; i < messages.size(); ++i) {
    INFO("path " << md5_path_name(path) << ", message " << i << " of " << messages[i].size() << " bytes");
    CHECK(std::string(reinterpret_cast<char*>(digests[i]), 16) == openssl_md5(messages[i]));
  }
}

std::string random_bytes(std::mt19937_64& random, size_t size) {
  std::string bytes(size, '\0');
  for (char& c : bytes)
    c = static_cast<char>(random());
  return bytes;
}

}  // namespace

TEST_CASE("md5_many offers OpenSSL and 4 lanes everywhere, the widest path last") {
  const auto& paths = md5_paths();
  REQUIRE(paths.size() >= 2);
  CHECK(paths[0] == Md5Path::kOpenSsl);
  CHECK(paths[1] == Md5Path::kLanes4);
  MESSAGE("MD5 paths on this machine: " << paths.size() << ", widest " << md5_path_name(paths.back()));
}

TEST_CASE("md5_many equals OpenSSL's MD5 for every length 0..300, random bytes, on every path") {
  std::mt19937_64 random(20261206);
  std::vector<std::string> messages;
  for (size_t size = 0; size <= 300; ++size)
    messages.push_back(random_bytes(random, size));
  for (Md5Path path : md5_paths())
    check_path(messages, path);
}

TEST_CASE("md5_many mixes lengths in one call: lanes that finish early take the next message") {
  std::mt19937_64 random(7);
  std::vector<std::string> messages;
  for (int i = 0; i < 1000; ++i)
    messages.push_back(random_bytes(random, random() % 600));
  messages.push_back(random_bytes(random, 100000));  // one long message among short ones
  for (int i = 0; i < 37; ++i)
    messages.push_back(random_bytes(random, 55 + i % 3));  // padding edges
  for (Md5Path path : md5_paths())
    check_path(messages, path);
}

TEST_CASE("md5_many with fewer messages than lanes, and with none") {
  for (Md5Path path : md5_paths()) {
    for (size_t count = 0; count <= 17; ++count) {
      std::vector<std::string> messages;
      for (size_t i = 0; i < count; ++i)
        messages.push_back("key-" + std::to_string(i * 31));
      check_path(messages, path);
    }
  }
}

TEST_CASE("md5_many gives RFC 1321's test-suite digests") {
  const std::vector<std::pair<std::string, std::string>> suite = {
      {"", "d41d8cd98f00b204e9800998ecf8427e"},
      {"a", "0cc175b9c0f1b6a831c399e269772661"},
      {"abc", "900150983cd24fb0d6963f7d28e17f72"},
      {"message digest", "f96b697d7cb7938d525a2f31aaf161d0"},
      {"abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"},
      {"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "d174ab98d277d9f5a5611c2c9f419d9f"},
      {"12345678901234567890123456789012345678901234567890123456789012345678901234567890",
       "57edf4a22be3c955ac49da2e2107b67a"},
  };
  for (Md5Path path : md5_paths()) {
    std::vector<std::string_view> views;
    for (const auto& entry : suite)
      views.push_back(entry.first);
    std::vector<Md5Digest> digests(views.size());
    md5_many(views, digests.data(), path);
    for (size_t i = 0; i < suite.size(); ++i) {
      std::string hex;
      for (unsigned char byte : digests[i])
        hex += "0123456789abcdef"[byte >> 4], hex += "0123456789abcdef"[byte & 15];
      INFO(md5_path_name(path) << ": MD5(\"" << suite[i].first << "\")");
      CHECK(hex == suite[i].second);
    }
  }
}

TEST_CASE("partition_key_hashes equals partition_key_hash for 100,000 distinct keys") {
  std::vector<std::string> keys;
  for (int i = 0; i < 100000; ++i)
    keys.push_back(std::to_string(i * 7919) + "-key");
  keys.push_back(std::string(256, 'k'));
  keys.push_back("\xc3\xa9t\xc3\xa9");  // UTF-8
  std::vector<std::string_view> views(keys.begin(), keys.end());
  std::vector<u128> hashes(keys.size());
  partition_key_hashes(views, hashes.data());
  size_t differing = 0;
  for (size_t i = 0; i < keys.size(); ++i)
    differing += hashes[i] != partition_key_hash(keys[i]);
  CHECK(differing == 0);
}
