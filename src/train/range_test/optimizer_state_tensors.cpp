#include "train/range_test/optimizer_state_tensors.h"

#include <torch/torch.h>

#include <typeinfo>

#include "autolr/optim.h"

namespace autolr::detail {
namespace {

template <typename T>
bool is(const torch::optim::Optimizer& optimizer) {
  return typeid(optimizer) == typeid(T);
}

template <typename T>
T* exactly(torch::optim::OptimizerParamState& state) {
  return typeid(state) == typeid(T) ? static_cast<T*>(&state) : nullptr;
}

}  // namespace

bool has_known_state(const torch::optim::Optimizer& o) {
  using namespace torch::optim;
  return is<SGD>(o) || is<Adam>(o) || is<AdamW>(o) || is<Adagrad>(o) || is<RMSprop>(o) ||
         is<optim::ScheduleFreeAdamW>(o) || is<optim::ScheduleFreeSGD>(o) || is<optim::Prodigy>(o);
}

// The fields are those of LibTorch 1.13's and 2.x's headers (the same in both).
bool visit_state_tensors(torch::optim::OptimizerParamState& state, const std::function<void(torch::Tensor&)>& visit) {
  using namespace torch::optim;
  if (auto* s = exactly<SGDParamState>(state)) {
    visit(s->momentum_buffer());
  } else if (auto* s = exactly<AdamParamState>(state)) {
    visit(s->exp_avg());
    visit(s->exp_avg_sq());
    visit(s->max_exp_avg_sq());
  } else if (auto* s = exactly<AdamWParamState>(state)) {
    visit(s->exp_avg());
    visit(s->exp_avg_sq());
    visit(s->max_exp_avg_sq());
  } else if (auto* s = exactly<AdagradParamState>(state)) {
    visit(s->sum());
  } else if (auto* s = exactly<RMSpropParamState>(state)) {
    visit(s->square_avg());
    visit(s->momentum_buffer());
    visit(s->grad_avg());
  } else if (auto* s = exactly<optim::ScheduleFreeAdamWParamState>(state)) {
    visit(s->z());
    visit(s->exp_avg_sq());
    visit(s->saved_y());
  } else if (auto* s = exactly<optim::ScheduleFreeSGDParamState>(state)) {
    visit(s->z());
    visit(s->saved_y());
  } else if (auto* s = exactly<optim::ProdigyParamState>(state)) {
    visit(s->s());
    visit(s->p0());
    visit(s->exp_avg());
    visit(s->exp_avg_sq());
  } else {
    return false;
  }
  return true;
}

}  // namespace autolr::detail
