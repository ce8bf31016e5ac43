#pragma once
/// One-cycle scheduling for LibTorch optimizers, the same as PyTorch's
/// OneCycleLR at every step (the schedule itself is in one_cycle_schedule.h).
/// Momentum means SGD's and RMSprop's momentum and Adam's and AdamW's beta1.

#include <torch/optim/optimizer.h>
#include <torch/optim/schedulers/lr_scheduler.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "autolr/arg.h"
#include "autolr/callback.h"
#include "autolr/one_cycle_schedule.h"
#include "autolr/trainer.h"

namespace autolr {

/// PyTorch's OneCycleLR as a LibTorch scheduler: construct it (which sets
/// step 0's LR and momentum, as PyTorch does), then call step() after every
/// optimizer.step(). At most total_steps calls, as in PyTorch.
class OneCycleLR : public torch::optim::LRScheduler {
 public:
  /// Throws InvalidArgument as OneCycleSchedule, and, with cycle_momentum, for
  /// an optimizer without momentum or betas (Adagrad), with PyTorch's message.
  OneCycleLR(torch::optim::Optimizer& optimizer, OneCycleOptions options);

  /// Steps taken so far (0 after construction).
  int64_t step_index() const { return step_index_; }
  const OneCycleSchedule& schedule() const { return schedule_; }

 protected:
  std::vector<double> get_lrs() override;

 private:
  void set_momentums(int64_t step);

  torch::optim::Optimizer& optimizer_;
  OneCycleSchedule schedule_;
  int64_t step_index_ = 0;
};

/// Whether the optimizer's groups have a momentum (SGD, RMSprop) or betas (Adam, AdamW).
bool supports_momentum(const torch::optim::Optimizer& optimizer);
/// Sets SGD's/RMSprop's momentum or Adam's/AdamW's beta1 of one group.
/// Throws InvalidArgument for other optimizers.
void set_momentum(torch::optim::OptimizerParamGroup& group, double momentum);
/// Reads it back.
double get_momentum(const torch::optim::OptimizerParamGroup& group);

/// Steps a OneCycleLR after every optimizer step of a fit.
class OneCycle : public Callback {
 public:
  explicit OneCycle(OneCycleOptions options) : options_(std::move(options)) {}
  void on_fit_begin(FitContext& context) override;
  void on_after_step(FitContext& context) override;
  void on_fit_end(FitContext& context) override;

 private:
  OneCycleOptions options_;
  std::unique_ptr<OneCycleLR> scheduler_;
};

/// Trains `epochs` epochs under a one-cycle schedule (OneCycleLR stepped
/// after every optimizer step). The step count comes from `options` when it
/// has one, else from the training data's size() and the accumulation.
/// Returns the options with the step count it used.
/// Throws InvalidArgument when neither says how many steps there are, and as OneCycleLR.
OneCycleOptions fit_one_cycle(Trainer& trainer, int64_t epochs, OneCycleOptions options);
/// The same with PyTorch's defaults and one max LR for every group.
inline OneCycleOptions fit_one_cycle(Trainer& trainer, int64_t epochs, double max_lr) {
  return fit_one_cycle(trainer, epochs, OneCycleOptions(max_lr));
}

}  // namespace autolr
