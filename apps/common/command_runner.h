// Running a user's COMMAND on a batch (kds-consume): no shell, the batch on its standard input, its
// standard output and error the tool's own.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "kds/status.h"

namespace kds::cli {

// Where `name` is run from: itself when it holds a '/', else the first executable file of that name in a
// directory of $PATH. An error saying which when there is none.
Result<std::string> find_command(const std::string& name);

// Runs `argv` (searched in PATH) with `env` ("NAME=value") added to the tool's environment, writes `input`
// to its standard input and closes it, and waits for it. Returns "" when it exits 0, else how it failed
// ("exited with status 3", "was killed by signal 9 (Killed)"); an error when it could not be started.
// A COMMAND that exits without reading all its input is not a failure by that alone; the caller must
// ignore SIGPIPE for that. Safe to call from several threads at once.
Result<std::string> run_command(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                                std::string_view input);

}  // namespace kds::cli
