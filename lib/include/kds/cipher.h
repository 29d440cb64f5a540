// Encryption at rest: AES-256-GCM per batch under a key the store never holds.
//
// A user's key file holds 32 random bytes. Each stream derives its own key from it with HKDF-SHA256
// (info: "kds batch key", the stream name and its creation time), so one key file can serve many streams
// without their batches sharing a key. A batch's stored payload is
//   key id (8 bytes) | nonce (12 bytes, fresh from the CSPRNG) | ciphertext | GCM tag (16 bytes)
// with the batch header bytes 8..47 and the shard index as associated data, so a batch cannot be altered,
// moved to another position or shard, or have its header changed without the tag failing. The key id
// (the first 8 bytes of the key's fingerprint) tells "wrong key" from "damaged". The store keeps only the
// fingerprint: HKDF-SHA256 of the key with info "kds key fingerprint", 16 bytes, shown in hex.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "kds/status.h"

namespace kds {

inline constexpr size_t kKeyBytes = 32;
inline constexpr size_t kKeyIdBytes = 8;
inline constexpr size_t kNonceBytes = 12;
inline constexpr size_t kTagBytes = 16;
inline constexpr size_t kCipherOverhead = kKeyIdBytes + kNonceBytes + kTagBytes;

using Key = std::array<unsigned char, kKeyBytes>;

// Reads a key file: exactly 32 bytes, not readable or writable by group or others. Errors say what to do.
Result<Key> load_key_file(const std::string& path);

// 32 hex digits identifying the key without revealing it.
std::string key_fingerprint(const Key& key);

class StreamCipher {
 public:
  // Derives the stream's key from `key`. `stream` and `created_ms` identify the stream.
  static Result<std::shared_ptr<StreamCipher>> create(const Key& key, std::string_view stream,
                                                      int64_t created_ms);
  ~StreamCipher();
  StreamCipher(const StreamCipher&) = delete;
  StreamCipher& operator=(const StreamCipher&) = delete;

  const std::string& fingerprint() const { return fingerprint_; }

  // Appends key id | nonce | ciphertext | tag for `plaintext` to `out`.
  Status seal(std::string_view associated, std::string_view plaintext, std::string* out) const;

  enum class OpenResult { kOk, kWrongKey, kBadTag };
  // Decrypts a stored payload into `out` (replaced). kWrongKey when the key id is another key's.
  OpenResult open(std::string_view associated, std::string_view stored, std::string* out) const;

 private:
  StreamCipher() = default;
  unsigned char stream_key_[kKeyBytes] = {};
  unsigned char key_id_[kKeyIdBytes] = {};
  std::string fingerprint_;
  struct Contexts;
  std::unique_ptr<Contexts> contexts_;
};

// The key id stored in an encrypted payload, as the hex prefix of a fingerprint (for messages).
std::string stored_key_id(std::string_view stored);

// The keys a reader or writer was given, each derived for one stream.
class KeyRing {
 public:
  void add(std::shared_ptr<const StreamCipher> cipher);
  // Adds `key`, to be derived for the stream (`stream`, `created_ms`) only when a lookup first misses: a
  // reader that meets no encrypted batch never pays for the derivation. kds-serve opens a stream for each
  // GetRecords with every key it knows, and deriving them all each time cost more than the read.
  void add_lazily(const Key& key, std::string_view stream, int64_t created_ms);
  bool empty() const;
  // Both may derive the keys added lazily; safe to call from several threads at once.
  const StreamCipher* by_fingerprint(std::string_view fingerprint) const;
  // The cipher whose key id a stored payload starts with, or null.
  const StreamCipher* for_payload(std::string_view stored) const;

 private:
  struct Pending {
    Key key;
    std::string stream;
    int64_t created_ms;
  };
  const StreamCipher* find(const std::function<bool(const StreamCipher&)>& match) const;

  mutable std::mutex mutex_;
  mutable std::vector<std::shared_ptr<const StreamCipher>> ciphers_;
  mutable std::vector<Pending> pending_;
};

}  // namespace kds
