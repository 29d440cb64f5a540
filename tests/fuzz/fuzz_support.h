// What the fuzz targets share: failing loudly, a scratch directory, and the key the seed corpus was
// encrypted with (so seeds with encrypted batches reach the decryption path).
#pragma once

#include <memory>
#include <string>

#include "kds/cipher.h"
#include "kds/file.h"

namespace kds::fuzz {

// The stream the encrypted seeds were written to: `scripts/fuzz-seeds` creates it under faketime with
// this name and creation time, and encrypts with kSeedKey (bytes 0x00..0x1f).
inline constexpr const char* kSeedStream = "fuzz";
inline constexpr int64_t kSeedCreatedMs = 1700000000000;

// Prints `what` and aborts, so that libFuzzer records the input as a crash.
[[noreturn]] void fail(const std::string& what);

// The path of a fresh directory `name` under $TMPDIR (else /tmp), removed at exit.
std::string scratch_dir(const std::string& name);

// Opens a directory that must exist.
Dir open_dir(const std::string& path);

// A key ring holding the seed key derived for kSeedStream.
std::shared_ptr<const KeyRing> seed_key_ring();

}  // namespace kds::fuzz
