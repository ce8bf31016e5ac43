// What auto_fit tells the default suggester about the fit: the optimizer's
// family and the fit's steps, read off the Trainer as fit_one_cycle counts them.

#include "autolr/auto_fit.h"

#include <torch/torch.h>

#include <algorithm>
#include <limits>
#include <typeinfo>

#include "core/check.h"

namespace autolr {

std::optional<OptimizerFamily> optimizer_family(const torch::optim::Optimizer& optimizer) {
  // Exact types: a subclass may step differently from its base.
  const auto& type = typeid(optimizer);
  if (type == typeid(torch::optim::SGD)) {
    const auto& groups = optimizer.param_groups();
    const bool momentum = std::any_of(groups.begin(), groups.end(), [](const torch::optim::OptimizerParamGroup& g) {
      return static_cast<const torch::optim::SGDOptions&>(g.options()).momentum() != 0;
    });
    return momentum ? OptimizerFamily::Sgd : OptimizerFamily::SgdNoMomentum;
  }
  if (type == typeid(torch::optim::Adam)) return OptimizerFamily::Adam;
  if (type == typeid(torch::optim::AdamW)) return OptimizerFamily::AdamW;
  if (type == typeid(torch::optim::RMSprop)) return OptimizerFamily::RMSprop;
  if (type == typeid(torch::optim::Adagrad)) return OptimizerFamily::Adagrad;
  return std::nullopt;
}

FitFacts fit_facts(Trainer& trainer, int64_t epochs, const OneCycleOptions& schedule) {
  AUTOLR_CHECK_ARGUMENT(epochs >= 1, "fit_facts", "epochs", std::to_string(epochs), "at least 1");
  FitFacts facts;
  facts.optimizer(optimizer_family(trainer.optimizer()));
  if (schedule.total_steps()) {
    facts.fit_steps(*schedule.total_steps());
  } else if (schedule.epochs() && schedule.steps_per_epoch() &&
             *schedule.steps_per_epoch() <=
                 std::numeric_limits<int64_t>::max() / std::max<int64_t>(1, *schedule.epochs())) {
    facts.fit_steps(*schedule.epochs() * *schedule.steps_per_epoch());  // as OneCycleLR counts them
  } else if (const auto batches = trainer.train_data().size()) {
    const auto accumulation = trainer.options().accumulation_steps();
    if (*batches <= std::numeric_limits<int64_t>::max() / epochs) facts.fit_steps(epochs * *batches / accumulation);
  }
  if (facts.fit_steps() && *facts.fit_steps() < 1) facts.fit_steps(std::nullopt);
  return facts;
}

}  // namespace autolr
