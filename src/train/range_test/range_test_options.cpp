#include "autolr/range_test_options.h"

#include <fmt/format.h>

#include <cmath>

#include "autolr/error.h"
#include "core/check.h"

namespace autolr {
namespace {

constexpr const char* kWhere = "LRFinderOptions";

}  // namespace

void validate(const LRFinderOptions& o, std::size_t param_groups) {
  const bool per_group = !o.group_start_lrs().empty();
  if (!per_group) {
    AUTOLR_CHECK_ARGUMENT(std::isfinite(o.start_lr()) && o.start_lr() > 0, kWhere, "start_lr",
                          detail::format_double(o.start_lr()), "a finite value > 0");
  }
  AUTOLR_CHECK_ARGUMENT(std::isfinite(o.end_lr()), kWhere, "end_lr", detail::format_double(o.end_lr()),
                        "a finite value");
  if (!per_group) {
    AUTOLR_CHECK_ARGUMENT(o.end_lr() > o.start_lr(), kWhere, "end_lr", detail::format_double(o.end_lr()),
                          fmt::format("greater than start_lr = {}", detail::format_double(o.start_lr())));
  }
  AUTOLR_CHECK_ARGUMENT(o.num_iter() >= 2, kWhere, "num_iter", std::to_string(o.num_iter()), "at least 2");
  AUTOLR_CHECK_ARGUMENT(o.smoothing() >= 0 && o.smoothing() < 1, kWhere, "smoothing",
                        detail::format_double(o.smoothing()), "a value in [0, 1)");
  if (o.diverge_factor()) {
    AUTOLR_CHECK_ARGUMENT(*o.diverge_factor() > 1, kWhere, "diverge_factor", detail::format_double(*o.diverge_factor()),
                          "a value > 1, or nullopt to never stop early");
  }
  AUTOLR_CHECK_ARGUMENT(o.accumulation_steps() >= 1, kWhere, "accumulation_steps",
                        std::to_string(o.accumulation_steps()), "at least 1");
  AUTOLR_CHECK_ARGUMENT(o.readback_every() >= 0, kWhere, "readback_every", std::to_string(o.readback_every()),
                        "a value >= 0 (0: automatic)");
  AUTOLR_CHECK_ARGUMENT(param_groups >= 1, kWhere, "param_groups", std::to_string(param_groups), "at least 1");
  if (per_group) {
    AUTOLR_CHECK_ARGUMENT(o.group_start_lrs().size() == param_groups, kWhere, "group_start_lrs.size()",
                          std::to_string(o.group_start_lrs().size()),
                          fmt::format("{} (one per param group of the optimizer)", param_groups));
    for (std::size_t g = 0; g < param_groups; ++g) {
      const double lr = o.group_start_lrs()[g];
      AUTOLR_CHECK_ARGUMENT(std::isfinite(lr) && lr > 0 && lr < o.end_lr(), kWhere,
                            fmt::format("group_start_lrs[{}]", g), detail::format_double(lr),
                            fmt::format("a finite value > 0 and below end_lr = {}", detail::format_double(o.end_lr())));
    }
  }
}

std::vector<double> range_test_lrs(const LRFinderOptions& o, std::size_t param_groups, int64_t step) {
  const bool per_group = !o.group_start_lrs().empty();
  const double start = per_group ? o.group_start_lrs().back() : o.start_lr();
  const double end = o.end_lr();
  const int64_t last = o.num_iter() - 1;
  const double t = static_cast<double>(step) / static_cast<double>(last);
  // The reference (last) group; exactly end_lr on the last step, whatever the rounding.
  double lr = step >= last                         ? end
              : o.mode() == RangeMode::Exponential ? start * std::pow(end / start, t)
                                                   : start + (end - start) * t;
  std::vector<double> lrs(param_groups, lr);
  if (per_group) {
    for (std::size_t g = 0; g + 1 < param_groups; ++g) lrs[g] = lr * (o.group_start_lrs()[g] / start);
  }
  return lrs;
}

}  // namespace autolr
