#include "kds/batch.h"

#include <algorithm>
#include <bit>
#include <cstring>

#include "kds/bytes.h"
#include "kds/crc32c.h"

namespace kds {

namespace {

uint32_t varint_size(uint32_t value) {
  uint32_t size = 1;
  while (value >= 0x80)
    value >>= 7, ++size;
  return size;
}

}  // namespace

BatchCheck parse_batch_header(const char* data, size_t available, BatchHeader* header) {
  if (available < kBatchHeaderSize) {
    // A short header is a torn tail unless the bytes that are there already contradict a batch.
    const size_t have = available < 4 ? available : 4;
    const uint32_t magic = kBatchMagic;
    return std::memcmp(data, &magic, have) == 0 ? BatchCheck::kIncomplete : BatchCheck::kBadHeader;
  }
  if (load<uint32_t>(data) != kBatchMagic) return BatchCheck::kBadHeader;
  header->version = static_cast<uint8_t>(data[8]);
  header->flags = static_cast<uint8_t>(data[9]);
  const uint16_t header_size = load<uint16_t>(data + 10);
  header->payload_size = load<uint32_t>(data + 12);
  header->record_count = load<uint32_t>(data + 16);
  header->raw_size = load<uint32_t>(data + 20);
  header->first_offset = load<uint64_t>(data + 24);
  header->arrival_ms = load<int64_t>(data + 32);
  const uint64_t reserved = load<uint64_t>(data + 40);
  // The smallest record is two bytes (key code 0 and an empty data size), so a batch of n records needs
  // at least 2n payload bytes; the first record must carry a key, hence 3.
  const uint32_t overhead = header->encrypted() ? kBatchCipherOverhead : 0;
  const bool sizes_agree = header->codec() == kBatchCodecZstd
                               ? header->payload_size >= overhead + 1
                               : header->payload_size == header->raw_size + overhead;
  const bool records_fit = header->lost_range() ? header->flags == kBatchLostRange &&
                                                      header->payload_size == 0 && header->raw_size == 0
                                                : header->raw_size >= 2ull * header->record_count + 1;
  const bool sane =
      header->version == kBatchVersion && header_size == kBatchHeaderSize &&
      (header->flags & ~(kBatchCodecMask | kBatchEncrypted | kBatchLostRange)) == 0 &&
      header->codec() <= kBatchCodecZstd && header->payload_size <= kMaxBatchPayload + kBatchCipherOverhead &&
      header->raw_size <= kMaxBatchPayload && sizes_agree && header->record_count >= 1 && records_fit &&
      reserved == 0 && header->first_offset + header->record_count > header->first_offset;
  if (!sane) return BatchCheck::kBadHeader;
  if (available < header->total_size()) return BatchCheck::kIncomplete;
  return BatchCheck::kOk;
}

std::string encode_lost_range(uint64_t first_offset, uint64_t count, int64_t arrival_ms) {
  std::string markers;
  while (count > 0) {
    BatchHeader header;
    header.flags = kBatchLostRange;
    header.record_count = static_cast<uint32_t>(std::min<uint64_t>(count, UINT32_MAX));
    header.first_offset = first_offset;
    header.arrival_ms = arrival_ms;
    char bytes[kBatchHeaderSize];
    encode_batch_header(header, 0, bytes);
    markers.append(bytes, sizeof bytes);
    first_offset += header.record_count;
    count -= header.record_count;
  }
  return markers;
}

bool batch_checksum_ok(const char* data, const BatchHeader& header) {
  uint32_t crc = crc32c(data + kBatchHeaderSize, header.payload_size);
  crc = crc32c_extend(crc, data + 8, kBatchHeaderSize - 8);
  return crc32c_mask(crc) == load<uint32_t>(data + 4);
}

void encode_batch_header(const BatchHeader& header, uint32_t payload_crc, char out[kBatchHeaderSize]) {
  std::memset(out, 0, kBatchHeaderSize);
  store<uint32_t>(out, kBatchMagic);
  out[8] = static_cast<char>(header.version);
  out[9] = static_cast<char>(header.flags);
  store<uint16_t>(out + 10, static_cast<uint16_t>(kBatchHeaderSize));
  store<uint32_t>(out + 12, header.payload_size);
  store<uint32_t>(out + 16, header.record_count);
  store<uint32_t>(out + 20, header.raw_size);
  store<uint64_t>(out + 24, header.first_offset);
  store<int64_t>(out + 32, header.arrival_ms);
  const uint32_t crc = crc32c_extend(payload_crc, out + 8, kBatchHeaderSize - 8);
  store<uint32_t>(out + 4, crc32c_mask(crc));
}

std::string batch_associated_data(const char header[kBatchHeaderSize], uint32_t shard_index) {
  std::string data(header + 8, kBatchHeaderSize - 8);
  char index[4];
  store<uint32_t>(index, shard_index);
  data.append(index, sizeof index);
  return data;
}

void put_varint32(std::string* out, uint32_t value) {
  char buf[5];
  size_t n = 0;
  while (value >= 0x80) {
    buf[n++] = static_cast<char>(value | 0x80);
    value >>= 7;
  }
  buf[n++] = static_cast<char>(value);
  out->append(buf, n);
}

bool get_varint32(std::string_view in, size_t* pos, uint32_t* value) {
  if (*pos < in.size() && static_cast<unsigned char>(in[*pos]) < 0x80) {  // one byte: most sizes
    *value = static_cast<unsigned char>(in[(*pos)++]);
    return true;
  }
  uint32_t result = 0;
  for (int shift = 0; shift <= 28; shift += 7) {
    if (*pos >= in.size()) return false;
    const auto byte = static_cast<unsigned char>(in[(*pos)++]);
    if (shift == 28 && byte > 0x0F) return false;
    result |= static_cast<uint32_t>(byte & 0x7F) << shift;
    if ((byte & 0x80) == 0) {
      *value = result;
      return true;
    }
  }
  return false;
}

size_t BatchBuilder::added_size(std::string_view key, size_t data_size) const {
  const bool same_key = count_ > 0 && equal_bytes(key, last_key_);
  const size_t key_part = same_key ? 1 : varint_size(static_cast<uint32_t>(key.size())) + key.size();
  return key_part + varint_size(static_cast<uint32_t>(data_size)) + data_size;
}

void BatchBuilder::add(std::string_view key, std::string_view data) {
  if (count_ > 0 && equal_bytes(key, last_key_)) {
    payload_.push_back('\0');
  } else {
    put_varint32(&payload_, static_cast<uint32_t>(key.size()));
    payload_.append(key);
    last_key_.assign(key);
  }
  put_varint32(&payload_, static_cast<uint32_t>(data.size()));
  payload_.append(data);
  ++count_;
}

void BatchBuilder::clear() {
  payload_.clear();
  last_key_.clear();
  count_ = 0;
}

bool decode_records(std::string_view payload, uint32_t count, std::vector<RecordView>* out, uint32_t skip,
                    uint32_t limit) {
  out->clear();
  const uint64_t end = std::min<uint64_t>(count, static_cast<uint64_t>(skip) + limit);
  if (end > skip) out->reserve(static_cast<size_t>(end - skip));
  std::string_view key;
  size_t pos = 0;
  for (uint32_t i = 0; i < count; ++i) {
    uint32_t key_code = 0;
    uint32_t data_size = 0;
    if (!get_varint32(payload, &pos, &key_code)) return false;
    if (key_code == 0) {
      if (i == 0) return false;
    } else {
      if (key_code > payload.size() - pos) return false;
      key = payload.substr(pos, key_code);
      pos += key_code;
    }
    if (!get_varint32(payload, &pos, &data_size)) return false;
    if (data_size > payload.size() - pos) return false;
    if (i >= skip && i < end) out->push_back({key, payload.substr(pos, data_size)});
    pos += data_size;
  }
  return pos == payload.size();
}

}  // namespace kds
