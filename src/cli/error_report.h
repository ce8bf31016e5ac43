#pragma once
// What the command prints for an error that ends it, and with which exit
// status: one line on stderr, the whole text (a LibTorch backtrace, say)
// behind --verbose.

#include <exception>
#include <string>

namespace autolr::cli {

struct ErrorReport {
  int exit_status;
  std::string line;  ///< one line: no newline or control character in it
  std::string full;  ///< everything the error says
};

/// kBadInput for autolr's InvalidArgument and FormatError, std::filesystem
/// and stream errors (a path that cannot be used); kFailure for the rest
/// (LibTorch's c10::Error, out of memory, autolr's RestoreError, ...).
ErrorReport report_error(const std::exception& error);

}  // namespace autolr::cli
