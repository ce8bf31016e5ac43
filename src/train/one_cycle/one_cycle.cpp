#include "autolr/one_cycle.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <cmath>
#include <limits>

#include "autolr/error.h"
#include "autolr/optim.h"
#include "core/check.h"

namespace autolr {

namespace {

constexpr const char* kNoMomentum =
    "the optimizer has neither momentum nor betas (SGD, RMSprop, Adam, AdamW and Prodigy do)";

// The one place that knows where each optimizer keeps what one cycle cycles:
// SGD's and RMSprop's momentum, Adam's, AdamW's and Prodigy's beta1. Null for
// others (Schedule-Free's beta1 is its averaging, not a momentum to cycle).
double* momentum_of(torch::optim::OptimizerOptions& options) {
  if (auto* sgd = dynamic_cast<torch::optim::SGDOptions*>(&options)) return &sgd->momentum();
  if (auto* rms = dynamic_cast<torch::optim::RMSpropOptions*>(&options)) return &rms->momentum();
  if (auto* adam = dynamic_cast<torch::optim::AdamOptions*>(&options)) return &std::get<0>(adam->betas());
  if (auto* adamw = dynamic_cast<torch::optim::AdamWOptions*>(&options)) return &std::get<0>(adamw->betas());
  if (auto* prodigy = dynamic_cast<optim::ProdigyOptions*>(&options)) return &std::get<0>(prodigy->betas());
  return nullptr;
}

// Reads only: the accessor is shared with the writers above.
const double* momentum_of(const torch::optim::OptimizerParamGroup& group) {
  return momentum_of(const_cast<torch::optim::OptimizerOptions&>(group.options()));
}

}  // namespace

bool supports_momentum(const torch::optim::Optimizer& optimizer) {
  for (const auto& group : optimizer.param_groups()) {
    if (!momentum_of(group)) return false;
  }
  return true;
}

void set_momentum(torch::optim::OptimizerParamGroup& group, double momentum) {
  double* slot = momentum_of(group.options());
  if (!slot) throw InvalidArgument(fmt::format("set_momentum: {}", kNoMomentum));
  *slot = momentum;
}

double get_momentum(const torch::optim::OptimizerParamGroup& group) {
  const double* slot = momentum_of(group);
  if (!slot) throw InvalidArgument(fmt::format("get_momentum: {}", kNoMomentum));
  return *slot;
}

OneCycleLR::OneCycleLR(torch::optim::Optimizer& optimizer, OneCycleOptions options)
    : torch::optim::LRScheduler(optimizer),
      optimizer_(optimizer),
      schedule_(std::move(options), optimizer.param_groups().size()) {
  if (schedule_.options().cycle_momentum() && !supports_momentum(optimizer)) {
    throw InvalidArgument(
        "OneCycleLR: optimizer must support momentum with `cycle_momentum` option enabled (SGD, RMSprop, Adam and "
        "AdamW do; for Adagrad set cycle_momentum(false))");
  }
  // PyTorch's constructor takes the first step itself: step 0's values apply now.
  for (std::size_t g = 0; g < optimizer_.param_groups().size(); ++g) {
    optimizer_.param_groups()[g].options().set_lr(schedule_.lr(0, g));
  }
  set_momentums(0);
}

void OneCycleLR::set_momentums(int64_t step) {
  if (!schedule_.options().cycle_momentum()) return;
  for (std::size_t g = 0; g < optimizer_.param_groups().size(); ++g) {
    set_momentum(optimizer_.param_groups()[g], schedule_.momentum(step, g));
  }
}

std::vector<double> OneCycleLR::get_lrs() {
  const int64_t next = step_index_ + 1;
  std::vector<double> lrs;
  for (std::size_t g = 0; g < optimizer_.param_groups().size(); ++g) lrs.push_back(schedule_.lr(next, g));
  set_momentums(next);  // after the LRs: a step past the end throws before anything changes
  step_index_ = next;
  return lrs;
}

void OneCycle::on_fit_begin(FitContext& context) {
  scheduler_ = std::make_unique<OneCycleLR>(context.optimizer, options_);
}

void OneCycle::on_after_step(FitContext&) { scheduler_->step(); }

void OneCycle::on_fit_end(FitContext&) { scheduler_.reset(); }

OneCycleOptions fit_one_cycle(Trainer& trainer, int64_t epochs, OneCycleOptions options) {
  AUTOLR_CHECK_ARGUMENT(epochs >= 1, "fit_one_cycle", "epochs", std::to_string(epochs), "at least 1");
  if (!options.total_steps() && !(options.epochs() && options.steps_per_epoch())) {
    const auto batches = trainer.train_data().size();
    AUTOLR_CHECK_ARGUMENT(batches.has_value(), "fit_one_cycle", "options.total_steps", "unset",
                          "a step count: this training data does not say how many batches it has");
    // Accumulation carries over epochs, so count the fit's optimizer steps as a whole.
    const auto batches_in_fit = detail::checked_product(epochs, *batches);
    AUTOLR_CHECK_ARGUMENT(batches_in_fit.has_value(), "fit_one_cycle", "epochs", std::to_string(epochs),
                          fmt::format("at most {} (epochs * {} batches must fit in an int64_t)",
                                      std::numeric_limits<int64_t>::max() / *batches, *batches));
    options.total_steps(*batches_in_fit / trainer.options().accumulation_steps());
  }
  OneCycle one_cycle(options);
  trainer.fit(epochs, {&one_cycle});
  return options;
}

}  // namespace autolr
