#include "core/check.h"

#include <fmt/format.h>

#include "autolr/error.h"

namespace autolr::detail {

void throw_invalid_argument(const std::string& where, const std::string& argument, const std::string& value,
                            const std::string& expected) {
  throw InvalidArgument(fmt::format("{}: {} = {}, expected {}", where, argument, value, expected));
}

std::string format_double(double value) { return fmt::format("{}", value); }

std::string learning_rate_expectation(double lr, const double* previous, const std::string& previous_name) {
  if (!learning_rate_ok(lr, nullptr)) return "a finite learning rate > 0";
  return fmt::format("greater than {} = {} (learning rates must be strictly increasing)", previous_name,
                     format_double(previous ? *previous : 0.0));
}

}  // namespace autolr::detail
