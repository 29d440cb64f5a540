// The store: a directory of streams. Layout (docs/format.md has the details):
//   <store>/<name>.stream/stream.json               metadata, replaced atomically
//   <store>/<name>.stream/attributes.json          tags and consumers (stream_attributes.h), when any
//   <store>/<name>.stream/control.lock              flock held by control operations (delete, reshard)
//   <store>/<name>.stream/shardId-000000000000/     one directory per shard: segments, indexes, writer.lock
// The ".stream" suffix keeps every valid stream name, even "." and "..", a plain entry of the store.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kds/cipher.h"
#include "kds/file.h"
#include "kds/metadata.h"
#include "kds/report.h"
#include "kds/shard_reader.h"
#include "kds/shard_writer.h"
#include "kds/status.h"
#include "kds/stream_attributes.h"
#include "kds/validate.h"

namespace kds {

struct StreamOptions {
  int64_t shard_count = 1;
  int64_t retention_hours = 24;
  uint64_t max_shard_bytes = 0;  // 0: no size cap
  uint64_t segment_bytes = kDefaultSegmentBytes;
  int compression_level = 0;                      // zstd level, 0 = none
  int64_t max_record_kib = kDefaultMaxRecordKiB;  // MaxRecordSizeInKiB
  std::optional<Key> key;                         // encrypt from the start
  Tags tags;                                      // written to attributes.json with the stream
};

class Stream;

class Store {
 public:
  // $KDS_STORE when set and non-empty, else ${XDG_DATA_HOME:-$HOME/.local/share}/kds.
  static Result<std::string> default_path();
  // Opens the store at `path`, creating it (mode 0700) when missing.
  static Result<Store> open(const std::string& path);

  // Creates a stream with options validated as CreateStream does. Atomic: the stream appears whole or
  // not at all, and two concurrent creations of one name cannot both succeed.
  Status create_stream(std::string_view name, const StreamOptions& options) const;
  // Removes a stream. Appends in flight finish first; appends that start later fail. Unless
  // `enforce_consumer_deletion`, a stream with registered consumers is refused (ResourceInUseException),
  // as Kinesis's DeleteStream does; the check and the removal are one step under the control lock.
  Status delete_stream(std::string_view name, bool enforce_consumer_deletion = true) const;
  // Stream names, sorted.
  Result<std::vector<std::string>> list_streams() const;
  Result<Stream> open_stream(std::string_view name) const;

  const Dir& dir() const { return dir_; }

 private:
  explicit Store(Dir dir) : dir_(std::move(dir)) {}
  Dir dir_;
};

class Stream {
 public:
  const StreamMeta& meta() const { return meta_; }
  const std::string& name() const { return meta_.name; }
  const Dir& dir() const { return dir_; }

  // Re-reads stream.json.
  Status reload();
  // Re-reads stream.json if it was replaced since it was read (a reshard, a retention change), or fails as
  // check_exists() does once the stream is deleted; true if re-read. One stat of STREAM.stream/stream.json
  // from the store: the stream keeps the file it read open, so its inode number cannot be reused by a newer
  // version (nor by another stream's), and an unchanged inode number at that path means unchanged metadata
  // in a stream that still exists. Appends call it under the shard lock and requests at their start.
  Result<bool> refresh();
  Result<Dir> open_shard_dir(uint32_t index) const;
  // A reader of the shard that knows where a closed shard ends, skips expired records and decrypts with
  // the stream's keys.
  Result<ShardReader> open_reader(uint32_t index, Reporter* reporter) const;

  // Keys (from key files) for an encrypted stream; derived here for this stream.
  Status use_keys(const std::vector<Key>& keys);
  // The keys given to use_keys, derived for this stream.
  const KeyRing& keys() const { return *keys_; }
  // Fails, before anything is read, unless the keys given can read every key the stream has used.
  Status check_read_keys() const;
  // The cipher new batches are encrypted with now: null when the stream is not encrypted; an error when
  // it is and the key was not given.
  Result<const StreamCipher*> write_cipher() const;
  // The segment and retention settings writers of this stream follow.
  SegmentPolicy segment_policy() const;
  // Takes the stream's control lock (exclusive flock on control.lock), held until the Fd is closed, and
  // then re-reads stream.json: another change may have committed while this one waited. Control
  // operations (delete, reshard, retention, settings, repair) hold it so they run one at a time.
  Result<Fd> lock_control();
  // The same without waiting: nullopt when another process holds the lock (or it cannot be taken).
  Result<std::optional<Fd>> try_lock_control();
  // Replaces stream.json atomically with `meta` and adopts it.
  Status write_meta(StreamMeta meta);
  // Fails with ResourceNotFoundException once the stream has been deleted (or deleted and created
  // again) since it was opened. One fstatat.
  Status check_exists() const;
  // The shard with `index`, or the error Kinesis gives for a shard the stream does not have.
  Result<const ShardMeta*> shard(uint32_t index) const;

 private:
  friend class Store;
  Stream(Fd store, Dir dir, StreamMeta meta, Fd meta_fd, dev_t dev, ino_t ino);
  void note_meta_identity();  // of meta_fd_

  Fd store_fd_;  // a duplicate of the store's descriptor, so a Stream may outlive its Store
  Dir dir_;
  StreamMeta meta_;
  Fd meta_fd_;          // the stream.json meta_ came from
  dev_t meta_dev_ = 0;  // and its identity
  ino_t meta_ino_ = 0;
  std::string meta_path_;  // STREAM.stream/stream.json, relative to the store
  std::shared_ptr<KeyRing> keys_ = std::make_shared<KeyRing>();
  dev_t dev_;
  ino_t ino_;
};

std::string stream_dir_name(std::string_view stream);

}  // namespace kds
