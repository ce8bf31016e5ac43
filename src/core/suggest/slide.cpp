// The interval slide rule, in fastai's and in the original forum version.
// A window of lr_diff points slides from the right end of the curve to the
// left over the loss gradient (per index, numpy.gradient) until the gradients
// at its two ends differ by no more than the threshold; the LR at the left end
// of the last window that still differed is the answer. The two versions
// differ only when no window differs: fastai then answers the first window's
// left end, the forum code had no answer (it crashed).

#include <fmt/format.h>

#include <cmath>

#include "autolr/error.h"
#include "autolr/suggest.h"
#include "core/check.h"
#include "core/suggest/curve_checks.h"

namespace autolr {
namespace {

struct WindowWalk {
  std::optional<std::size_t> last_differing_left;  // left end of the last window over the threshold
  bool ran_off_the_left_end = false;               // every window differed
};

// Requires gradient.size() > lr_diff >= 1.
WindowWalk slide_window(const std::vector<double>& gradient, std::size_t lr_diff, double threshold) {
  WindowWalk walk;
  std::size_t right = gradient.size() - 1;
  for (std::size_t left = right - lr_diff;; --left, --right) {
    if (!(std::abs(gradient[right] - gradient[left]) > threshold)) return walk;
    walk.last_differing_left = left;
    if (left == 0) break;
  }
  walk.ran_off_the_left_end = true;
  return walk;
}

struct RuleSettings {
  Method method;
  const char* where;
  const char* threshold_name;
  std::size_t lr_diff;
  double threshold;
  double adjust_value;
};

void check_settings(const RuleSettings& rule) {
  AUTOLR_CHECK_ARGUMENT(rule.lr_diff >= 1, rule.where, "lr_diff", std::to_string(rule.lr_diff), "at least 1 point");
  AUTOLR_CHECK_ARGUMENT(rule.threshold >= 0, rule.where, rule.threshold_name, detail::format_double(rule.threshold),
                        "a value >= 0");
  AUTOLR_CHECK_ARGUMENT(rule.adjust_value > 0 && rule.adjust_value <= kMaxAdjustValue, rule.where, "adjust_value",
                        detail::format_double(rule.adjust_value), kAdjustValueExpectation);
}

Suggestion slide_rule(const std::vector<double>& lrs, const std::vector<double>& losses, const RuleSettings& rule,
                      bool answer_when_first_window_meets) {
  check_settings(rule);
  detail::check_points(rule.where, lrs, losses);
  if (auto none = detail::require_points(rule.method, losses.size(), rule.lr_diff + 1)) return *none;

  const auto gradient = detail::index_gradient(losses);
  const WindowWalk walk = slide_window(gradient, rule.lr_diff, rule.threshold);

  Suggestion suggestion;
  suggestion.method = rule.method;
  std::size_t left = 0;
  if (walk.last_differing_left) {
    left = *walk.last_differing_left;
  } else if (answer_when_first_window_meets) {
    left = losses.size() - 1 - rule.lr_diff;
    suggestion.warnings.push_back(
        {WarningKind::FirstWindowMet,
         fmt::format("the first window (the last {} points) already has gradients within {} = {}; the answer is "
                     "its left end, not a point found by sliding",
                     rule.lr_diff + 1, rule.threshold_name, detail::format_double(rule.threshold))});
  } else {
    return detail::no_answer(
        rule.method, WarningKind::NoAnswer,
        fmt::format("the first window (the last {} points) already has gradients within {} = {}, so the rule has "
                    "no answer; lower {} or lr_diff",
                    rule.lr_diff + 1, rule.threshold_name, detail::format_double(rule.threshold), rule.threshold_name));
  }
  if (walk.ran_off_the_left_end) {
    suggestion.warnings.push_back(
        {WarningKind::NoWindowMet,
         fmt::format("no window of {} points had gradients within {} = {}; the answer is the first point, so the "
                     "threshold is too small for this loss scale",
                     rule.lr_diff, rule.threshold_name, detail::format_double(rule.threshold))});
  }
  // Differences of two central differences carry about sigma of noise.
  const double sigma = detail::noise_sigma(losses);
  if (sigma > rule.threshold) {
    suggestion.warnings.push_back(
        {WarningKind::NoisyCurve,
         fmt::format("the gradient noise (about {:.3g}) exceeds {} = {}: the window stops where the noise happens "
                     "to be small",
                     sigma, rule.threshold_name, detail::format_double(rule.threshold))});
  }
  suggestion.lr = lrs[left] * rule.adjust_value;
  suggestion.index = left;
  suggestion.evidence = Span{left, left + rule.lr_diff};
  return suggestion;
}

}  // namespace

Suggestion suggest_slide(const std::vector<double>& lrs, const std::vector<double>& losses,
                         const SlideOptions& options) {
  return slide_rule(
      lrs, losses,
      {Method::Slide, "suggest_slide", "threshold", options.lr_diff(), options.threshold(), options.adjust_value()},
      /*answer_when_first_window_meets=*/true);
}

Suggestion suggest_slide_forum(const std::vector<double>& lrs, const std::vector<double>& losses,
                               const SlideForumOptions& options) {
  return slide_rule(lrs, losses,
                    {Method::SlideForum, "suggest_slide_forum", "loss_threshold", options.lr_diff(),
                     options.loss_threshold(), options.adjust_value()},
                    /*answer_when_first_window_meets=*/false);
}

}  // namespace autolr
