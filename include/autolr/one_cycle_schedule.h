#pragma once
/// The one-cycle schedule as plain numbers, without LibTorch: the same LR and
/// momentum as PyTorch's torch.optim.lr_scheduler.OneCycleLR at every step.
/// The LR warms up from max_lr/div_factor to max_lr over pct_start of the
/// steps, then anneals to max_lr/(div_factor*final_div_factor); the momentum
/// moves the opposite way between max_momentum and base_momentum.
/// OneCycleLR (autolr/one_cycle.h) applies it to a LibTorch optimizer.

#include <cstdint>
#include <optional>
#include <vector>

#include "autolr/arg.h"

namespace autolr {

enum class Anneal { Cos, Linear };

struct OneCycleOptions {
  /// One max LR for every param group.
  explicit OneCycleOptions(double max_lr) : max_lr_({max_lr}) {}
  /// One max LR per param group (earliest layers first).
  explicit OneCycleOptions(std::vector<double> max_lr) : max_lr_(std::move(max_lr)) {}

  /// PyTorch's defaults, written out: pct_start 0.3, cos, div 25, final_div 1e4, momentum 0.95 -> 0.85 -> 0.95.
  static OneCycleOptions pytorch(std::vector<double> max_lr) { return OneCycleOptions(std::move(max_lr)); }
  /// fastai's fit_one_cycle: pct_start 0.25, the LR ends at max_lr/1e5
  /// (final_div_factor = 1e5/div_factor = 4000), momentum 0.95 -> 0.85 -> 0.95.
  static OneCycleOptions fastai(std::vector<double> max_lr);

  AUTOLR_ARG(std::vector<double>, max_lr);
  /// Either total_steps, or epochs and steps_per_epoch.
  AUTOLR_ARG(std::optional<int64_t>, total_steps);
  AUTOLR_ARG(std::optional<int64_t>, epochs);
  AUTOLR_ARG(std::optional<int64_t>, steps_per_epoch);
  AUTOLR_ARG(double, pct_start) = 0.3;
  AUTOLR_ARG(Anneal, anneal) = Anneal::Cos;
  AUTOLR_ARG(bool, cycle_momentum) = true;
  AUTOLR_ARG(double, base_momentum) = 0.85;
  AUTOLR_ARG(double, max_momentum) = 0.95;
  AUTOLR_ARG(double, div_factor) = 25.0;
  AUTOLR_ARG(double, final_div_factor) = 1e4;
  AUTOLR_ARG(bool, three_phase) = false;
};

/// The schedule alone, without an optimizer: what the CLI prints and plots draw.
class OneCycleSchedule {
 public:
  /// Throws InvalidArgument naming the option for: no step count, total_steps,
  /// epochs or steps_per_epoch < 1, pct_start outside [0, 1], a max_lr <= 0 or
  /// not finite, max_lr with neither 1 nor `param_groups` values, div_factor or
  /// final_div_factor <= 0, momentums outside [0, 1].
  explicit OneCycleSchedule(OneCycleOptions options, std::size_t param_groups = 1);

  int64_t total_steps() const { return total_steps_; }
  std::size_t param_groups() const { return max_lrs_.size(); }
  const OneCycleOptions& options() const { return options_; }

  /// LR and momentum of `group` at `step` (0-based; step == total_steps is one
  /// past the schedule, which PyTorch still computes). Throws InvalidArgument with
  /// PyTorch's message for a larger step, and for a step in a phase of zero
  /// length (pct_start 1 gives one), where PyTorch divides by zero.
  double lr(int64_t step, std::size_t group = 0) const;
  double momentum(int64_t step, std::size_t group = 0) const;

 private:
  enum Level { Initial, Max, Min, BaseMomentum, MaxMomentum };
  struct Phase {
    double end_step;
    Level start_lr, end_lr, start_momentum, end_momentum;
  };
  double value(Level level, std::size_t group) const;
  double at(int64_t step, std::size_t group, bool momentum) const;

  OneCycleOptions options_;
  int64_t total_steps_ = 0;
  std::vector<double> max_lrs_;
  std::vector<Phase> phases_;
};

}  // namespace autolr
