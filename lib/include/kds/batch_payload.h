// Opening the payload of a batch whose checksum verified: decrypting it (AES-256-GCM, cipher.h) and
// decompressing it (zstd, compression.h) as its header says, so that the reader and kds-fsck open
// batches alike and name a failure alike (docs/format.md §2).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "kds/batch.h"
#include "kds/cipher.h"
#include "kds/compression.h"

namespace kds {

// A payload that opened but does not decode into the records its header counts (decode_records failed).
inline constexpr std::string_view kUndecodablePayload = "payload does not hold the records its header counts";

class PayloadOpener {
 public:
  enum class Outcome {
    kOk,
    kNoKey,      // encrypted under a key that was not given: not an error of the batch
    kFailedTag,  // the AES-GCM tag does not verify: the batch was altered (or moved to another shard)
    kBadFrame,   // the zstd frame does not decompress to the size the header records
  };

  // Opens the payload of the verified batch `bytes` of shard `shard_index`, decrypting with `keys` (may
  // be null: then an encrypted batch gives kNoKey). On kOk, *payload is the plain record bytes, valid
  // until the next call or until `bytes` changes; on kNoKey, the stored payload (for its key id).
  Outcome open(const BatchHeader& header, const char* bytes, const KeyRing* keys, uint32_t shard_index,
               std::string_view* payload);

  // What failed, for a report: e.g. "encrypted batch fails authentication (altered)". Empty for kOk.
  static std::string_view failure(Outcome outcome);

 private:
  std::unique_ptr<Decompressor> decompressor_;  // made on the first compressed batch
  std::string decrypted_;
  std::string decompressed_;
};

}  // namespace kds
