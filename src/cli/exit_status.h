#pragma once
// The exit statuses of every autolr command, in one place (docs/cli.md has
// the same table).

namespace autolr::cli {

enum ExitStatus : int {
  kSuccess = 0,   ///< an answer, the schedule, a trained model
  kNoAnswer = 1,  ///< suggest: no method gave a learning rate; demo: nothing was trained
  kBadInput = 2,  ///< a bad option or input file, or an output that could not be written
  kFailure = 3,   ///< an error while running: LibTorch's (a CUDA error), out of memory, anything unexpected
};

}  // namespace autolr::cli
