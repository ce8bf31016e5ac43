#include "cli/error_report.h"

#include <c10/util/Exception.h>

#include <filesystem>
#include <ios>
#include <new>
#include <string_view>

#include "autolr/error.h"
#include "cli/exit_status.h"
#include "core/printable.h"

namespace autolr::cli {
namespace {

// The first line, and a pointer to the rest when there is one.
std::string first_line(std::string_view text) {
  const std::size_t newline = text.find('\n');
  if (newline == std::string_view::npos) return autolr::detail::for_message(text, std::string::npos);
  return autolr::detail::for_message(text.substr(0, newline), std::string::npos) + " (autolr --verbose says more)";
}

int exit_status_of(const std::exception& error) {
  const bool bad_input = dynamic_cast<const InvalidArgument*>(&error) || dynamic_cast<const FormatError*>(&error) ||
                         dynamic_cast<const std::filesystem::filesystem_error*>(&error) ||
                         dynamic_cast<const std::ios_base::failure*>(&error);
  return bad_input ? kBadInput : kFailure;
}

}  // namespace

ErrorReport report_error(const std::exception& error) {
  ErrorReport report{exit_status_of(error), "", error.what()};
  if (const auto* torch_error = dynamic_cast<const c10::Error*>(&error)) {
    // what() carries a backtrace of thirty lines; the message comes first.
    report.line = first_line(torch_error->what_without_backtrace());
  } else if (dynamic_cast<const autolr::Error*>(&error)) {
    // autolr's messages are one line; a value in one (a path) may hold a newline.
    report.line = autolr::detail::for_message(report.full, std::string::npos);
  } else if (dynamic_cast<const std::bad_alloc*>(&error)) {
    report.line = "out of memory (" + first_line(report.full) + ")";
  } else {
    report.line = first_line(report.full);
  }
  return report;
}

}  // namespace autolr::cli
