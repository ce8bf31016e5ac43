#include "autolr/one_cycle_schedule.h"

#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "autolr/error.h"
#include "core/check.h"

namespace autolr {
namespace {

constexpr const char* kWhere = "OneCycleOptions";

int64_t resolve_total_steps(const OneCycleOptions& o) {
  if (o.total_steps()) {
    AUTOLR_CHECK_ARGUMENT(*o.total_steps() >= 1, kWhere, "total_steps", std::to_string(*o.total_steps()),
                          "a positive integer");
    return *o.total_steps();
  }
  AUTOLR_CHECK_ARGUMENT(o.epochs() && o.steps_per_epoch(), kWhere, "total_steps", "unset",
                        "either total_steps or (epochs and steps_per_epoch)");
  AUTOLR_CHECK_ARGUMENT(*o.epochs() >= 1, kWhere, "epochs", std::to_string(*o.epochs()), "a positive integer");
  AUTOLR_CHECK_ARGUMENT(*o.steps_per_epoch() >= 1, kWhere, "steps_per_epoch", std::to_string(*o.steps_per_epoch()),
                        "a positive integer");
  const auto steps = detail::checked_product(*o.epochs(), *o.steps_per_epoch());
  if (!steps) {
    throw InvalidArgument(fmt::format(
        "{}: epochs * steps_per_epoch = {} * {}, expected a product of at most {} (the step count is an int64_t)",
        kWhere, *o.epochs(), *o.steps_per_epoch(), std::numeric_limits<int64_t>::max()));
  }
  return *steps;
}

double anneal(Anneal strategy, double start, double end, double pct) {
  if (strategy == Anneal::Linear) return (end - start) * pct + start;
  const double cos_out = std::cos(M_PI * pct) + 1;
  return end + (start - end) / 2.0 * cos_out;
}

}  // namespace

OneCycleOptions OneCycleOptions::fastai(std::vector<double> max_lr) {
  return OneCycleOptions(std::move(max_lr)).pct_start(0.25).div_factor(25).final_div_factor(1e5 / 25);
}

OneCycleSchedule::OneCycleSchedule(OneCycleOptions options, std::size_t param_groups) : options_(std::move(options)) {
  const OneCycleOptions& o = options_;
  total_steps_ = resolve_total_steps(o);
  AUTOLR_CHECK_ARGUMENT(o.pct_start() >= 0 && o.pct_start() <= 1, kWhere, "pct_start",
                        detail::format_double(o.pct_start()), "a value in [0, 1]");
  AUTOLR_CHECK_ARGUMENT(param_groups >= 1, kWhere, "param_groups", std::to_string(param_groups), "at least 1");
  AUTOLR_CHECK_ARGUMENT(o.max_lr().size() == 1 || o.max_lr().size() == param_groups, kWhere, "max_lr.size()",
                        std::to_string(o.max_lr().size()),
                        fmt::format("1 or {} (one per param group of the optimizer)", param_groups));
  for (std::size_t g = 0; g < o.max_lr().size(); ++g) {
    AUTOLR_CHECK_ARGUMENT(std::isfinite(o.max_lr()[g]) && o.max_lr()[g] > 0, kWhere, fmt::format("max_lr[{}]", g),
                          detail::format_double(o.max_lr()[g]), "a finite value > 0");
  }
  for (const auto& [name, value] :
       {std::pair{"div_factor", o.div_factor()}, std::pair{"final_div_factor", o.final_div_factor()}}) {
    AUTOLR_CHECK_ARGUMENT(std::isfinite(value) && value > 0, kWhere, name, detail::format_double(value),
                          "a finite value > 0");
  }
  for (const auto& [name, value] :
       {std::pair{"base_momentum", o.base_momentum()}, std::pair{"max_momentum", o.max_momentum()}}) {
    AUTOLR_CHECK_ARGUMENT(value >= 0 && value <= 1, kWhere, name, detail::format_double(value), "a value in [0, 1]");
  }
  max_lrs_ = o.max_lr().size() == 1 ? std::vector<double>(param_groups, o.max_lr()[0]) : o.max_lr();

  // PyTorch's phase ends, with its float arithmetic.
  const double total = static_cast<double>(total_steps_);
  const double pct = o.pct_start();
  if (o.three_phase()) {
    phases_ = {{pct * total - 1, Initial, Max, MaxMomentum, BaseMomentum},
               {2 * pct * total - 2, Max, Initial, BaseMomentum, MaxMomentum},
               {total - 1, Initial, Min, MaxMomentum, MaxMomentum}};
  } else {
    phases_ = {{pct * total - 1, Initial, Max, MaxMomentum, BaseMomentum},
               {total - 1, Max, Min, BaseMomentum, MaxMomentum}};
  }
}

double OneCycleSchedule::value(Level level, std::size_t group) const {
  const double initial = max_lrs_[group] / options_.div_factor();
  switch (level) {
    case Initial:
      return initial;
    case Max:
      return max_lrs_[group];
    case Min:
      return initial / options_.final_div_factor();
    case BaseMomentum:
      return options_.base_momentum();
    case MaxMomentum:
      return options_.max_momentum();
  }
  return 0;
}

double OneCycleSchedule::at(int64_t step, std::size_t group, bool momentum) const {
  if (step > total_steps_) {
    throw InvalidArgument(
        fmt::format("Tried to step {} times. The specified number of total steps is {}", step + 1, total_steps_));
  }
  AUTOLR_CHECK_ARGUMENT(step >= 0, "OneCycleSchedule", "step", std::to_string(step), "a value >= 0");
  AUTOLR_CHECK_ARGUMENT(group < max_lrs_.size(), "OneCycleSchedule", "group", std::to_string(group),
                        fmt::format("less than {} param groups", max_lrs_.size()));
  double start_step = 0;
  for (std::size_t i = 0; i < phases_.size(); ++i) {
    const Phase& phase = phases_[i];
    if (static_cast<double>(step) <= phase.end_step || i + 1 == phases_.size()) {
      const double length = phase.end_step - start_step;
      if (length == 0) {
        throw InvalidArgument(fmt::format(
            "OneCycleSchedule: step {} falls in a phase of zero steps (pct_start = {}, total_steps = {}), where "
            "PyTorch divides by zero",
            step, detail::format_double(options_.pct_start()), total_steps_));
      }
      const double pct = (static_cast<double>(step) - start_step) / length;
      return momentum
                 ? anneal(options_.anneal(), value(phase.start_momentum, group), value(phase.end_momentum, group), pct)
                 : anneal(options_.anneal(), value(phase.start_lr, group), value(phase.end_lr, group), pct);
    }
    start_step = phase.end_step;
  }
  return 0;  // not reached: the last phase always answers
}

double OneCycleSchedule::lr(int64_t step, std::size_t group) const { return at(step, group, false); }

double OneCycleSchedule::momentum(int64_t step, std::size_t group) const { return at(step, group, true); }

}  // namespace autolr
