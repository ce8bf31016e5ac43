// fastai's `minimum`: one tenth of the LR at the lowest loss. A tenth because
// at the minimum the loss is about to blow up; an order of magnitude lower is
// still on the descent.

#include <algorithm>

#include "autolr/suggest.h"
#include "core/suggest/curve_checks.h"

namespace autolr {

Suggestion suggest_minimum(const std::vector<double>& lrs, const std::vector<double>& losses) {
  detail::check_points("suggest_minimum", lrs, losses);
  if (auto none = detail::require_points(Method::Minimum, losses.size(), 1)) return *none;

  // min_element returns the first of equal minima, as argmin does.
  const auto at = static_cast<std::size_t>(std::min_element(losses.begin(), losses.end()) - losses.begin());
  Suggestion suggestion;
  suggestion.method = Method::Minimum;
  suggestion.lr = lrs[at] / 10;
  suggestion.index = at;
  suggestion.evidence = Span{at, at};
  return suggestion;
}

}  // namespace autolr
