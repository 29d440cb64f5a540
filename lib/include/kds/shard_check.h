// Checking and repairing one shard directory for kds-fsck: its leftover files, each segment batch by
// batch, each index against its segment, and a closed shard's recorded end (fsck.h says what is checked
// and how a repair keeps data).
#pragma once

#include <string_view>

#include "kds/file.h"
#include "kds/fsck.h"
#include "kds/metadata.h"
#include "kds/status.h"
#include "kds/store.h"

namespace kds {

// Checks (and with options.repair or options.gc, repairs) shard `shard` of `stream`, whose directory is
// `dir`, holding the shard's append lock meanwhile. Its problems go to options.on_problem once the shard
// is done, each saying whether it was repaired, and are counted in `totals`. Requires `shard` to be one of
// stream.meta()'s shards. Fails only when the check itself cannot proceed (an I/O error).
Status fsck_shard(const Stream& stream, const ShardMeta& shard, Dir dir, const FsckOptions& options,
                  FsckTotals* totals);

// A temporary file an interrupted write leaves behind.
bool is_leftover(std::string_view name);

}  // namespace kds
