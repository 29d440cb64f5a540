// Opening a batch's payload (batch_payload.h).
#include "kds/batch_payload.h"

namespace kds {

PayloadOpener::Outcome PayloadOpener::open(const BatchHeader& header, const char* bytes, const KeyRing* keys,
                                           uint32_t shard_index, std::string_view* payload) {
  *payload = std::string_view(bytes + kBatchHeaderSize, header.payload_size);
  if (header.encrypted()) {
    const StreamCipher* cipher = keys ? keys->for_payload(*payload) : nullptr;
    if (cipher == nullptr) return Outcome::kNoKey;
    if (cipher->open(batch_associated_data(bytes, shard_index), *payload, &decrypted_) !=
        StreamCipher::OpenResult::kOk) {
      return Outcome::kFailedTag;
    }
    *payload = decrypted_;
  }
  if (header.codec() == kBatchCodecZstd) {
    if (!decompressor_) decompressor_ = std::make_unique<Decompressor>();
    if (!decompressor_->decompress(*payload, header.raw_size, &decompressed_)) return Outcome::kBadFrame;
    *payload = decompressed_;
  }
  return Outcome::kOk;
}

std::string_view PayloadOpener::failure(Outcome outcome) {
  switch (outcome) {
    case Outcome::kOk:
      return "";
    case Outcome::kNoKey:
      return "encrypted with a key that was not given";
    case Outcome::kFailedTag:
      return "encrypted batch fails authentication (altered)";
    case Outcome::kBadFrame:
      return "compressed payload does not decompress to its recorded size";
  }
  return "";
}

}  // namespace kds
