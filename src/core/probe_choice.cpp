#include "autolr/probe_choice.h"

#include <algorithm>
#include <cmath>

#include "core/check.h"
#include "core/printable.h"

namespace autolr {

std::optional<double> probe_choice(const std::vector<ProbeFit>& fits, double horizon_correction) {
  AUTOLR_CHECK_ARGUMENT(std::isfinite(horizon_correction), "probe_choice", "horizon_correction",
                        detail::format_double(horizon_correction), "a finite number of decades");
  std::vector<const ProbeFit*> sorted;
  for (const ProbeFit& f : fits) sorted.push_back(&f);
  std::sort(sorted.begin(), sorted.end(), [](const ProbeFit* a, const ProbeFit* b) { return a->offset < b->offset; });
  std::size_t best = sorted.size();
  const auto candidate = [&](std::size_t i) { return !sorted[i]->diverged && std::isfinite(sorted[i]->loss); };
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    if (candidate(i) && (best == sorted.size() || sorted[i]->loss < sorted[best]->loss)) best = i;
  }
  if (best == sorted.size()) return std::nullopt;
  double offset = sorted[best]->offset;
  if (best > 0 && best + 1 < sorted.size() && candidate(best - 1) && candidate(best + 1)) {
    // The vertex of the parabola through the three points: the middle is the
    // lowest, so it is a minimum between the neighbours.
    const double x0 = sorted[best - 1]->offset, x1 = offset, x2 = sorted[best + 1]->offset;
    const double y0 = sorted[best - 1]->loss, y1 = sorted[best]->loss, y2 = sorted[best + 1]->loss;
    const double numerator = (x1 - x0) * (x1 - x0) * (y1 - y2) - (x1 - x2) * (x1 - x2) * (y1 - y0);
    const double denominator = (x1 - x0) * (y1 - y2) - (x1 - x2) * (y1 - y0);
    if (denominator != 0) offset = std::clamp(x1 - 0.5 * numerator / denominator, x0, x2);
  }
  return offset + horizon_correction;
}

}  // namespace autolr
