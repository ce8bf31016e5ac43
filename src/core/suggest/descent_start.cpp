// Where the loss starts to fall: the lower end lo of a discriminative
// slice(lo, hi), for the earliest layer group. The first point that is 10% of
// the way down from the first loss to the lowest one: early enough to be the
// start of the descent, late enough that noise at the plateau does not count.

#include <algorithm>

#include "autolr/suggest.h"
#include "core/suggest/curve_checks.h"

namespace autolr {

Suggestion suggest_descent_start(const std::vector<double>& lrs, const std::vector<double>& losses) {
  detail::check_points("suggest_descent_start", lrs, losses);
  if (auto none = detail::require_points(Method::DescentStart, losses.size(), 2)) return *none;
  const auto lowest = std::min_element(losses.begin(), losses.end());
  const double start = losses.front();
  if (!(*lowest < start)) {
    return detail::no_answer(Method::DescentStart, WarningKind::NoAnswer,
                             "the loss never falls below its first value, so there is no descent to start");
  }
  const double threshold = start - 0.1 * (start - *lowest);
  const auto first = std::find_if(losses.begin(), lowest + 1, [&](double loss) { return loss <= threshold; });
  const auto at = static_cast<std::size_t>(first - losses.begin());
  Suggestion suggestion;
  suggestion.method = Method::DescentStart;
  suggestion.lr = lrs[at];
  suggestion.index = at;
  suggestion.evidence = Span{at, static_cast<std::size_t>(lowest - losses.begin())};
  return suggestion;
}

}  // namespace autolr
