#include "check.h"

#include <fmt/format.h>

#include "autolr/error.h"

namespace autolr::detail {

void throw_invalid_argument(const std::string& where, const std::string& argument, const std::string& value,
                            const std::string& expected) {
  throw InvalidArgument(fmt::format("{}: {} = {}, expected {}", where, argument, value, expected));
}

std::string format_double(double value) { return fmt::format("{}", value); }

}  // namespace autolr::detail
