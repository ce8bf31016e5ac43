#pragma once
// Runs another program with an argument vector, never through a shell, so a
// path with quotes, spaces or `$(...)` in it is only ever a path.

#include <string>
#include <vector>

namespace autolr::cli {

struct ProgramResult {
  bool found = false;    ///< false when `argv[0]` is not on PATH
  int exit_status = -1;  ///< the exit status when it ran to the end; -1 when killed by a signal
  std::string error;     ///< why it could not run or did not succeed, for a message
  bool succeeded() const { return found && exit_status == 0; }
};

/// Runs `argv[0]` (looked up on PATH) with `argv`, its standard input closed
/// and its output passed through, and waits for it.
ProgramResult run_program(const std::vector<std::string>& argv);

}  // namespace autolr::cli
