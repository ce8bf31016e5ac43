#include "autolr/curve.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <utility>

#include "autolr/error.h"
#include "core/check.h"

namespace autolr {
namespace {

constexpr const char* kWhere = "LRCurve";

void check_learning_rates(const std::vector<double>& lrs) {
  for (std::size_t i = 0; i < lrs.size(); ++i) {
    const double* previous = i > 0 ? &lrs[i - 1] : nullptr;
    if (!detail::learning_rate_ok(lrs[i], previous)) {
      detail::throw_invalid_argument(
          kWhere, fmt::format("lrs[{}]", i), detail::format_double(lrs[i]),
          detail::learning_rate_expectation(lrs[i], previous, fmt::format("lrs[{}]", i - 1)));
    }
  }
}

void check_same_size(std::size_t lrs, std::size_t other, const char* name) {
  AUTOLR_CHECK_ARGUMENT(lrs == other, kWhere, fmt::format("{}.size()", name), std::to_string(other),
                        fmt::format("{} (the size of lrs)", lrs));
}

}  // namespace

std::string to_string(StopReason reason) {
  switch (reason) {
    case StopReason::Completed:
      return "completed";
    case StopReason::Diverged:
      return "diverged";
    case StopReason::NonFiniteLoss:
      return "non_finite_loss";
    case StopReason::Stopped:
      return "stopped";
    case StopReason::Unknown:
      return "unknown";
  }
  return "unknown";
}

StopReason stop_reason_from_string(const std::string& text) {
  for (StopReason reason : {StopReason::Completed, StopReason::Diverged, StopReason::NonFiniteLoss, StopReason::Stopped,
                            StopReason::Unknown}) {
    if (to_string(reason) == text) return reason;
  }
  throw InvalidArgument(fmt::format(
      "stop_reason_from_string: text = \"{}\", expected completed, diverged, non_finite_loss, stopped or unknown",
      text));
}

EmaSmoother::EmaSmoother(double beta) : beta_(beta) {
  AUTOLR_CHECK_ARGUMENT(beta >= 0 && beta < 1, "EmaSmoother", "beta", detail::format_double(beta), "a value in [0, 1)");
}

double EmaSmoother::update(double loss) {
  // Averaged in, a NaN or inf would make every later value non-finite too,
  // and a bad batch in the middle of a curve would hide all that follows it.
  if (!std::isfinite(loss)) return loss;
  average_ = beta_ * average_ + (1 - beta_) * loss;
  beta_power_ *= beta_;
  return average_ / (1 - beta_power_);
}

std::vector<double> ema_smooth(const std::vector<double>& losses, double beta) {
  EmaSmoother smoother(beta);
  std::vector<double> smoothed;
  smoothed.reserve(losses.size());
  for (double loss : losses) smoothed.push_back(smoother.update(loss));
  return smoothed;
}

LRCurve::LRCurve(std::vector<double> lrs, std::vector<double> losses, double beta)
    : smoothing_source_(SmoothingSource::Computed) {
  check_same_size(lrs.size(), losses.size(), "losses");
  check_learning_rates(lrs);
  smoothed_ = ema_smooth(losses, beta);  // checks beta
  lrs_ = std::move(lrs);
  losses_ = std::move(losses);
}

LRCurve::LRCurve(std::vector<double> lrs, std::vector<double> losses, std::vector<double> smoothed_losses)
    : smoothing_source_(SmoothingSource::Recorded) {
  check_same_size(lrs.size(), losses.size(), "losses");
  check_same_size(lrs.size(), smoothed_losses.size(), "smoothed_losses");
  check_learning_rates(lrs);
  lrs_ = std::move(lrs);
  losses_ = std::move(losses);
  smoothed_ = std::move(smoothed_losses);
}

void LRCurve::set_group_lrs(std::vector<std::vector<double>> group_lrs) {
  for (std::size_t g = 0; g < group_lrs.size(); ++g) {
    AUTOLR_CHECK_ARGUMENT(group_lrs[g].size() == size(), kWhere, fmt::format("group_lrs[{}].size()", g),
                          std::to_string(group_lrs[g].size()), fmt::format("{} (one LR per step)", size()));
  }
  group_lrs_ = std::move(group_lrs);
}

void LRCurve::set_planned_steps(std::size_t steps) {
  AUTOLR_CHECK_ARGUMENT(steps >= size(), kWhere, "planned_steps", std::to_string(steps),
                        fmt::format("at least the {} recorded steps", size()));
  planned_steps_ = steps;
}

LRCurve combine_curves(const LRCurve& first, const LRCurve& second) {
  AUTOLR_CHECK_ARGUMENT(!first.empty(), "combine_curves", "first", "an empty curve", "a recorded range test");
  AUTOLR_CHECK_ARGUMENT(!second.empty(), "combine_curves", "second", "an empty curve", "a recorded range test");
  const std::size_t n = std::min(first.size(), second.size());
  std::vector<double> lrs(first.lrs().begin(), first.lrs().begin() + static_cast<std::ptrdiff_t>(n)), losses(n);
  for (std::size_t i = 0; i < n; ++i) {
    const double a = first.lrs()[i], b = second.lrs()[i];
    AUTOLR_CHECK_ARGUMENT(std::abs(a - b) <= 1e-9 * a, "combine_curves", fmt::format("second.lrs[{}]", i),
                          detail::format_double(b), fmt::format("the first curve's lr at that step, {}",
                                                                detail::format_double(a)));
    losses[i] = 0.5 * (first.losses()[i] + second.losses()[i]);
  }
  LRCurve combined(std::move(lrs), std::move(losses));
  combined.set_stop_reason(first.size() <= second.size() ? first.stop_reason() : second.stop_reason());
  const auto planned = std::max(first.planned_steps().value_or(0), second.planned_steps().value_or(0));
  if (planned >= n) combined.set_planned_steps(planned);
  return combined;
}

}  // namespace autolr
