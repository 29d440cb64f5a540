// kds: the front door. `kds COMMAND [ARGS...]` runs kds-COMMAND, as `git foo` runs git-foo: found next
// to this program or on PATH, with arguments, standard streams and exit status passed through untouched
// (it replaces this process).
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

namespace {

struct Command {
  const char* name;
  const char* summary;
};

// The commands, in the order `kds --help` lists them: generated from apps/commands.txt by CMake.
constexpr Command kCommands[] = {
#include "kds_commands.inc"
};

constexpr const char* kVersion = "kds (kds) " KDS_VERSION;

void usage(FILE* out) {
  fmt::print(out, "usage: kds [--store DIR] COMMAND [ARGS...]\n       kds help COMMAND\n\nCommands:\n");
  for (const auto& command : kCommands)
    fmt::print(out, "  {:<25}{}\n", command.name, command.summary);
  fmt::print(out,
             "\nEach command is also a program of its own, kds-COMMAND, with --help and a man page.\n"
             "--store DIR before the command sets KDS_STORE for it. See kds(7).\n");
}

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j)
    row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

const Command* find(std::string_view name) {
  for (const auto& command : kCommands) {
    if (name == command.name) return &command;
  }
  return nullptr;
}

int unknown(std::string_view name) {
  std::string message = fmt::format("kds: '{}' is not a kds command (see 'kds --help')", name);
  const Command* closest = nullptr;
  size_t best = SIZE_MAX;
  for (const auto& command : kCommands) {
    const size_t distance = edit_distance(name, command.name);
    const bool prefix = std::string_view(command.name).starts_with(name) && !name.empty();
    const size_t score = prefix ? 0 : distance;
    if (score < best) best = score, closest = &command;
  }
  if (closest != nullptr && best <= 3) message += fmt::format("; did you mean '{}'?", closest->name);
  fmt::print(stderr, "{}\n", message);
  return 2;
}

// The directory this program lives in, where its siblings are looked for first.
std::string own_directory() {
  char path[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", path, sizeof path - 1);
  if (n <= 0) return {};
  std::string self(path, static_cast<size_t>(n));
  return self.substr(0, self.rfind('/'));
}

[[noreturn]] void run_command(const std::string& program, char** args) {
  const std::string beside = own_directory() + "/" + program;
  if (::access(beside.c_str(), X_OK) == 0) ::execv(beside.c_str(), args);
  ::execvp(program.c_str(), args);
  const int err = errno;
  fmt::print(stderr, "kds: cannot run {}: {}\n", program, std::strerror(err));
  std::exit(err == ENOENT ? 127 : 126);
}

}  // namespace

int main(int argc, char** argv) {
  int first = 1;
  while (first < argc) {
    const std::string_view arg = argv[first];
    if (arg == "--store" && first + 1 < argc) {
      ::setenv("KDS_STORE", argv[first + 1], 1);
      first += 2;
    } else if (arg.starts_with("--store=")) {
      ::setenv("KDS_STORE", argv[first] + 8, 1);
      ++first;
    } else {
      break;
    }
  }
  if (first >= argc) {
    usage(stdout);
    return 0;
  }
  const std::string_view command = argv[first];
  if (command == "-h" || command == "--help") {
    usage(stdout);
    return 0;
  }
  if (command == "-V" || command == "--version") {
    fmt::print("{}\n", kVersion);
    return 0;
  }
  if (command == "help") {
    if (first + 1 >= argc) {
      usage(stdout);
      return 0;
    }
    const std::string_view topic = argv[first + 1];
    if (topic != "kds" && find(topic) == nullptr) return unknown(topic);
    const std::string page = topic == "kds" ? "kds" : "kds-" + std::string(topic);
    ::execlp("man", "man", page.c_str(), static_cast<char*>(nullptr));
    fmt::print(stderr, "kds: cannot run man: {}\n", std::strerror(errno));
    return 127;
  }
  if (command.starts_with("-")) {
    fmt::print(stderr, "kds: unknown option '{}' (see 'kds --help')\n", command);
    return 2;
  }
  if (find(command) == nullptr) return unknown(command);
  std::string program = "kds-" + std::string(command);
  std::vector<char*> args;
  args.push_back(program.data());
  for (int i = first + 1; i < argc; ++i)
    args.push_back(argv[i]);
  args.push_back(nullptr);
  run_command(program, args.data());
}
