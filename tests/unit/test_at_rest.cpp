// Encryption (cipher.h) and compression (compression.h) of batch payloads: byte surgery on sealed and
// compressed payloads, wrong keys and associated data, nonce freshness, key files.
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <set>
#include <string>

#include "kds/cipher.h"
#include "kds/compression.h"
#include "temp_dir.h"
#include "test_util.h"

namespace {

kds::Key key_of(unsigned char seed) {
  kds::Key key;
  for (size_t i = 0; i < key.size(); ++i)
    key[i] = static_cast<unsigned char>(seed + i);
  return key;
}

std::shared_ptr<kds::StreamCipher> cipher_for(unsigned char seed, std::string_view stream = "s",
                                              int64_t created_ms = 1) {
  auto cipher = kds::StreamCipher::create(key_of(seed), stream, created_ms);
  REQUIRE(cipher.ok());
  return *cipher;
}

const std::string kAssociated = "header bytes 8..47 and the shard index";
const std::string kPlaintext = "key1\x05hello and some more record bytes to encrypt";

}  // namespace

TEST_CASE("a sealed payload opens only intact, under its own key, stream and associated data") {
  const auto cipher = cipher_for(1);
  std::string sealed;
  REQUIRE(cipher->seal(kAssociated, kPlaintext, &sealed).ok());
  REQUIRE(sealed.size() == kPlaintext.size() + kds::kCipherOverhead);
  CHECK(sealed.find("hello") == std::string::npos);
  std::string opened;
  REQUIRE(cipher->open(kAssociated, sealed, &opened) == kds::StreamCipher::OpenResult::kOk);
  CHECK(opened == kPlaintext);

  // Every single-bit flip: in the key id it names another key; anywhere else the tag fails.
  for (size_t byte = 0; byte < sealed.size(); ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string altered = sealed;
      altered[byte] = static_cast<char>(altered[byte] ^ (1 << bit));
      CAPTURE(byte);
      const auto result = cipher->open(kAssociated, altered, &opened);
      CHECK(result == (byte < kds::kKeyIdBytes ? kds::StreamCipher::OpenResult::kWrongKey
                                               : kds::StreamCipher::OpenResult::kBadTag));
    }
  }
  // Truncated, other associated data (a batch moved to another shard or offset), another stream's key.
  CHECK(cipher->open(kAssociated, sealed.substr(0, sealed.size() - 1), &opened) !=
        kds::StreamCipher::OpenResult::kOk);
  CHECK(cipher->open(kAssociated + "x", sealed, &opened) == kds::StreamCipher::OpenResult::kBadTag);
  CHECK(cipher_for(1, "other")->open(kAssociated, sealed, &opened) == kds::StreamCipher::OpenResult::kBadTag);
  CHECK(cipher_for(1, "s", 2)->open(kAssociated, sealed, &opened) == kds::StreamCipher::OpenResult::kBadTag);
  CHECK(cipher_for(2)->open(kAssociated, sealed, &opened) == kds::StreamCipher::OpenResult::kWrongKey);
}

TEST_CASE("every seal uses a fresh nonce") {
  const auto cipher = cipher_for(3);
  std::set<std::string> nonces;
  std::set<std::string> sealed_texts;
  for (int i = 0; i < 1000; ++i) {
    std::string sealed;
    REQUIRE(cipher->seal(kAssociated, kPlaintext, &sealed).ok());
    nonces.insert(sealed.substr(kds::kKeyIdBytes, kds::kNonceBytes));
    sealed_texts.insert(sealed);
  }
  CHECK(nonces.size() == 1000);
  CHECK(sealed_texts.size() == 1000);
}

TEST_CASE("the key ring finds a payload's cipher by its key id") {
  kds::KeyRing ring;
  const auto first = cipher_for(4);
  const auto second = cipher_for(5);
  ring.add(first);
  ring.add(second);
  std::string sealed;
  REQUIRE(second->seal(kAssociated, kPlaintext, &sealed).ok());
  CHECK(ring.for_payload(sealed) == second.get());
  CHECK(ring.by_fingerprint(first->fingerprint()) == first.get());
  CHECK(first->fingerprint() != second->fingerprint());
  CHECK(first->fingerprint().size() == 32);
  kds::KeyRing empty;
  CHECK(empty.for_payload(sealed) == nullptr);
}

TEST_CASE("key files must hold exactly 32 bytes and be private") {
  kds_test::TempDir tmp;
  const std::string path = tmp.sub("key");
  kds_test::write_bytes(path, std::string(32, 'k'));
  REQUIRE(::chmod(path.c_str(), 0600) == 0);
  auto loaded = kds::load_key_file(path);
  REQUIRE(loaded.ok());
  CHECK((*loaded)[0] == 'k');
  REQUIRE(::chmod(path.c_str(), 0640) == 0);
  CHECK_FALSE(kds::load_key_file(path).ok());
  REQUIRE(::chmod(path.c_str(), 0600) == 0);
  kds_test::write_bytes(path, std::string(33, 'k'));
  REQUIRE(::chmod(path.c_str(), 0600) == 0);
  CHECK_FALSE(kds::load_key_file(path).ok());
  CHECK_FALSE(kds::load_key_file(tmp.sub("missing")).ok());
}

TEST_CASE("zstd frames round-trip at every level and damaged or mis-sized frames are refused") {
  std::string input;
  for (int i = 0; i < 2000; ++i)
    input += "GET /index.html?id=" + std::to_string(i) + " HTTP/1.1 200\n";
  kds::Decompressor decompressor;
  kds::Compressor compressor;  // one context for every level, as a producer uses it
  for (int level : {kds::kMinZstdLevel, -3, -1, 1, 3, 9, 14, kds::kMaxZstdLevel}) {
    CAPTURE(level);
    std::string frame;
    REQUIRE(compressor.compress(input, level, &frame).ok());
    CHECK(frame.size() * (level > 0 ? 4 : 2) < input.size());  // fast levels trade size for speed
    std::string output;
    REQUIRE(decompressor.decompress(frame, input.size(), &output));
    CHECK(output == input);
    CHECK_FALSE(decompressor.decompress(frame, input.size() - 1, &output));
    CHECK_FALSE(decompressor.decompress(frame, input.size() + 1, &output));
    CHECK_FALSE(decompressor.decompress(frame.substr(0, frame.size() - 1), input.size(), &output));
    std::string garbled = frame;
    garbled[0] = static_cast<char>(garbled[0] ^ 0xff);  // the magic number
    CHECK_FALSE(decompressor.decompress(garbled, input.size(), &output));
  }
  CHECK(kds::parse_compression("zstd") == 3);
  CHECK(kds::parse_compression("zstd:19") == 19);
  CHECK(kds::parse_compression("none") == 0);
  CHECK(kds::parse_compression("zstd:-1") == -1);
  CHECK(kds::parse_compression("zstd:-10") == -10);
  for (const char* bad :
       {"zstd:0", "zstd:-0", "zstd:20", "zstd:-11", "zstd:+3", "zstd:", "zstd:3x", "gzip", "ZSTD"}) {
    CAPTURE(bad);
    CHECK_FALSE(kds::parse_compression(bad).has_value());
  }
  for (int level = kds::kMinZstdLevel; level <= kds::kMaxZstdLevel; ++level) {
    CAPTURE(level);
    CHECK(kds::parse_compression(kds::compression_text(level)) == level);
  }
}
