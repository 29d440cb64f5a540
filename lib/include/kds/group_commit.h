// Group commit: the threads of a process that want files durable at the same time share the fdatasyncs.
// Each commit needs the files it wrote synced by an fdatasync that starts after its writes. Commits that
// arrive while a round of syncs runs join the next round; that round syncs each file its commits name once,
// however many of them wrote to it, and syncs its files at the same time (on helper threads). A device
// flush costs about as much whether it covers one request's records or forty, and one file or four, so
// concurrent PutRecords requests on one stream (four shards, say) need about one round between them
// instead of four fdatasyncs each, one after the other.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "kds/file.h"
#include "kds/status.h"

namespace kds {

struct SyncFile {
  // A file with a descriptor of its own.
  SyncFile(Fd own, std::string file_path)
      : fd(std::make_shared<const Fd>(std::move(own))), path(std::move(file_path)) {}
  SyncFile(std::shared_ptr<const Fd> shared, std::string file_path, dev_t file_dev, ino_t file_ino)
      : fd(std::move(shared)), path(std::move(file_path)), dev(file_dev), ino(file_ino) {}

  // A descriptor of its own (a duplicate), so the writer may close or roll its segment meanwhile; the
  // commits of one segment share one.
  std::shared_ptr<const Fd> fd;
  std::string path;
  // The file's identity, by which a round syncs each file once; (0, 0) when not known (it is fstat'ed).
  dev_t dev = 0;
  ino_t ino = 0;
};

// Makes what was written to `files` before the call durable: queues them for the next round and returns
// once that round has synced them, leading the round itself when no other thread is. Returns the first
// error of the round (then the caller's records may not be durable). Thread-safe.
Status group_commit(std::vector<SyncFile> files);

}  // namespace kds
