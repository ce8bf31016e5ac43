// fastai's `valley` (the default of lr_find): find the longest strictly
// decreasing subsequence of the loss, and pick a point a third plus a sixth of
// the way into it. fastai finds the subsequence in O(n^2); patience sorting
// finds the same lengths in O(n log n), which matters for long curves.

#include <fmt/format.h>

#include <algorithm>

#include "autolr/suggest.h"
#include "core/suggest/curve_checks.h"

namespace autolr {
namespace {

// lengths[i] = length of the longest strictly decreasing subsequence ending at i.
std::vector<std::size_t> decreasing_run_lengths(const std::vector<double>& losses) {
  // Decreasing in loss is increasing in -loss; tails[k] is the smallest last
  // value (in -loss) of an increasing subsequence of length k + 1.
  std::vector<double> tails;
  std::vector<std::size_t> lengths(losses.size());
  for (std::size_t i = 0; i < losses.size(); ++i) {
    const double value = -losses[i];
    const auto slot = std::lower_bound(tails.begin(), tails.end(), value);  // strict: equal values do not extend
    lengths[i] = static_cast<std::size_t>(slot - tails.begin()) + 1;
    if (slot == tails.end()) {
      tails.push_back(value);
    } else {
      *slot = value;
    }
  }
  return lengths;
}

}  // namespace

Suggestion suggest_valley(const std::vector<double>& lrs, const std::vector<double>& losses) {
  detail::check_points("suggest_valley", lrs, losses);
  if (auto none = detail::require_points(Method::Valley, losses.size(), 1)) return *none;
  const auto n = static_cast<long>(losses.size());

  const auto lengths = decreasing_run_lengths(losses);
  // fastai keeps the first end with the greatest length, and starts the valley
  // `length` points before its end (one before the run's first point).
  const auto longest = std::max_element(lengths.begin(), lengths.end());
  const auto max_end = static_cast<long>(longest - lengths.begin());
  const auto length = static_cast<long>(*longest);
  // fastai starts with max_start = max_end = 0 and only moves them when a
  // longer run appears, so a curve with no decrease keeps both at 0.
  const long max_start = length > 1 ? max_end - length : 0;

  const double sections = static_cast<double>(max_end - max_start) / 3;
  long index = max_start + static_cast<long>(sections) + static_cast<long>(sections / 2);

  Suggestion suggestion;
  suggestion.method = Method::Valley;
  if (index < 0) {
    // Only for a run of two points starting at 0: index -1, which Python
    // reads as the last point. Reproduced, and said.
    index += n;
    suggestion.warnings.push_back(
        {WarningKind::IndexWrapped,
         fmt::format("valley's index arithmetic gave -1 on a descending run of {} points, which fastai reads as "
                     "the last point (lr {:.3g}); the curve is too short for valley",
                     length, lrs[static_cast<std::size_t>(index)])});
  }
  const auto at = static_cast<std::size_t>(index);
  suggestion.lr = lrs[at];
  suggestion.index = at;
  suggestion.evidence = Span{static_cast<std::size_t>(max_end - length + 1), static_cast<std::size_t>(max_end)};
  return suggestion;
}

}  // namespace autolr
