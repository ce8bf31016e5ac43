#include "cli/number_options.h"

#include <fmt/format.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <system_error>

#include "core/printable.h"

namespace autolr::cli {
namespace {

// from_chars rejects the leading '+' that CLI11 accepts.
std::string_view without_plus(const std::string& text) {
  std::string_view view(text);
  if (!view.empty() && view.front() == '+') view.remove_prefix(1);
  return view;
}

}  // namespace

CLI::Validator integer_within(int64_t low, int64_t high) {
  return CLI::Validator(
      [low, high](std::string& text) -> std::string {
        const std::string_view digits = without_plus(text);
        int64_t value = 0;
        const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
        if (end != digits.data() + digits.size()) return "";  // not an integer: CLI11 says so
        if (error == std::errc::result_out_of_range || (error == std::errc() && (value < low || value > high))) {
          return fmt::format("{} is out of range, expected an integer from {} to {}", autolr::detail::for_message(text),
                             low, high);
        }
        return "";
      },
      "");
}

CLI::Validator double_within_range() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        // strtod, as CLI11 reads doubles: an overflow gives inf and ERANGE.
        char* end = nullptr;
        errno = 0;
        const double value = std::strtod(text.c_str(), &end);
        if (*end == '\0' && errno == ERANGE && std::isinf(value)) {
          return fmt::format("{} is out of the range of a double, expected a number of at most {} in magnitude",
                             autolr::detail::for_message(text), std::numeric_limits<double>::max());
        }
        return "";
      },
      "");
}

}  // namespace autolr::cli
