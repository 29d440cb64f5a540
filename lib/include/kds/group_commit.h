// Group commit: the threads of a process that want files durable at the same time share the fdatasyncs.
// Each commit needs the files it wrote synced by an fdatasync that starts after its writes. Commits that
// arrive while a round of syncs runs join the next round; that round syncs each file its commits name once,
// however many of them wrote to it. A device flush costs about as much whether it covers one request's
// records or forty, so concurrent PutRecords requests on one stream (four shards, say) need about one
// round between them instead of four fdatasyncs each.
#pragma once

#include <string>
#include <vector>

#include "kds/file.h"
#include "kds/status.h"

namespace kds {

struct SyncFile {
  Fd fd;  // a descriptor of its own (dup), so the writer may close or roll its segment meanwhile
  std::string path;
};

// Makes what was written to `files` before the call durable: queues them for the next round and returns
// once that round has synced them, leading the round itself when no other thread is. Returns the first
// error of the round (then the caller's records may not be durable). Thread-safe.
Status group_commit(std::vector<SyncFile> files);

}  // namespace kds
