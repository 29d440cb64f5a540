#include "command_runner.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>
#include <cerrno>
#include <cstdlib>

#include "kds/file.h"
#include "output.h"

extern char** environ;

namespace kds::cli {

namespace {

// Writes all of `input` to `fd`, stopping at EPIPE (SIGPIPE must be ignored): a COMMAND may stop reading
// early (head -1).
void feed(int fd, std::string_view input) {
  while (!input.empty()) {
    const ssize_t n = ::write(fd, input.data(), input.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    input.remove_prefix(static_cast<size_t>(n));
  }
}

}  // namespace

Result<std::string> find_command(const std::string& name) {
  auto runnable = [](const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
  };
  if (name.find('/') != std::string::npos) {
    if (runnable(name)) return name;
    return Error(Errc::kInvalidArgument, fmt::format("COMMAND {} is not an executable file", name));
  }
  const char* path = ::getenv("PATH");
  std::string_view dirs = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
  for (;;) {
    const size_t colon = dirs.find(':');
    const std::string_view dir = dirs.substr(0, colon);
    const std::string candidate = fmt::format("{}/{}", dir.empty() ? "." : dir, name);
    if (!name.empty() && runnable(candidate)) return candidate;
    if (colon == std::string_view::npos) break;
    dirs.remove_prefix(colon + 1);
  }
  return Error(Errc::kInvalidArgument, fmt::format("COMMAND {} is not found in PATH", name));
}

Result<std::string> run_command(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                                std::string_view input) {
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return io_error("cannot make a pipe for COMMAND", errno);
  Fd read_end(pipe_fds[0]);
  Fd write_end(pipe_fds[1]);
  // A batch is up to 10,000 records: a larger pipe lets COMMAND read it with fewer switches between us.
  enlarge_pipe(write_end.get());

  std::vector<char*> args;
  for (const auto& arg : argv)
    args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  std::vector<char*> envp;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string_view entry(*e);
    bool replaced = false;
    for (const auto& added : env)
      replaced = replaced || entry.substr(0, entry.find('=') + 1) == added.substr(0, added.find('=') + 1);
    if (!replaced) envp.push_back(*e);
  }
  for (const auto& added : env)
    envp.push_back(const_cast<char*>(added.c_str()));
  envp.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, read_end.get(), STDIN_FILENO);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  // The tool ignores SIGPIPE (the caller's part); COMMAND gets the default, as from a shell.
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  posix_spawnattr_setsigdefault(&attributes, &defaults);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGDEF);
  pid_t pid = 0;
  const int spawned = ::posix_spawnp(&pid, args[0], &actions, &attributes, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (spawned != 0) return io_error(fmt::format("cannot run {}", argv[0]), spawned);
  read_end.reset();

  feed(write_end.get(), input);
  write_end.reset();

  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return io_error(fmt::format("cannot wait for {}", argv[0]), errno);
  }
  if (WIFEXITED(status)) {
    if (WEXITSTATUS(status) == 0) return std::string();
    return fmt::format("exited with status {}", WEXITSTATUS(status));
  }
  const int signal = WTERMSIG(status);
  return fmt::format("was killed by signal {} ({})", signal, ::strsignal(signal));
}

}  // namespace kds::cli
