// fastai's `steep`: the left end of the segment where the loss falls fastest
// per unit of ln(lr). The slope is taken against ln(lr), not the index, so it
// does not depend on how densely the range was sampled.

#include <cmath>

#include "autolr/suggest.h"
#include "core/suggest/curve_checks.h"

namespace autolr {

Suggestion suggest_steep(const std::vector<double>& lrs, const std::vector<double>& losses) {
  detail::check_points("suggest_steep", lrs, losses);
  if (auto none = detail::require_points(Method::Steep, losses.size(), 2)) return *none;

  std::size_t steepest = 0;
  double steepest_slope = 0;
  for (std::size_t i = 0; i + 1 < losses.size(); ++i) {
    const double slope = (losses[i + 1] - losses[i]) / (std::log(lrs[i + 1]) - std::log(lrs[i]));
    if (i == 0 || slope < steepest_slope) {  // strict: the first of equal slopes wins, as argmin
      steepest = i;
      steepest_slope = slope;
    }
  }
  Suggestion suggestion;
  suggestion.method = Method::Steep;
  suggestion.lr = lrs[steepest];
  suggestion.index = steepest;
  suggestion.evidence = Span{steepest, steepest + 1};
  return suggestion;
}

}  // namespace autolr
