#include "put_loop.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "cli.h"
#include "text.h"

namespace kds::cli {

Result<std::vector<Input>> open_inputs(const std::vector<std::string>& files) {
  std::vector<Input> inputs;
  const std::vector<std::string> names = files.empty() ? std::vector<std::string>{"-"} : files;
  for (const auto& name : names) {
    if (name == "-") {
      enlarge_pipe(STDIN_FILENO);
      inputs.push_back({"stdin", STDIN_FILENO});
      continue;
    }
    const int fd = ::open(name.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return io_error("cannot open " + name, errno);
    inputs.push_back({name, fd});
  }
  return inputs;
}

void parse_sync_mode(const std::string& text, ProducerOptions* options) {
  if (text == "none") {
    options->sync = SyncMode::kNone;
  } else if (text == "batch") {
    options->sync = SyncMode::kBatch;
  } else if (text == "interval" || text.starts_with("interval:")) {
    options->sync = SyncMode::kInterval;
    if (text != "interval") {
      auto ms = parse_integer(text.substr(9));
      if (!ms || *ms < 1 || *ms > 3600000) throw UsageError("--sync interval:MS needs MS from 1 to 3600000");
      options->sync_interval_ms = *ms;
    }
  } else {
    throw UsageError("--sync: '" + text + "' is not batch, interval[:MS] or none");
  }
}

}  // namespace kds::cli
