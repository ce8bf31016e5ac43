#pragma once
// Options that hold numbers, all added through add_number so that none takes
// a value it cannot hold: CLI11 alone reads "999999999999999999999" as
// INT64_MAX and "1e999" as inf, and the command would go on with those.

#include <CLI/CLI.hpp>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <type_traits>

namespace autolr::cli {

/// Rejects an integer outside [low, high]; leaves text that is no integer
/// to CLI11's own conversion error.
CLI::Validator integer_within(int64_t low, int64_t high);
/// Rejects a number too large for a double ("1e999", which CLI11 reads as inf).
CLI::Validator double_within_range();

// The number type an option holds: T, or T inside a std::optional.
template <typename T>
struct HeldNumber {
  using type = T;
};
template <typename T>
struct HeldNumber<std::optional<T>> {
  using type = T;
};

/// cmd.add_option(name, target, help) with the check that fits target's
/// type: int, int64_t or double, or a std::optional of one.
template <typename T>
CLI::Option* add_number(CLI::App& cmd, const std::string& name, T& target, const std::string& help) {
  using Number = typename HeldNumber<T>::type;
  CLI::Option* option = cmd.add_option(name, target, help);
  if constexpr (std::is_integral_v<Number>) {
    static_assert(std::is_signed_v<Number> && sizeof(Number) <= sizeof(int64_t), "a signed integer up to int64_t");
    return option->check(integer_within(std::numeric_limits<Number>::min(), std::numeric_limits<Number>::max()));
  } else {
    static_assert(std::is_same_v<Number, double>, "int, int64_t or double");
    return option->check(double_within_range());
  }
}

}  // namespace autolr::cli
