#include "kds/stream_settings.h"

#include <algorithm>

#include "kds/compression.h"
#include "kds/validate.h"

namespace kds {

namespace {

// Applies `change` to the stream's metadata under its control lock.
template <class Change>
Status update_meta(const Store& store, std::string_view name, Change&& change) {
  KDS_TRY(validate_stream_name(name));
  KDS_ASSIGN(Stream stream, store.open_stream(name));
  KDS_ASSIGN(Fd control, stream.lock_control());
  StreamMeta meta = stream.meta();
  change(meta);
  return stream.write_meta(std::move(meta));
}

}  // namespace

Status set_compression(const Store& store, std::string_view stream, int level) {
  if (!valid_compression_level(level)) {
    return Error(Errc::kInvalidArgument,
                 "Compression level must be none, zstd:1 .. zstd:19 or zstd:-1 .. zstd:-10");
  }
  return update_meta(store, stream, [&](StreamMeta& meta) { meta.compression_level = level; });
}

Status set_max_record_size(const Store& store, std::string_view stream, int64_t kib) {
  KDS_TRY(validate_max_record_kib(kib));
  return update_meta(store, stream, [&](StreamMeta& meta) { meta.max_record_kib = kib; });
}

Status start_encryption(const Store& store, std::string_view stream, const Key& key) {
  const std::string fingerprint = key_fingerprint(key);
  return update_meta(store, stream, [&](StreamMeta& meta) {
    meta.encryption_type = "KMS";
    meta.key_fingerprint = fingerprint;
    if (std::find(meta.key_fingerprints.begin(), meta.key_fingerprints.end(), fingerprint) ==
        meta.key_fingerprints.end()) {
      meta.key_fingerprints.push_back(fingerprint);
    }
  });
}

Status stop_encryption(const Store& store, std::string_view stream) {
  return update_meta(store, stream, [&](StreamMeta& meta) {
    meta.encryption_type = "NONE";
    meta.key_fingerprint.clear();
  });
}

}  // namespace kds
