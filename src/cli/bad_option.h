#pragma once
// The one-line error of a bad command-line option: "--flag = value: expected ...".

#include <fmt/format.h>

#include <string>

#include "autolr/error.h"
#include "core/printable.h"

namespace autolr::cli {

/// The value is shown escaped and cut short (autolr::detail::for_message),
/// so whatever was typed, the message stays one readable line.
[[noreturn]] inline void bad_option(const std::string& option, const std::string& value, const std::string& expected) {
  throw InvalidArgument(fmt::format("{} = {}: expected {}", option, autolr::detail::for_message(value), expected));
}

}  // namespace autolr::cli
