#pragma once
// Argument checks for autolr's own code. The message parts are evaluated only
// when the check fails, so a check inside a loop over a million points costs
// one comparison per point, not one string per point.

#include <string>

namespace autolr::detail {

/// Throws InvalidArgument("<where>: <argument> = <value>, expected <expected>").
[[noreturn]] void throw_invalid_argument(const std::string& where, const std::string& argument,
                                         const std::string& value, const std::string& expected);

/// Shortest text that reads back as the same double ("0.1", "1e-07", "nan").
std::string format_double(double value);

}  // namespace autolr::detail

#define AUTOLR_CHECK_ARGUMENT(ok, where, argument, value, expected)                        \
  do {                                                                                     \
    if (!(ok)) ::autolr::detail::throw_invalid_argument(where, argument, value, expected); \
  } while (false)
