// Changes to how new batches of a stream are stored: compression and encryption. Like Kinesis's
// Start/StopStreamEncryption they affect new records only; existing batches keep their form and stay
// readable (encrypted ones with their key).
#pragma once

#include <string_view>

#include "kds/cipher.h"
#include "kds/status.h"
#include "kds/store.h"

namespace kds {

// zstd level for new batches (1..19, or -1..-10: faster), or 0 for none.
Status set_compression(const Store& store, std::string_view stream, int level);

// Encrypts new batches with `key` (AES-256-GCM); the store records only the key's fingerprint.
Status start_encryption(const Store& store, std::string_view stream, const Key& key);

// The largest record (key bytes + data bytes) the stream takes from now on, in KiB: 1024..10240
// (UpdateMaxRecordSize). Records already stored stay readable whatever it becomes.
Status set_max_record_size(const Store& store, std::string_view stream, int64_t kib);

// Stores new batches unencrypted. Reading older encrypted batches still needs their key.
Status stop_encryption(const Store& store, std::string_view stream);

}  // namespace kds
