#pragma once
// Argument checks for autolr's own code. The message parts are evaluated only
// when the check fails, so a check inside a loop over a million points costs
// one comparison per point, not one string per point.

#include <cstdint>
#include <limits>
#include <optional>
#include <string>

namespace autolr::detail {

/// Throws InvalidArgument("<where>: <argument> = <value>, expected <expected>").
[[noreturn]] void throw_invalid_argument(const std::string& where, const std::string& argument,
                                         const std::string& value, const std::string& expected);

/// Shortest text that reads back as the same double ("0.1", "1e-07", "nan").
std::string format_double(double value);

/// The rule for a curve's learning rates, in one place for the curve, the
/// suggesters and the CSV reader: finite, > 0 and greater than the one before
/// (`previous`, named `previous_name` in the message; null for the first).
/// learning_rate_ok is the cheap test for loops over many points; only when it
/// fails, learning_rate_expectation says what `lr` was expected to be.
inline bool learning_rate_ok(double lr, const double* previous) {
  return lr > 0 && lr < std::numeric_limits<double>::infinity() && (!previous || lr > *previous);
}
std::string learning_rate_expectation(double lr, const double* previous, const std::string& previous_name);

/// a * b, or nullopt when the product does not fit in an int64_t: step
/// counts multiplied from user input (epochs x steps) are checked, not wrapped.
inline std::optional<int64_t> checked_product(int64_t a, int64_t b) {
  int64_t product = 0;
  if (__builtin_mul_overflow(a, b, &product)) return std::nullopt;
  return product;
}

}  // namespace autolr::detail

#define AUTOLR_CHECK_ARGUMENT(ok, where, argument, value, expected)                        \
  do {                                                                                     \
    if (!(ok)) ::autolr::detail::throw_invalid_argument(where, argument, value, expected); \
  } while (false)
