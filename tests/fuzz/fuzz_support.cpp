#include "fuzz_support.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <vector>

namespace kds::fuzz {

namespace {

struct ScratchPath {
  std::string parent;
  std::string name;
};

std::vector<ScratchPath>& scratch_paths() {
  static std::vector<ScratchPath> paths;
  return paths;
}

void remove_scratch_paths() {
  for (const auto& path : scratch_paths()) {
    auto parent = Dir::open(path.parent, false);
    if (!parent.ok() || !parent->remove_tree(path.name).ok()) {
      std::fprintf(stderr, "fuzz: could not remove %s/%s\n", path.parent.c_str(), path.name.c_str());
    }
  }
}

}  // namespace

void fail(const std::string& what) {
  std::fprintf(stderr, "fuzz: %s\n", what.c_str());
  std::abort();
}

std::string scratch_dir(const std::string& name) {
  const char* tmp = std::getenv("TMPDIR");
  const std::string parent = tmp != nullptr && *tmp == '/' ? tmp : "/tmp";
  std::string pattern = parent + "/kds-fuzz-" + name + "-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) fail("cannot make a scratch directory " + pattern);
  if (scratch_paths().empty()) std::atexit(remove_scratch_paths);
  scratch_paths().push_back({parent, pattern.substr(parent.size() + 1)});
  return pattern;
}

Dir open_dir(const std::string& path) {
  auto dir = Dir::open(path, false);
  if (!dir.ok()) fail("cannot open " + path);
  return std::move(*dir);
}

std::shared_ptr<const KeyRing> seed_key_ring() {
  Key key;
  for (size_t i = 0; i < key.size(); ++i)
    key[i] = static_cast<unsigned char>(i);
  auto cipher = StreamCipher::create(key, kSeedStream, kSeedCreatedMs);
  if (!cipher.ok()) fail("cannot derive the seed key");
  auto ring = std::make_shared<KeyRing>();
  ring->add(std::move(*cipher));
  return ring;
}

}  // namespace kds::fuzz
