#include "autolr/one_cycle.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <cmath>

#include "autolr/error.h"
#include "check.h"

namespace autolr {

bool supports_momentum(const torch::optim::Optimizer& optimizer) {
  for (const auto& group : optimizer.param_groups()) {
    const auto* options = &group.options();
    if (!dynamic_cast<const torch::optim::SGDOptions*>(options) &&
        !dynamic_cast<const torch::optim::RMSpropOptions*>(options) &&
        !dynamic_cast<const torch::optim::AdamOptions*>(options) &&
        !dynamic_cast<const torch::optim::AdamWOptions*>(options)) {
      return false;
    }
  }
  return true;
}

void set_momentum(torch::optim::OptimizerParamGroup& group, double momentum) {
  auto* options = &group.options();
  if (auto* sgd = dynamic_cast<torch::optim::SGDOptions*>(options)) {
    sgd->momentum(momentum);
  } else if (auto* rms = dynamic_cast<torch::optim::RMSpropOptions*>(options)) {
    rms->momentum(momentum);
  } else if (auto* adam = dynamic_cast<torch::optim::AdamOptions*>(options)) {
    adam->betas(std::make_tuple(momentum, std::get<1>(adam->betas())));
  } else if (auto* adamw = dynamic_cast<torch::optim::AdamWOptions*>(options)) {
    adamw->betas(std::make_tuple(momentum, std::get<1>(adamw->betas())));
  } else {
    throw InvalidArgument(
        "set_momentum: the optimizer has neither momentum nor betas (SGD, RMSprop, Adam and AdamW do)");
  }
}

double get_momentum(const torch::optim::OptimizerParamGroup& group) {
  const auto* options = &group.options();
  if (const auto* sgd = dynamic_cast<const torch::optim::SGDOptions*>(options)) return sgd->momentum();
  if (const auto* rms = dynamic_cast<const torch::optim::RMSpropOptions*>(options)) return rms->momentum();
  if (const auto* adam = dynamic_cast<const torch::optim::AdamOptions*>(options)) return std::get<0>(adam->betas());
  if (const auto* adamw = dynamic_cast<const torch::optim::AdamWOptions*>(options)) return std::get<0>(adamw->betas());
  throw InvalidArgument("get_momentum: the optimizer has neither momentum nor betas (SGD, RMSprop, Adam and AdamW do)");
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

}  // namespace autolr
