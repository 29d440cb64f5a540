#include "kds/store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <random>

#include <fmt/format.h>

#include "kds/clock.h"
#include "kds/compression.h"
#include "kds/errors.h"
#include "kds/shard_writer.h"
#include "kds/validate.h"

namespace kds {

namespace {

constexpr std::string_view kStreamSuffix = ".stream";
constexpr const char* kControlLockName = "control.lock";

std::string temp_name(std::string_view purpose) {
  std::random_device random;
  return fmt::format(".{}-{}-{:08x}", purpose, ::getpid(), random());
}

}  // namespace

std::string stream_dir_name(std::string_view stream) {
  return std::string(stream) + std::string(kStreamSuffix);
}

Result<std::string> Store::default_path() {
  if (const char* store = std::getenv("KDS_STORE"); store != nullptr && *store != '\0')
    return std::string(store);
  if (const char* data = std::getenv("XDG_DATA_HOME"); data != nullptr && data[0] == '/') {
    return std::string(data) + "/kds";
  }
  const char* home = std::getenv("HOME");
  if (home == nullptr || *home == '\0') {
    return Error(Errc::kIo, "no store: none of KDS_STORE, XDG_DATA_HOME and HOME is set");
  }
  return std::string(home) + "/.local/share/kds";
}

Result<Store> Store::open(const std::string& path) {
  KDS_ASSIGN(Dir dir, Dir::open(path, true));
  return Store(std::move(dir));
}

Status Store::create_stream(std::string_view name, const StreamOptions& options) const {
  KDS_TRY(validate_stream_name(name));
  KDS_TRY(validate_shard_count(options.shard_count));
  KDS_TRY(validate_retention_hours(options.retention_hours));
  KDS_TRY(validate_max_record_kib(options.max_record_kib));
  if (options.segment_bytes < kMinSegmentBytes || options.segment_bytes > kMaxSegmentBytes) {
    return Error(Errc::kInvalidArgument,
                 fmt::format("Segment size {} is outside {}..{} bytes", options.segment_bytes,
                             kMinSegmentBytes, kMaxSegmentBytes));
  }
  if (!valid_compression_level(options.compression_level)) {
    return Error(Errc::kInvalidArgument, fmt::format("Compression level {} is not 0 (none), 1..19 or -1..-10",
                                                     options.compression_level));
  }
  if (auto existing = dir_.stat_entry(stream_dir_name(name)); existing.ok()) return stream_exists(name);

  StreamMeta meta;
  meta.name = std::string(name);
  meta.created_ms = now_ms();
  meta.retention_hours = options.retention_hours;
  meta.max_shard_bytes = options.max_shard_bytes;
  meta.compression_level = options.compression_level;
  meta.max_record_kib = options.max_record_kib;
  if (options.key) {
    meta.encryption_type = "KMS";
    meta.key_fingerprint = key_fingerprint(*options.key);
    meta.key_fingerprints = {meta.key_fingerprint};
  }
  meta.segment_bytes = options.segment_bytes;
  const auto count = static_cast<uint32_t>(options.shard_count);
  meta.next_shard_index = count;
  const auto ranges = uniform_hash_ranges(count);
  meta.shards.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    ShardMeta shard;
    shard.index = i;
    shard.range = ranges[i];
    shard.created_ms = meta.created_ms;
    meta.shards.push_back(shard);
  }

  // Build the stream under a temporary name, then rename it into place: no reader or second creator can
  // see a half-made stream, and RENAME_NOREPLACE lets exactly one of two racing creators win.
  const std::string temp = temp_name("create");
  KDS_TRY(dir_.make_dir(temp));
  auto build = [&]() -> Status {
    KDS_ASSIGN(Dir stream, dir_.open_dir(temp));
    for (const auto& shard : meta.shards)
      KDS_TRY(stream.make_dir(shard.id()));
    KDS_ASSIGN(Fd lock, stream.open_file(kControlLockName, O_RDWR | O_CREAT));
    KDS_TRY(stream.write_file_atomic(kStreamMetaName, meta.to_json()));
    if (!options.tags.empty()) {
      StreamAttributes attributes;
      attributes.tags = options.tags;
      KDS_TRY(stream.write_file_atomic(kStreamAttributesName, attributes.to_json()));
    }
    return stream.sync();
  };
  Status built = build();
  if (built.ok()) {
    built = dir_.rename(temp, stream_dir_name(name), true);
    if (!built.ok() && (built.error().sys_errno() == EEXIST || built.error().sys_errno() == ENOTEMPTY)) {
      built = stream_exists(name);
    }
  }
  if (!built.ok()) {
    (void)dir_.remove_tree(temp);
    return built;
  }
  return dir_.sync();
}

Status Store::delete_stream(std::string_view name, bool enforce_consumer_deletion) const {
  KDS_TRY(validate_stream_name(name));
  KDS_ASSIGN(Stream stream, open_stream(name));
  KDS_ASSIGN(Fd control, stream.lock_control());
  if (!enforce_consumer_deletion) {
    KDS_ASSIGN(StreamAttributes attributes, read_attributes(stream));
    if (!attributes.consumers.empty()) return consumers_exist(name);
  }
  // Renaming the directory away is the moment of deletion: from here every open and every append
  // (which checks under its shard lock) sees the stream gone.
  const std::string trash = temp_name("delete");
  KDS_TRY(dir_.rename(stream_dir_name(name), trash, true));
  KDS_TRY(dir_.sync());
  // Wait for appends that passed their check before the rename, so none writes after the removal.
  for (const auto& shard : stream.meta().shards) {
    auto shard_dir = stream.open_shard_dir(shard.index);
    if (!shard_dir.ok()) continue;
    auto lock = shard_dir->open_file(kWriterLockName, O_RDWR);
    if (!lock.ok()) continue;
    // Best effort: a shard whose lock cannot be taken has no append to wait for.
    (void)lock_file(*lock, shard_dir->path_of(kWriterLockName));
  }
  return dir_.remove_tree(trash);
}

Result<std::vector<std::string>> Store::list_streams() const {
  KDS_ASSIGN(auto names, dir_.list());
  std::vector<std::string> streams;
  for (const auto& entry : names) {
    if (entry.size() <= kStreamSuffix.size() || !entry.ends_with(kStreamSuffix)) continue;
    std::string name = entry.substr(0, entry.size() - kStreamSuffix.size());
    if (validate_stream_name(name).ok()) streams.push_back(std::move(name));
  }
  std::sort(streams.begin(), streams.end());
  return streams;
}

Result<Stream> Store::open_stream(std::string_view name) const {
  KDS_TRY(validate_stream_name(name));
  auto dir = dir_.open_dir(stream_dir_name(name));
  if (!dir.ok()) {
    const int err = dir.error().sys_errno();
    if (err == ENOENT || err == ENOTDIR || err == ELOOP) return stream_not_found(name);
    return dir.error();
  }
  struct stat st {};
  if (::fstat(dir->fd(), &st) != 0) return io_error("cannot stat " + dir->path(), errno);
  Fd meta_fd;
  auto text = dir->read_file(kStreamMetaName, &meta_fd);
  if (!text.ok()) {
    if (text.error().sys_errno() == ENOENT) {
      return Error(Errc::kCorruption,
                   dir->path_of(kStreamMetaName) + ": missing (the stream has no metadata)");
    }
    return text.error();
  }
  KDS_ASSIGN(StreamMeta meta, StreamMeta::from_json(*text, dir->path_of(kStreamMetaName)));
  if (meta.name != name) {
    return Error(Errc::kCorruption, fmt::format("{}: names stream '{}', not '{}'",
                                                dir->path_of(kStreamMetaName), meta.name, name));
  }
  Fd store_fd(::fcntl(dir_.fd(), F_DUPFD_CLOEXEC, 0));
  if (!store_fd.valid()) return io_error("cannot duplicate descriptor of " + dir_.path(), errno);
  return Stream(std::move(store_fd), std::move(dir).value(), std::move(meta), std::move(meta_fd), st.st_dev,
                st.st_ino);
}

Stream::Stream(Fd store, Dir dir, StreamMeta meta, Fd meta_fd, dev_t dev, ino_t ino)
    : store_fd_(std::move(store)),
      dir_(std::move(dir)),
      meta_(std::move(meta)),
      meta_fd_(std::move(meta_fd)),
      meta_path_(stream_dir_name(meta_.name) + "/" + kStreamMetaName),
      dev_(dev),
      ino_(ino) {
  note_meta_identity();
}

void Stream::note_meta_identity() {
  struct stat st {};
  // Should fstat fail, the zeros match no file: the next refresh re-reads stream.json.
  if (::fstat(meta_fd_.get(), &st) != 0) st = {};
  meta_dev_ = st.st_dev;
  meta_ino_ = st.st_ino;
}

Status Stream::reload() {
  KDS_TRY(check_exists());
  Fd meta_fd;
  KDS_ASSIGN(std::string text, dir_.read_file(kStreamMetaName, &meta_fd));
  KDS_ASSIGN(meta_, StreamMeta::from_json(text, dir_.path_of(kStreamMetaName)));
  meta_fd_ = std::move(meta_fd);
  note_meta_identity();
  return {};
}

Result<bool> Stream::refresh() {
  struct stat current {};
  if (::fstatat(store_fd_.get(), meta_path_.c_str(), &current, AT_SYMLINK_NOFOLLOW) == 0 &&
      current.st_ino == meta_ino_ && current.st_dev == meta_dev_ && meta_ino_ != 0) {
    return false;
  }
  KDS_TRY(reload());  // fails if the stream is gone
  return true;
}

Result<Dir> Stream::open_shard_dir(uint32_t index) const {
  return dir_.open_dir(shard_id_string(index));
}

Result<ShardReader> Stream::open_reader(uint32_t index, Reporter* reporter) const {
  KDS_ASSIGN(Dir dir, open_shard_dir(index));
  const ShardMeta* shard = meta_.find_shard(index);
  ShardReader reader(std::move(dir), reporter, shard != nullptr ? shard->end_offset : std::nullopt);
  reader.set_expiry(meta_.expiry_boundary_ms(now_ms()));
  reader.set_decryption(keys_, index);
  return reader;
}

Status Stream::use_keys(const std::vector<Key>& keys) {
  auto ring = std::make_shared<KeyRing>();
  for (const Key& key : keys)
    ring->add_lazily(key, meta_.name, meta_.created_ms);
  keys_ = std::move(ring);
  return {};
}

namespace {
Error missing_key(const StreamMeta& meta, std::string_view fingerprint) {
  return Error(Errc::kInvalidArgument,
               fmt::format("Stream {} is encrypted with the key whose fingerprint is {}; {}", meta.name,
                           fingerprint, kKeyNotGiven));
}
}  // namespace

Status Stream::check_read_keys() const {
  for (const auto& fingerprint : meta_.key_fingerprints) {
    if (keys_->by_fingerprint(fingerprint) == nullptr) return missing_key(meta_, fingerprint);
  }
  return {};
}

Result<const StreamCipher*> Stream::write_cipher() const {
  if (meta_.encryption_type != "KMS") return static_cast<const StreamCipher*>(nullptr);
  const StreamCipher* cipher = keys_->by_fingerprint(meta_.key_fingerprint);
  if (cipher == nullptr) return missing_key(meta_, meta_.key_fingerprint);
  return cipher;
}

SegmentPolicy Stream::segment_policy() const {
  SegmentPolicy policy;
  policy.max_bytes = meta_.segment_bytes;
  policy.max_age_ms = meta_.segment_max_age_ms;
  policy.retention_ms = meta_.retention_hours * 3600 * 1000;
  policy.trim_before_ms = meta_.trim_before_ms;
  policy.max_shard_bytes = meta_.max_shard_bytes;
  return policy;
}

Result<Fd> Stream::lock_control() {
  KDS_ASSIGN(Fd control, dir_.open_file(kControlLockName, O_RDWR | O_CREAT));
  KDS_TRY(lock_file(control, dir_.path_of(kControlLockName)));
  KDS_TRY(reload());
  return control;
}

Result<std::optional<Fd>> Stream::try_lock_control() {
  KDS_ASSIGN(Fd control, dir_.open_file(kControlLockName, O_RDWR | O_CREAT));
  auto locked = try_lock_file(control, dir_.path_of(kControlLockName));
  if (!locked.ok() || !*locked) return std::optional<Fd>();
  KDS_TRY(reload());
  return std::optional<Fd>(std::move(control));
}

Status Stream::write_meta(StreamMeta meta) {
  KDS_TRY(dir_.write_file_atomic(kStreamMetaName, meta.to_json()));
  return reload();
}

Status Stream::check_exists() const {
  struct stat st {};
  const std::string entry = stream_dir_name(meta_.name);
  if (::fstatat(store_fd_.get(), entry.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 || st.st_dev != dev_ ||
      st.st_ino != ino_) {
    return stream_not_found(meta_.name);
  }
  return {};
}

Result<const ShardMeta*> Stream::shard(uint32_t index) const {
  const ShardMeta* found = meta_.find_shard(index);
  if (found == nullptr) return shard_does_not_exist(index, meta_.name);
  return found;
}

}  // namespace kds
