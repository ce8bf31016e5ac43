#include "cli/run_program.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

extern char** environ;

namespace autolr::cli {

ProgramResult run_program(const std::vector<std::string>& argv) {
  ProgramResult result;
  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  pid_t pid = 0;
  const int spawned = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) {
    result.error = fmt::format("cannot run {}: {}", argv[0], std::strerror(spawned));
    return result;
  }
  result.found = true;
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      result.error = fmt::format("waiting for {} failed: {}", argv[0], std::strerror(errno));
      return result;
    }
  }
  if (WIFEXITED(status)) {
    result.exit_status = WEXITSTATUS(status);
    if (result.exit_status != 0) result.error = fmt::format("{} exited with status {}", argv[0], result.exit_status);
  } else {
    result.error = fmt::format("{} was killed by signal {}", argv[0], WTERMSIG(status));
  }
  return result;
}

}  // namespace autolr::cli
