#pragma once
// The one-line error of a bad command-line option: "--flag = value: expected ...".

#include <fmt/format.h>

#include <string>

#include "autolr/error.h"

namespace autolr::cli {

[[noreturn]] inline void bad_option(const std::string& option, const std::string& value, const std::string& expected) {
  throw InvalidArgument(fmt::format("{} = {}: expected {}", option, value, expected));
}

}  // namespace autolr::cli
