// The batch: the unit of append, checksum and read. docs/format.md describes the bytes; this file is the
// only code that knows them.
//
// A batch is a fixed 48-byte little-endian header followed by a payload of records:
//   0  u32 magic "kdsB"          16 u32 record count (>= 1)      32 i64 arrival time (ms since epoch)
//   4  u32 masked CRC-32C        20 u32 raw payload size          40 u64 reserved, zero
//   8  u8  version (1)           24 u64 first offset
//   9  u8  flags (codec, cipher)      (raw payload size: before compression and encryption)
//  10  u16 header size (48)
//  12  u32 payload size
// The CRC covers the payload followed by header bytes 8..47, i.e. every byte but the magic and the CRC
// itself, lengths included. (Payload first so a writer can checksum it before taking the shard lock and
// finish with the 40 header bytes it only knows under the lock.)
// Each record in the payload: varint key code (0 = same key as the previous record of this batch, else
// the key's length in bytes), the key bytes, varint data size, the data bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kds {

inline constexpr uint32_t kBatchMagic = 0x4273646bu;  // bytes "kdsB"
inline constexpr uint8_t kBatchVersion = 1;
inline constexpr size_t kBatchHeaderSize = 48;
// No writer makes a batch this large; a header claiming more is damaged.
inline constexpr uint32_t kMaxBatchPayload = 16u << 20;
inline constexpr uint8_t kBatchCodecMask = 0x07;  // 0 = none, 1 = zstd; 2..7 reserved
inline constexpr uint8_t kBatchCodecZstd = 0x01;
inline constexpr uint8_t kBatchEncrypted = 0x08;  // AES-256-GCM, see cipher.h
// Bytes encryption adds to a payload: key id, nonce and tag (cipher.h).
inline constexpr uint32_t kBatchCipherOverhead = 36;
// A marker kds-fsck --repair puts where damaged bytes were quarantined: its record_count offsets were
// lost; it has no payload. Readers pass over it without reporting the loss again.
inline constexpr uint8_t kBatchLostRange = 0x10;

struct BatchHeader {
  uint8_t version = kBatchVersion;
  uint8_t flags = 0;
  uint32_t payload_size = 0;
  uint32_t record_count = 0;
  uint32_t raw_size = 0;
  uint64_t first_offset = 0;
  int64_t arrival_ms = 0;

  uint64_t end_offset() const { return first_offset + record_count; }
  uint64_t total_size() const { return kBatchHeaderSize + payload_size; }
  uint8_t codec() const { return flags & kBatchCodecMask; }
  bool encrypted() const { return (flags & kBatchEncrypted) != 0; }
  bool lost_range() const { return (flags & kBatchLostRange) != 0; }
};

enum class BatchCheck {
  kOk,
  kIncomplete,   // fewer bytes available than the header claims: a torn tail or a write in flight
  kBadHeader,    // magic, version, sizes or flags impossible
  kBadChecksum,  // structure plausible, CRC wrong
};

// Parses and sanity-checks the header at `data`, where `available` bytes are readable (to end of file).
// kOk means the whole batch (header + payload) is within `available`; the CRC is not checked yet.
BatchCheck parse_batch_header(const char* data, size_t available, BatchHeader* header);

// Checks the CRC of a batch whose header parsed kOk; `data` points at the header.
bool batch_checksum_ok(const char* data, const BatchHeader& header);

// Writes the 48 header bytes for `header`, whose payload has CRC-32C `payload_crc`.
void encode_batch_header(const BatchHeader& header, uint32_t payload_crc, char out[kBatchHeaderSize]);

// The associated data an encrypted batch's tag covers: header bytes 8..47 (everything but the magic and
// the CRC) followed by the shard index, little-endian.
std::string batch_associated_data(const char header[kBatchHeaderSize], uint32_t shard_index);

// Lost-range markers for `count` offsets from `first_offset`: one 48-byte header per 2^32-1 offsets,
// which readers pass over without reporting the loss again.
std::string encode_lost_range(uint64_t first_offset, uint64_t count, int64_t arrival_ms);

// Appends records to a payload. The caller validates keys and sizes first.
class BatchBuilder {
 public:
  void add(std::string_view key, std::string_view data);
  void clear();
  uint32_t record_count() const { return count_; }
  bool empty() const { return count_ == 0; }
  const std::string& payload() const { return payload_; }
  // Bytes the batch will take on disk (header + payload).
  size_t encoded_size() const { return kBatchHeaderSize + payload_.size(); }
  // Bytes `add(key, data)` would add to the payload.
  size_t added_size(std::string_view key, size_t data_size) const;

 private:
  std::string payload_;
  std::string last_key_;
  uint32_t count_ = 0;
};

struct RecordView {
  std::string_view key;
  std::string_view data;
};

// Decodes `count` records from a verified payload and keeps in `out` (cleared first; views point into
// `payload`) those with index skip .. skip+limit-1. Returns false when the payload does not hold exactly
// `count` well-formed records.
bool decode_records(std::string_view payload, uint32_t count, std::vector<RecordView>* out, uint32_t skip = 0,
                    uint32_t limit = UINT32_MAX);

// Little-endian unsigned LEB128, at most 5 bytes for 32-bit values.
void put_varint32(std::string* out, uint32_t value);
// Reads a varint at *pos; false on truncation or overflow.
bool get_varint32(std::string_view in, size_t* pos, uint32_t* value);

}  // namespace kds
