// The store: creating, listing, opening and deleting streams (store.h), and the file layer's modes.
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "kds/producer.h"
#include "kds/store.h"
#include "temp_dir.h"
#include "test_util.h"

namespace fs = std::filesystem;

namespace {

kds::Store open_store(const std::string& path) {
  auto store = kds::Store::open(path);
  REQUIRE(store.ok());
  return std::move(store).value();
}

std::vector<std::string> entries(const std::string& path) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(path))
    names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

kds::StreamOptions shards(int64_t count) {
  kds::StreamOptions options;
  options.shard_count = count;
  return options;
}

kds::ProducerOptions no_sync() {
  kds::ProducerOptions options;
  options.sync = kds::SyncMode::kNone;
  return options;
}

class UmaskGuard {
 public:
  explicit UmaskGuard(mode_t mask) : old_(::umask(mask)) {}
  ~UmaskGuard() { ::umask(old_); }
  UmaskGuard(const UmaskGuard&) = delete;
  UmaskGuard& operator=(const UmaskGuard&) = delete;

 private:
  mode_t old_;
};

class EnvGuard {
 public:
  explicit EnvGuard(const char* name) : name_(name) {
    if (const char* value = std::getenv(name)) old_ = value;
  }
  ~EnvGuard() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }
  EnvGuard(const EnvGuard&) = delete;
  EnvGuard& operator=(const EnvGuard&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

}  // namespace

TEST_CASE("create, list and open streams") {
  kds_test::TempDir tmp;
  kds_test::ClockGuard clock(1459799926480);
  const kds::Store store = open_store(tmp.sub("store"));
  auto listed = store.list_streams();
  REQUIRE(listed.ok());
  CHECK(listed->empty());

  kds::StreamOptions options;
  options.shard_count = 3;
  options.retention_hours = 48;
  options.segment_bytes = 8192;
  REQUIRE(store.create_stream("orders", options).ok());
  REQUIRE(store.create_stream("A-b_c.9", shards(1)).ok());
  listed = store.list_streams();
  REQUIRE(listed.ok());
  CHECK(*listed == std::vector<std::string>{"A-b_c.9", "orders"});

  auto stream = store.open_stream("orders");
  REQUIRE(stream.ok());
  CHECK(stream->name() == "orders");
  const kds::StreamMeta& meta = stream->meta();
  CHECK(meta.status == "ACTIVE");
  CHECK(meta.retention_hours == 48);
  CHECK(meta.segment_bytes == 8192);
  CHECK(meta.created_ms == 1459799926480);
  CHECK(meta.next_shard_index == 3);
  REQUIRE(meta.shards.size() == 3);
  const auto ranges = kds::uniform_hash_ranges(3);
  for (uint32_t i = 0; i < 3; ++i) {
    CAPTURE(i);
    CHECK(meta.shards[i].index == i);
    CHECK(meta.shards[i].range == ranges[i]);
    CHECK(meta.shards[i].is_open());
    CHECK_FALSE(meta.shards[i].parent.has_value());
    CHECK(meta.shards[i].created_ms == 1459799926480);
    auto dir = stream->open_shard_dir(i);
    CHECK(dir.ok());
  }
  CHECK_FALSE(stream->open_shard_dir(3).ok());
  CHECK(stream->check_exists().ok());

  auto shard = stream->shard(2);
  REQUIRE(shard.ok());
  CHECK((*shard)->index == 2);
  auto missing = stream->shard(99);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code() == kds::Errc::kResourceNotFound);
  CHECK(missing.error().message() ==
        "Shard shardId-000000000099 in stream orders under account 000000000000 does not exist");

  // Layout: <store>/<name>.stream/{stream.json, control.lock, shardId-...}.
  CHECK(entries(tmp.sub("store")) == std::vector<std::string>{"A-b_c.9.stream", "orders.stream"});
  CHECK(entries(tmp.sub("store/orders.stream")) ==
        std::vector<std::string>{"control.lock", "shardId-000000000000", "shardId-000000000001",
                                 "shardId-000000000002", "stream.json"});
  CHECK(kds::stream_dir_name("orders") == "orders.stream");

  // A second Store object on the same directory sees the same streams.
  const kds::Store again = open_store(tmp.sub("store"));
  auto other = again.open_stream("A-b_c.9");
  REQUIRE(other.ok());
  CHECK(other->meta().shards.size() == 1);
}

TEST_CASE("creating an existing stream is ResourceInUseException") {
  kds_test::TempDir tmp;
  const kds::Store store = open_store(tmp.sub("store"));
  REQUIRE(store.create_stream("s1", shards(2)).ok());
  const kds::Status again = store.create_stream("s1", shards(5));
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().code() == kds::Errc::kResourceInUse);
  CHECK(again.error().message() == "Stream s1 under account 000000000000 already exists.");
  // The original is untouched and no temporary directory is left behind.
  auto stream = store.open_stream("s1");
  REQUIRE(stream.ok());
  CHECK(stream->meta().shards.size() == 2);
  CHECK(entries(tmp.sub("store")) == std::vector<std::string>{"s1.stream"});
}

TEST_CASE("invalid stream options are rejected and leave nothing behind") {
  kds_test::TempDir tmp;
  const kds::Store store = open_store(tmp.sub("store"));
  struct Case {
    const char* name;
    kds::StreamOptions options;
    kds::Errc code;
  };
  kds::StreamOptions zero = shards(0);
  kds::StreamOptions too_many = shards(10001);
  kds::StreamOptions short_retention = shards(1);
  short_retention.retention_hours = 23;
  kds::StreamOptions long_retention = shards(1);
  long_retention.retention_hours = 8761;
  kds::StreamOptions tiny_segments = shards(1);
  tiny_segments.segment_bytes = kds::kMinSegmentBytes - 1;
  kds::StreamOptions huge_segments = shards(1);
  huge_segments.segment_bytes = kds::kMaxSegmentBytes + 1;
  for (const Case& c :
       {Case{"s", zero, kds::Errc::kValidation}, Case{"s", too_many, kds::Errc::kLimitExceeded},
        Case{"s", short_retention, kds::Errc::kInvalidArgument},
        Case{"s", long_retention, kds::Errc::kInvalidArgument},
        Case{"s", tiny_segments, kds::Errc::kInvalidArgument},
        Case{"s", huge_segments, kds::Errc::kInvalidArgument}, Case{"a/b", shards(1), kds::Errc::kValidation},
        Case{"", shards(1), kds::Errc::kValidation}, Case{"../x", shards(1), kds::Errc::kValidation}}) {
    const std::string shown = c.name;
    CAPTURE(shown);
    const kds::Status status = store.create_stream(c.name, c.options);
    REQUIRE_FALSE(status.ok());
    CHECK(status.error().code() == c.code);
  }
  CHECK(entries(tmp.sub("store")).empty());
  CHECK(entries(tmp.path()) == std::vector<std::string>{"store"});
  // Opening or deleting with an invalid name is a validation error too.
  auto opened = store.open_stream("a b");
  REQUIRE_FALSE(opened.ok());
  CHECK(opened.error().code() == kds::Errc::kValidation);
  const kds::Status deleted = store.delete_stream("a/b");
  REQUIRE_FALSE(deleted.ok());
  CHECK(deleted.error().code() == kds::Errc::kValidation);
}

TEST_CASE("streams named . and .. stay inside the store") {
  kds_test::TempDir tmp;
  const kds::Store store = open_store(tmp.sub("store"));
  REQUIRE(store.create_stream(".", shards(1)).ok());
  REQUIRE(store.create_stream("..", shards(2)).ok());
  REQUIRE(store.create_stream("...", shards(3)).ok());
  CHECK(entries(tmp.path()) == std::vector<std::string>{"store"});
  // "." -> "..stream", ".." -> "...stream", "..." -> "....stream" (sorted bytewise).
  CHECK(entries(tmp.sub("store")) == std::vector<std::string>{"....stream", "...stream", "..stream"});
  CHECK(kds_test::exists(tmp.sub("store/..stream/stream.json")));
  CHECK(kds_test::exists(tmp.sub("store/...stream/shardId-000000000001")));

  auto listed = store.list_streams();
  REQUIRE(listed.ok());
  CHECK(*listed == std::vector<std::string>{".", "..", "..."});
  for (const auto& [name, count] : {std::pair<std::string, size_t>{".", 1}, {"..", 2}, {"...", 3}}) {
    CAPTURE(name);
    auto stream = store.open_stream(name);
    REQUIRE(stream.ok());
    CHECK(stream->name() == name);
    CHECK(stream->meta().shards.size() == count);
  }
  // Records written to ".." land in its own directory.
  {
    auto producer = kds::Producer::open(store, "..", no_sync(), nullptr);
    REQUIRE(producer.ok());
    REQUIRE(producer->add("k", "v").ok());
    REQUIRE(producer->flush(nullptr).ok());
  }
  CHECK(entries(tmp.path()) == std::vector<std::string>{"store"});

  REQUIRE(store.delete_stream("..").ok());
  CHECK(entries(tmp.sub("store")) == std::vector<std::string>{"....stream", "..stream"});
  auto gone = store.open_stream("..");
  REQUIRE_FALSE(gone.ok());
  CHECK(gone.error().code() == kds::Errc::kResourceNotFound);
  CHECK(store.open_stream(".").ok());
  CHECK(store.open_stream("...").ok());
}

TEST_CASE("list_streams ignores entries that are not streams") {
  kds_test::TempDir tmp;
  const kds::Store store = open_store(tmp.sub("store"));
  REQUIRE(store.create_stream("real", shards(1)).ok());
  fs::create_directory(tmp.sub("store/junk"));
  fs::create_directory(tmp.sub("store/a b.stream"));
  fs::create_directory(tmp.sub("store/.stream"));
  kds_test::write_bytes(tmp.sub("store/file.txt"), "x");
  auto listed = store.list_streams();
  REQUIRE(listed.ok());
  CHECK(*listed == std::vector<std::string>{"real"});
}

TEST_CASE("deleted streams are gone for every handle") {
  kds_test::TempDir tmp;
  const kds::Store store = open_store(tmp.sub("store"));
  REQUIRE(store.create_stream("s1", shards(2)).ok());
  REQUIRE(store.create_stream("s2", shards(1)).ok());
  auto held = store.open_stream("s1");
  REQUIRE(held.ok());
  REQUIRE(held->check_exists().ok());

  REQUIRE(store.delete_stream("s1").ok());
  auto opened = store.open_stream("s1");
  REQUIRE_FALSE(opened.ok());
  CHECK(opened.error().code() == kds::Errc::kResourceNotFound);
  CHECK(opened.error().message() == "Stream s1 under account 000000000000 not found.");
  const kds::Status exists = held->check_exists();
  REQUIRE_FALSE(exists.ok());
  CHECK(exists.error().code() == kds::Errc::kResourceNotFound);
  CHECK(exists.error().message() == "Stream s1 under account 000000000000 not found.");
  const kds::Status reloaded = held->reload();
  REQUIRE_FALSE(reloaded.ok());
  CHECK(reloaded.error().code() == kds::Errc::kResourceNotFound);
  auto listed = store.list_streams();
  REQUIRE(listed.ok());
  CHECK(*listed == std::vector<std::string>{"s2"});
  CHECK(entries(tmp.sub("store")) == std::vector<std::string>{"s2.stream"});

  // Deleting again, or a stream that never existed.
  for (const char* name : {"s1", "never"}) {
    const kds::Status again = store.delete_stream(name);
    REQUIRE_FALSE(again.ok());
    CHECK(again.error().code() == kds::Errc::kResourceNotFound);
  }

  // A new stream of the same name is a different stream: the old handle stays gone.
  REQUIRE(store.create_stream("s1", shards(3)).ok());
  CHECK_FALSE(held->check_exists().ok());
  auto fresh = store.open_stream("s1");
  REQUIRE(fresh.ok());
  CHECK(fresh->check_exists().ok());
  CHECK(fresh->meta().shards.size() == 3);

  // A producer that wrote before the deletion fails to append after it, with ResourceNotFoundException
  // (its append checks under the shard lock).
  auto producer = kds::Producer::open(store, "s2", no_sync(), nullptr);
  REQUIRE(producer.ok());
  REQUIRE(producer->add("k", "before").ok());
  REQUIRE(producer->flush(nullptr).ok());
  REQUIRE(store.delete_stream("s2").ok());
  REQUIRE(producer->add("k", "after").ok());
  int acked = 0;
  const kds::Status flushed = producer->flush([&](const kds::RecordAck&) { ++acked; });
  REQUIRE_FALSE(flushed.ok());
  CHECK(flushed.error().code() == kds::Errc::kResourceNotFound);
  CHECK(acked == 0);
  CHECK(entries(tmp.sub("store")) == std::vector<std::string>{"s1.stream"});
}

TEST_CASE("refresh re-reads a replaced stream.json and fails once the stream is deleted") {
  kds_test::TempDir tmp;
  const kds::Store store = open_store(tmp.sub("store"));
  REQUIRE(store.create_stream("s", shards(2)).ok());
  auto held = store.open_stream("s");
  REQUIRE(held.ok());
  auto unchanged = held->refresh();
  REQUIRE(unchanged.ok());
  CHECK_FALSE(*unchanged);

  // Another handle changes the metadata (a new stream.json, renamed over the old one).
  auto other = store.open_stream("s");
  REQUIRE(other.ok());
  kds::StreamMeta changed = other->meta();
  changed.retention_hours = 48;
  REQUIRE(other->write_meta(changed).ok());
  auto replaced = held->refresh();
  REQUIRE(replaced.ok());
  CHECK(*replaced);
  CHECK(held->meta().retention_hours == 48);
  auto again = held->refresh();
  REQUIRE(again.ok());
  CHECK_FALSE(*again);

  // Deleted, then created again with the same name: the handle's stream is gone either way, although
  // the path it looks at names a stream.json again.
  REQUIRE(store.delete_stream("s").ok());
  auto deleted = held->refresh();
  REQUIRE_FALSE(deleted.ok());
  CHECK(deleted.error().code() == kds::Errc::kResourceNotFound);
  REQUIRE(store.create_stream("s", shards(3)).ok());
  auto recreated = held->refresh();
  REQUIRE_FALSE(recreated.ok());
  CHECK(recreated.error().code() == kds::Errc::kResourceNotFound);
  CHECK(held->meta().shards.size() == 2);
}

TEST_CASE("a stream of 1000 shards") {
  kds_test::TempDir tmp;
  const kds::Store store = open_store(tmp.sub("store"));
  REQUIRE(store.create_stream("wide", shards(1000)).ok());
  auto stream = store.open_stream("wide");
  REQUIRE(stream.ok());
  REQUIRE(stream->meta().shards.size() == 1000);
  CHECK(stream->meta().open_shards().size() == 1000);
  CHECK(stream->meta().shards.back().id() == "shardId-000000000999");
  const auto ranges = kds::uniform_hash_ranges(1000);
  bool ranges_match = true;
  for (uint32_t i = 0; i < 1000; ++i)
    ranges_match = ranges_match && stream->meta().shards[i].range == ranges[i];
  CHECK(ranges_match);
  CHECK(entries(tmp.sub("store/wide.stream")).size() == 1002);
  CHECK(stream->open_shard_dir(999).ok());
}

namespace {

void check_private_modes(mode_t mask) {
  CAPTURE(mask);
  kds_test::TempDir tmp;
  UmaskGuard umask(mask);
  const kds::Store store = open_store(tmp.sub("store/nested"));
  REQUIRE(store.create_stream("modes", shards(2)).ok());
  {
    auto producer = kds::Producer::open(store, "modes", no_sync(), nullptr);
    REQUIRE(producer.ok());
    for (int i = 0; i < 20; ++i)
      REQUIRE(producer->add("key-" + std::to_string(i), std::string(100, 'x')).ok());
    REQUIRE(producer->flush(nullptr).ok());
  }
  auto stream = store.open_stream("modes");
  REQUIRE(stream.ok());
  REQUIRE(stream->write_meta(stream->meta()).ok());
  REQUIRE(store.create_stream("other", shards(1)).ok());
  REQUIRE(store.delete_stream("other").ok());

  size_t files = 0;
  size_t dirs = 0;
  auto check_mode = [&](const std::string& path) {
    struct stat st {};
    REQUIRE(::lstat(path.c_str(), &st) == 0);
    CAPTURE(path);
    if (S_ISDIR(st.st_mode)) {
      CHECK((st.st_mode & 07777) == 0700);
      ++dirs;
    } else {
      CHECK(S_ISREG(st.st_mode));
      CHECK((st.st_mode & 07777) == 0600);
      ++files;
    }
  };
  check_mode(tmp.sub("store"));
  check_mode(tmp.sub("store/nested"));
  for (const auto& entry : fs::recursive_directory_iterator(tmp.sub("store/nested")))
    check_mode(entry.path().string());
  // stream.json, control.lock, and per written shard writer.lock, a segment and its index.
  CHECK(files >= 8);
  CHECK(dirs == 5);  // store, nested, the stream, 2 shards
  CHECK(kds_test::exists(tmp.sub("store/nested/modes.stream/shardId-000000000000/00000000000000000000.log")));
  CHECK(kds_test::exists(tmp.sub("store/nested/modes.stream/shardId-000000000001/00000000000000000000.idx")));
}

}  // namespace

TEST_CASE("files are created 0600 and directories 0700 whatever the umask") {
  // umask 0 would let a wider mode through; umask 0777 would leave files and directories unusable
  // without the explicit chmod.
  check_private_modes(0);
  check_private_modes(0777);
  check_private_modes(0022);
}

TEST_CASE("Store::default_path") {
  EnvGuard kds_store("KDS_STORE");
  EnvGuard xdg("XDG_DATA_HOME");
  EnvGuard home("HOME");
  ::setenv("KDS_STORE", "/x/store", 1);
  auto path = kds::Store::default_path();
  REQUIRE(path.ok());
  CHECK(*path == "/x/store");
  ::setenv("KDS_STORE", "", 1);
  ::setenv("XDG_DATA_HOME", "/y/data", 1);
  ::setenv("HOME", "/home/u", 1);
  path = kds::Store::default_path();
  REQUIRE(path.ok());
  CHECK(*path == "/y/data/kds");
  ::setenv("XDG_DATA_HOME", "relative", 1);  // not absolute: ignored
  path = kds::Store::default_path();
  REQUIRE(path.ok());
  CHECK(*path == "/home/u/.local/share/kds");
  ::unsetenv("XDG_DATA_HOME");
  ::unsetenv("HOME");
  CHECK_FALSE(kds::Store::default_path().ok());
}
