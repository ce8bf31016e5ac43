#include "core/suggest/curve_checks.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "autolr/error.h"
#include "core/check.h"

namespace autolr::detail {

void check_points(const char* where, const std::vector<double>& lrs, const std::vector<double>& losses) {
  AUTOLR_CHECK_ARGUMENT(lrs.size() == losses.size(), where, "losses.size()", std::to_string(losses.size()),
                        fmt::format("{} (the size of lrs)", lrs.size()));
  for (std::size_t i = 0; i < lrs.size(); ++i) {
    const double* previous = i > 0 ? &lrs[i - 1] : nullptr;
    if (!learning_rate_ok(lrs[i], previous)) {
      throw_invalid_argument(where, fmt::format("lrs[{}]", i), format_double(lrs[i]),
                             learning_rate_expectation(lrs[i], previous, fmt::format("lrs[{}]", i - 1)));
    }
    AUTOLR_CHECK_ARGUMENT(std::isfinite(losses[i]), where, fmt::format("losses[{}]", i),
                          detail::format_double(losses[i]), "a finite loss (suggest() leaves NaN/inf losses out)");
  }
}

std::vector<double> index_gradient(const std::vector<double>& values) {
  const std::size_t n = values.size();
  std::vector<double> gradient(n, 0.0);
  if (n < 2) return gradient;
  gradient[0] = values[1] - values[0];
  gradient[n - 1] = values[n - 1] - values[n - 2];
  for (std::size_t i = 1; i + 1 < n; ++i) gradient[i] = (values[i + 1] - values[i - 1]) / 2.0;
  return gradient;
}

Suggestion no_answer(Method method, WarningKind kind, std::string message) {
  Suggestion suggestion;
  suggestion.method = method;
  suggestion.warnings.push_back({kind, std::move(message)});
  return suggestion;
}

std::optional<Suggestion> require_points(Method method, std::size_t have, std::size_t needed) {
  if (have >= needed) return std::nullopt;
  return no_answer(
      method, WarningKind::TooFewPoints,
      fmt::format("{} needs at least {} points after trimming, the curve has {}", to_string(method), needed, have));
}

namespace {

double median(std::vector<double> values) {
  const auto middle = values.begin() + static_cast<std::ptrdiff_t>(values.size() / 2);
  std::nth_element(values.begin(), middle, values.end());
  if (values.size() % 2 == 1) return *middle;
  return (*middle + *std::max_element(values.begin(), middle)) / 2;
}

double range_of(const std::vector<double>& losses) {
  const auto [low, high] = std::minmax_element(losses.begin(), losses.end());
  return *high - *low;
}

}  // namespace

double noise_sigma(const std::vector<double>& losses) {
  if (losses.size() < 3) return 0.0;
  std::vector<double> second_differences;
  second_differences.reserve(losses.size() - 2);
  for (std::size_t i = 1; i + 1 < losses.size(); ++i) {
    second_differences.push_back(std::abs(losses[i - 1] - 2 * losses[i] + losses[i + 1]));
  }
  constexpr double kMadToSigma = 1.4826;  // median absolute deviation of a normal, in sigmas
  return kMadToSigma * median(std::move(second_differences)) / std::sqrt(6.0);
}

std::optional<Warning> check_flat(const std::vector<double>& losses) {
  if (losses.size() < 2) return std::nullopt;
  std::vector<double> magnitudes(losses.size());
  std::transform(losses.begin(), losses.end(), magnitudes.begin(), [](double x) { return std::abs(x); });
  const double typical = median(std::move(magnitudes));
  const double range = range_of(losses);
  if (range > 0.01 * typical) return std::nullopt;
  return Warning{WarningKind::FlatCurve,
                 fmt::format("the loss is flat: it varies by {:.3g} around {:.4g} over the range, so no learning "
                             "rate stands out",
                             range, typical)};
}

std::optional<Warning> check_noisy(const std::vector<double>& losses) {
  if (losses.size() < 3) return std::nullopt;
  // The descent is measured on a moving average, so the noise does not
  // inflate it, and only down to the lowest point, so a blow-up does not.
  const std::size_t half = std::max<std::size_t>(2, losses.size() / 20);
  std::vector<double> prefix(losses.size() + 1, 0.0);  // prefix sums: O(n) for any window
  for (std::size_t i = 0; i < losses.size(); ++i) prefix[i + 1] = prefix[i] + losses[i];
  std::vector<double> averaged(losses.size());
  for (std::size_t i = 0; i < losses.size(); ++i) {
    const std::size_t first = i >= half ? i - half : 0;
    const std::size_t end = std::min(losses.size(), i + half + 1);
    averaged[i] = (prefix[end] - prefix[first]) / static_cast<double>(end - first);
  }
  const auto lowest = std::min_element(averaged.begin(), averaged.end());
  const double descent = *std::max_element(averaged.begin(), lowest + 1) - *lowest;
  const double sigma = noise_sigma(losses);
  if (descent <= 0 || sigma <= 0.1 * descent) return std::nullopt;
  return Warning{WarningKind::NoisyCurve,
                 fmt::format("the loss is noisy: about {:.3g} of noise per point against a descent of {:.3g}; use "
                             "the smoothed loss, a larger batch or more steps",
                             sigma, descent)};
}

std::optional<Warning> check_no_divergence(const std::vector<double>& lrs, const std::vector<double>& losses) {
  if (losses.size() < 2) return std::nullopt;
  const auto lowest = std::min_element(losses.begin(), losses.end());
  const double minimum = *lowest;
  const double last = losses.back();
  const bool rose = last - minimum >= 0.1 * range_of(losses) || (minimum > 0 && last >= 2 * minimum);
  if (rose) return std::nullopt;
  const auto at = static_cast<std::size_t>(lowest - losses.begin());
  return Warning{WarningKind::NoDivergence,
                 fmt::format("the loss never rose by the end of the range (lowest {:.4g} at lr {:.3g}, last {:.4g} "
                             "at lr {:.3g}): the range ends too early and the suggestion is only a lower bound; "
                             "raise end_lr",
                             minimum, lrs[at], last, lrs.back())};
}

}  // namespace autolr::detail
