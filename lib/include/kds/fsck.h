// Checking and repairing a stream on disk (kds-fsck).
//
// The check reads every batch of every segment and verifies its header, CRC and place in the offset
// sequence; every index entry against the batch it points to; each closed shard's recorded end against its
// log; and the metadata (which open_stream already validates: key-space coverage, lineage). It takes each
// shard's append lock while it reads the shard, so an append in flight is never mistaken for damage.
// Each batch's payload is also opened the way a reader opens it: decrypted when the stream's keys were
// given (an AES-GCM tag that fails means the batch was altered), decompressed, and its records decoded.
//
// What is damage, and which offsets it lost, is the damage policy's decision (damage.h). The repair never
// drops data silently:
//   - every byte it takes out of a segment is first copied to <shard>/quarantine/<segment>-<position>.bad;
//   - a torn tail of the newest segment is then truncated;
//   - damaged bytes with valid data after them, and damage at the end of an older segment, are replaced by
//     a lost-range marker batch (batch.h) that names the offsets they held, so readers pass over the gap
//     without reporting it again;
//   - a missing or inconsistent index is rebuilt; a segment is rewritten through a temporary file and a
//     rename, so a crash during repair leaves the old segment or the new;
//   - the writer state is cleared so the next writer recovers from the repaired log.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "kds/cipher.h"
#include "kds/status.h"
#include "kds/store.h"

namespace kds {

struct FsckProblem {
  std::string stream;
  std::string shard;  // empty for stream-level problems
  std::string path;   // file holding the problem
  uint64_t position = 0;
  std::string what;
  bool repaired = false;
};

struct FsckOptions {
  bool repair = false;
  std::vector<Key> keys;  // key files' keys: encrypted batches are authenticated too
  bool gc = false;        // also remove leftovers: temporary files, unlisted shard directories
  std::function<void(const FsckProblem&)> on_problem;
  std::function<void(uint64_t done_bytes, uint64_t total_bytes)> on_progress;
};

struct FsckTotals {
  uint64_t shards = 0;
  uint64_t segments = 0;
  uint64_t batches = 0;
  uint64_t records = 0;
  uint64_t bytes = 0;
  uint64_t problems = 0;
  uint64_t repaired = 0;
};

// Checks (and repairs) one stream; problems go to options.on_problem and are counted in `totals`. Fails
// only when the check itself cannot proceed (an I/O error); a stream.json that does not parse is reported
// as a problem.
Status fsck_stream(const Store& store, std::string_view stream, const FsckOptions& options,
                   FsckTotals* totals);

// Removes leftovers in the store directory (streams half created or half deleted by a crash).
Status fsck_store_leftovers(const Store& store, const FsckOptions& options, FsckTotals* totals);

}  // namespace kds
