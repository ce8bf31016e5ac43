// autolr's own suggester, designed on the design half of bench/quality (see
// bench/quality/results.md):
//  1. smooth the raw losses without lag: a centred moving average over
//     +-window_decades of LR, applied twice (a triangular kernel), so the
//     window means the same thing whatever num_iter was;
//  2. find where the smoothed loss climbs back above its starting level after
//     its lowest point: the blow-up, where every gain of the descent is lost;
//  3. answer some decades below it: how many depends on what the fit knows
//     (auto_decades_below_blowup), one without any facts.
// The blow-up is a sharper landmark than the minimum, whose position on a flat
// valley floor is a matter of noise. A curve that never climbs back (the
// range ended too early) gets the range's last LR, a lower bound, and half
// the confidence. An answer among the curve's first points has confidence 0:
// the curve did not show a descent before it. Below min_confidence there is
// no answer (a LowConfidence warning), so nobody trains with a guess.

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "autolr/suggest.h"
#include "core/check.h"
#include "core/suggest/curve_checks.h"

namespace autolr {
namespace {

// An answer among these first points is not read from a descent.
constexpr std::size_t kFirstPoints = 5;

void check_fit_facts(const char* where, const FitFacts& fit) {
  if (const auto steps = fit.fit_steps()) {
    AUTOLR_CHECK_ARGUMENT(*steps >= 1, where, "fit_steps", std::to_string(*steps), "at least 1");
  }
}

// Mean of the values whose x lies within +-half_width of each x (x sorted), in O(n).
std::vector<double> centred_mean(const std::vector<double>& x, const std::vector<double>& values, double half_width) {
  const std::size_t n = x.size();
  std::vector<double> prefix(n + 1, 0.0);
  for (std::size_t i = 0; i < n; ++i) prefix[i + 1] = prefix[i] + values[i];
  std::vector<double> out(n);
  std::size_t lo = 0, hi = 0;
  for (std::size_t i = 0; i < n; ++i) {
    while (x[lo] < x[i] - half_width) ++lo;
    while (hi < n && x[hi] <= x[i] + half_width) ++hi;
    out[i] = (prefix[hi] - prefix[lo]) / static_cast<double>(hi - lo);
  }
  return out;
}

}  // namespace

std::vector<double> smooth_in_log_lr(const std::vector<double>& lrs, const std::vector<double>& losses,
                                     double window_decades) {
  std::vector<double> x(lrs.size());
  std::transform(lrs.begin(), lrs.end(), x.begin(), [](double lr) { return std::log10(lr); });
  return centred_mean(x, centred_mean(x, losses, window_decades), window_decades);
}

Suggestion suggest_auto(const std::vector<double>& lrs, const std::vector<double>& losses,
                        const AutoSuggestOptions& options) {
  constexpr const char* kWhere = "suggest_auto";
  AUTOLR_CHECK_ARGUMENT(options.window_decades() > 0 && std::isfinite(options.window_decades()), kWhere,
                        "window_decades", detail::format_double(options.window_decades()), "a finite value > 0");
  if (const auto below = options.decades_below_blowup()) {
    AUTOLR_CHECK_ARGUMENT(*below >= 0 && std::isfinite(*below), kWhere, "decades_below_blowup",
                          detail::format_double(*below), "a finite value >= 0");
  }
  AUTOLR_CHECK_ARGUMENT(options.min_confidence() >= 0 && options.min_confidence() <= 1, kWhere, "min_confidence",
                        detail::format_double(options.min_confidence()), "a value from 0 to 1");
  check_fit_facts(kWhere, options.fit());
  detail::check_points(kWhere, lrs, losses);
  if (auto none = detail::require_points(Method::Auto, losses.size(), 5)) return *none;

  const std::vector<double> smooth = smooth_in_log_lr(lrs, losses, options.window_decades());
  const std::size_t lowest = static_cast<std::size_t>(std::min_element(smooth.begin(), smooth.end()) - smooth.begin());
  const double start = smooth.front(), drop = start - smooth[lowest];
  const auto climb = std::find_if(smooth.begin() + static_cast<std::ptrdiff_t>(lowest), smooth.end(),
                                  [&](double value) { return value > start; });

  Suggestion suggestion;
  suggestion.method = Method::Auto;
  // Confidence: how far the loss fell compared with the noise around the
  // smoothed curve (10 sigma or more: 1), halved without a blow-up. The noise
  // is measured on the descent, up to the lowest point (at least 5 points):
  // past it, the blow-up outruns any smoothing, and its misfit is no noise.
  const std::size_t descent = std::min(losses.size(), std::max<std::size_t>(lowest + 1, 5));
  double residual = 0;
  for (std::size_t i = 0; i < descent; ++i) residual += (losses[i] - smooth[i]) * (losses[i] - smooth[i]);
  const double sigma = std::sqrt(residual / static_cast<double>(descent));
  double confidence = sigma > 0 ? std::min(1.0, std::max(0.0, drop) / (10 * sigma)) : (drop > 0 ? 1.0 : 0.0);

  if (climb == smooth.end()) {
    const std::size_t last = lrs.size() - 1;
    suggestion.lr = lrs[last];
    suggestion.index = last;
    suggestion.evidence = Span{lowest, last};
    confidence *= 0.5;
  } else {
    const auto blowup = static_cast<std::size_t>(climb - smooth.begin());
    const double below = options.decades_below_blowup().value_or(auto_decades_below_blowup(options.fit()));
    const double lr = lrs[blowup] * std::pow(10.0, -below);
    // The point at or just below the answer; the first point if the answer lies below the curve.
    const auto above = std::upper_bound(lrs.begin(), lrs.end(), lr);
    const std::size_t index = above == lrs.begin() ? 0 : static_cast<std::size_t>(above - lrs.begin()) - 1;
    suggestion.lr = lr;
    suggestion.index = index;
    suggestion.evidence = Span{std::min(index, lowest), blowup};
    if (index < kFirstPoints) confidence = 0;
  }
  suggestion.confidence = confidence;
  if (confidence < options.min_confidence()) {
    suggestion.warnings.push_back(
        Warning{WarningKind::LowConfidence,
                fmt::format("auto: confidence {:.3f} is below min_confidence {:g}{}: no answer", confidence,
                            options.min_confidence(),
                            suggestion.index && *suggestion.index < kFirstPoints
                                ? fmt::format(" (the answer, {}, lies among the curve's first {} points)",
                                              detail::format_double(*suggestion.lr), kFirstPoints)
                                : "")});
    suggestion.lr.reset();
    suggestion.index.reset();
  }
  return suggestion;
}

}  // namespace autolr
