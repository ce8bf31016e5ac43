// Schedule-Free AdamW and SGD, written from schedulefree 1.4.1's
// AdamWScheduleFree and SGDScheduleFree (their per-tensor and foreach paths
// compute the same thing): every scalar is computed in double in the
// reference's order, and every tensor operation is the one the reference
// applies, so the results agree to the last bit on the same LibTorch.

#include "autolr/optim.h"

#include <fmt/format.h>
#include <torch/optim/serialize.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>

#include "autolr/error.h"
#include "core/check.h"
#include "train/optim/optim_support.h"

namespace autolr::optim {

namespace {

using torch::optim::OptimizerParamGroup;

bool same_tensor(const torch::Tensor& a, const torch::Tensor& b) {
  if (a.defined() != b.defined()) return false;
  return !a.defined() || torch::equal(a, b);
}

double beta1_of(const ScheduleFreeAdamWOptions& options) { return std::get<0>(options.betas()); }
double beta1_of(const ScheduleFreeSGDOptions& options) { return options.momentum(); }

// The checks both options share; `where` names the options in the message.
template <typename Options>
void check_common(const Options& o, const std::string& where) {
  using detail::finite;
  using detail::text;
  AUTOLR_CHECK_ARGUMENT(finite(o.lr()) && o.lr() >= 0, where, "lr", text(o.lr()), "a finite value >= 0");
  AUTOLR_CHECK_ARGUMENT(finite(o.weight_decay()) && o.weight_decay() >= 0, where, "weight_decay",
                        text(o.weight_decay()), "a finite value >= 0");
  AUTOLR_CHECK_ARGUMENT(o.warmup_steps() >= 0, where, "warmup_steps", text(o.warmup_steps()), "a count >= 0");
  AUTOLR_CHECK_ARGUMENT(finite(o.r()) && o.r() >= 0, where, "r", text(o.r()), "a finite value >= 0");
  AUTOLR_CHECK_ARGUMENT(finite(o.weight_lr_power()) && o.weight_lr_power() >= 0, where, "weight_lr_power",
                        text(o.weight_lr_power()), "a finite value >= 0");
  AUTOLR_CHECK_ARGUMENT(o.k() >= 0, where, "k", text(o.k()), "a step count >= 0");
  AUTOLR_CHECK_ARGUMENT(finite(o.weight_sum()) && o.weight_sum() >= 0, where, "weight_sum", text(o.weight_sum()),
                        "a finite value >= 0");
  AUTOLR_CHECK_ARGUMENT(finite(o.lr_max()) && o.lr_max() >= -1, where, "lr_max", text(o.lr_max()),
                        "a finite value >= -1");
}

void check(const ScheduleFreeAdamWOptions& o, const std::string& where) {
  using detail::finite;
  using detail::text;
  const auto [beta1, beta2] = o.betas();
  AUTOLR_CHECK_ARGUMENT(beta1 > 0 && beta1 < 1, where, "betas[0]", text(beta1), "a value in (0, 1)");
  AUTOLR_CHECK_ARGUMENT(beta2 >= 0 && beta2 < 1, where, "betas[1]", text(beta2), "a value in [0, 1)");
  AUTOLR_CHECK_ARGUMENT(finite(o.eps()) && o.eps() >= 0, where, "eps", text(o.eps()), "a finite value >= 0");
  check_common(o, where);
}

void check(const ScheduleFreeSGDOptions& o, const std::string& where) {
  AUTOLR_CHECK_ARGUMENT(o.momentum() > 0 && o.momentum() < 1, where, "momentum", detail::text(o.momentum()),
                        "a value in (0, 1)");
  check_common(o, where);
}

template <typename Options>
void check_all(const Options& defaults, const std::vector<OptimizerParamGroup>& groups, const char* name) {
  check(defaults, name);
  for (std::size_t i = 0; i < groups.size(); ++i) {
    check(static_cast<const Options&>(groups[i].options()), detail::where(name, static_cast<std::ptrdiff_t>(i)));
  }
}

// This step's warm-up-scaled lr and the weight of the new point in the
// average x; updates the group's scheduled_lr, lr_max and weight_sum.
struct Schedule {
  double lr;
  double ckp1;
};

template <typename Options>
Schedule advance_schedule(Options& o) {
  const int64_t k = o.k();
  const double sched =
      k < o.warmup_steps() ? static_cast<double>(k + 1) / static_cast<double>(o.warmup_steps()) : 1.0;
  const double lr = o.lr() * sched;
  o.scheduled_lr(lr);
  const double lr_max = std::max(lr, o.lr_max());
  o.lr_max(lr_max);
  const double weight = std::pow(static_cast<double>(k + 1), o.r()) * std::pow(lr_max, o.weight_lr_power());
  const double weight_sum = o.weight_sum() + weight;
  o.weight_sum(weight_sum);
  return {lr, weight_sum == 0 ? 0.0 : weight / weight_sum};
}

// eval(): p = y -> x = y + (1 - 1/beta1) (z - y), keeping y.
template <typename Options, typename State, typename Map>
void switch_to_x(std::vector<OptimizerParamGroup>& groups, Map& state) {
  torch::NoGradGuard no_grad;
  for (auto& group : groups) {
    auto& o = static_cast<Options&>(group.options());
    if (!o.train_mode()) continue;
    const double beta1 = beta1_of(o);
    for (auto& p : group.params()) {
      auto* s = detail::find_state<State>(state, p);
      if (s == nullptr || !s->z().defined()) continue;
      s->saved_y(p.clone());
      p.lerp_(s->z().to(p.device()), 1 - 1 / beta1);
    }
    o.train_mode(false);
  }
}

// train(): p = x -> y = x + (1 - beta1) (z - x), or y's saved bits when p is
// still the x that eval() computed from them.
template <typename Options, typename State, typename Map>
void switch_to_y(std::vector<OptimizerParamGroup>& groups, Map& state) {
  torch::NoGradGuard no_grad;
  for (auto& group : groups) {
    auto& o = static_cast<Options&>(group.options());
    if (o.train_mode()) continue;
    const double beta1 = beta1_of(o);
    for (auto& p : group.params()) {
      auto* s = detail::find_state<State>(state, p);
      if (s == nullptr || !s->z().defined()) continue;
      const torch::Tensor z = s->z().to(p.device());
      bool restored = false;
      if (s->saved_y().defined()) {
        const torch::Tensor y = s->saved_y().to(p.device());
        if (y.sizes() == p.sizes() && y.dtype() == p.dtype() && torch::equal(p, y.lerp(z, 1 - 1 / beta1))) {
          p.copy_(y);
          restored = true;
        }
        s->saved_y(torch::Tensor());
      }
      if (!restored) p.lerp_(z, 1 - beta1);
    }
    o.train_mode(true);
  }
}

template <typename Options>
bool group0_training(const std::vector<OptimizerParamGroup>& groups) {
  return !groups.empty() && static_cast<const Options&>(groups[0].options()).train_mode();
}

template <typename Options>
void require_train_mode(const std::vector<OptimizerParamGroup>& groups, const char* where) {
  AUTOLR_CHECK_ARGUMENT(groups.empty() || group0_training<Options>(groups), where, "train mode", "false",
                        "true (call optimizer.train() before training steps, optimizer.eval() before evaluating)");
}

}  // namespace

// ---------------------------------------------------------------------------
// The common part
// ---------------------------------------------------------------------------

ScheduleFree* as_schedule_free(torch::optim::Optimizer& optimizer) { return dynamic_cast<ScheduleFree*>(&optimizer); }

const ScheduleFree* as_schedule_free(const torch::optim::Optimizer& optimizer) {
  return dynamic_cast<const ScheduleFree*>(&optimizer);
}

void recompute_batchnorm_statistics(torch::nn::Module& model, ScheduleFree& optimizer,
                                    const std::function<void()>& forward_batches) {
  optimizer.eval();
  model.train(true);
  {
    torch::NoGradGuard no_grad;
    forward_batches();
  }
  model.eval();
}

ScheduleFreeEvalGuard::ScheduleFreeEvalGuard(torch::optim::Optimizer& optimizer) {
  ScheduleFree* schedule_free = as_schedule_free(optimizer);
  if (schedule_free != nullptr && schedule_free->is_training()) {
    schedule_free->eval();
    optimizer_ = schedule_free;
  }
}

ScheduleFreeEvalGuard::~ScheduleFreeEvalGuard() {
  try {
    restore();
  } catch (...) {  // NOLINT(bugprone-empty-catch): a destructor must not throw; restore() reports
  }
}

void ScheduleFreeEvalGuard::restore() {
  ScheduleFree* optimizer = optimizer_;
  optimizer_ = nullptr;
  if (optimizer != nullptr) optimizer->train();
}

// ---------------------------------------------------------------------------
// Schedule-Free AdamW
// ---------------------------------------------------------------------------

ScheduleFreeAdamWOptions::ScheduleFreeAdamWOptions(double lr) : lr_(lr) {}

bool operator==(const ScheduleFreeAdamWOptions& lhs, const ScheduleFreeAdamWOptions& rhs) {
  return lhs.lr() == rhs.lr() && lhs.betas() == rhs.betas() && lhs.eps() == rhs.eps() &&
         lhs.weight_decay() == rhs.weight_decay() && lhs.warmup_steps() == rhs.warmup_steps() &&
         lhs.r() == rhs.r() && lhs.weight_lr_power() == rhs.weight_lr_power() && lhs.k() == rhs.k() &&
         lhs.train_mode() == rhs.train_mode() && lhs.weight_sum() == rhs.weight_sum() &&
         lhs.lr_max() == rhs.lr_max() && lhs.scheduled_lr() == rhs.scheduled_lr();
}

void ScheduleFreeAdamWOptions::serialize(torch::serialize::OutputArchive& archive) const {
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(lr);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(betas);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(eps);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(weight_decay);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(warmup_steps);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(r);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(weight_lr_power);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(k);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(train_mode);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(weight_sum);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(lr_max);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(scheduled_lr);
}

void ScheduleFreeAdamWOptions::serialize(torch::serialize::InputArchive& archive) {
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(double, lr);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(betas_t, betas);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(double, eps);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(double, weight_decay);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(int64_t, warmup_steps);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(double, r);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(double, weight_lr_power);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(int64_t, k);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(bool, train_mode);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(double, weight_sum);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(double, lr_max);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(double, scheduled_lr);
}

double ScheduleFreeAdamWOptions::get_lr() const { return lr(); }
void ScheduleFreeAdamWOptions::set_lr(const double lr) { this->lr(lr); }

bool operator==(const ScheduleFreeAdamWParamState& lhs, const ScheduleFreeAdamWParamState& rhs) {
  return same_tensor(lhs.z(), rhs.z()) && same_tensor(lhs.exp_avg_sq(), rhs.exp_avg_sq()) &&
         same_tensor(lhs.saved_y(), rhs.saved_y());
}

void ScheduleFreeAdamWParamState::serialize(torch::serialize::OutputArchive& archive) const {
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(z);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(exp_avg_sq);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(saved_y);
}

void ScheduleFreeAdamWParamState::serialize(torch::serialize::InputArchive& archive) {
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(torch::Tensor, z);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(torch::Tensor, exp_avg_sq);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(torch::Tensor, saved_y);
}

ScheduleFreeAdamW::ScheduleFreeAdamW(std::vector<OptimizerParamGroup> param_groups, ScheduleFreeAdamWOptions defaults)
    : Optimizer(param_groups, std::make_unique<ScheduleFreeAdamWOptions>(defaults)) {
  detail::adopt_group_options<ScheduleFreeAdamWOptions>(param_groups, param_groups_, "ScheduleFreeAdamW",
                                                        "ScheduleFreeAdamWOptions");
  check_all(defaults, param_groups_, "ScheduleFreeAdamWOptions");
}

ScheduleFreeAdamW::ScheduleFreeAdamW(std::vector<torch::Tensor> params, ScheduleFreeAdamWOptions defaults)
    : ScheduleFreeAdamW(std::vector<OptimizerParamGroup>{OptimizerParamGroup(std::move(params))},
                        std::move(defaults)) {}

torch::Tensor ScheduleFreeAdamW::step(LossClosure closure) {
  require_train_mode<ScheduleFreeAdamWOptions>(param_groups_, "ScheduleFreeAdamW::step");
  torch::NoGradGuard no_grad;
  torch::Tensor loss;
  if (closure != nullptr) {
    at::AutoGradMode enable_grad(true);
    loss = closure();
  }
  for (auto& group : param_groups_) {
    auto& o = static_cast<ScheduleFreeAdamWOptions&>(group.options());
    const auto [beta1, beta2] = o.betas();
    const double eps = o.eps();
    const double decay = o.weight_decay();
    const int64_t k = o.k();
    const double bias_correction2 = 1 - std::pow(beta2, static_cast<double>(k + 1));
    const Schedule schedule = advance_schedule(o);
    const double lr = schedule.lr;
    const double ckp1 = schedule.ckp1;

    for (auto& p : group.params()) {
      const torch::Tensor& grad = p.grad();
      if (!grad.defined()) continue;
      auto* state = detail::find_state<ScheduleFreeAdamWParamState>(state_, p);
      if (state == nullptr) {
        state = &detail::new_state<ScheduleFreeAdamWParamState>(state_, p);
        state->z(p.clone());
        state->exp_avg_sq(torch::zeros_like(p));
      }
      torch::Tensor& z = state->z();
      torch::Tensor& exp_avg_sq = state->exp_avg_sq();

      exp_avg_sq.mul_(beta2).addcmul_(grad, grad, 1 - beta2);
      const torch::Tensor denom = exp_avg_sq.div(bias_correction2).sqrt_().add_(eps);
      torch::Tensor normalized = grad.div(denom);
      if (decay != 0) normalized.add_(p, decay);  // weight decay at y
      // y moves towards z, then along the gradient; x is never formed.
      p.lerp_(z, ckp1);
      p.add_(normalized, lr * (beta1 * (1 - ckp1) - 1));
      z.sub_(normalized, lr);
    }
    o.k(k + 1);
  }
  return loss;
}

void ScheduleFreeAdamW::add_param_group(const OptimizerParamGroup& param_group) {
  const std::size_t index = param_groups_.size();
  const char* options_name = "ScheduleFreeAdamWOptions";
  if (const auto* options = detail::given_options<ScheduleFreeAdamWOptions>(param_group, index, "ScheduleFreeAdamW", options_name)) {
    check(*options, detail::where(options_name, static_cast<std::ptrdiff_t>(index)));
  }
  Optimizer::add_param_group(param_group);
  detail::adopt_group_options<ScheduleFreeAdamWOptions>(param_group, param_groups_.back(), index, "ScheduleFreeAdamW", options_name);
}

void ScheduleFreeAdamW::train() {
  switch_to_y<ScheduleFreeAdamWOptions, ScheduleFreeAdamWParamState>(param_groups_, state_);
}

void ScheduleFreeAdamW::eval() {
  switch_to_x<ScheduleFreeAdamWOptions, ScheduleFreeAdamWParamState>(param_groups_, state_);
}

bool ScheduleFreeAdamW::is_training() const { return group0_training<ScheduleFreeAdamWOptions>(param_groups_); }

void ScheduleFreeAdamW::save(torch::serialize::OutputArchive& archive) const {
  torch::optim::serialize<ScheduleFreeAdamWParamState, ScheduleFreeAdamWOptions>(archive, *this);
}

void ScheduleFreeAdamW::load(torch::serialize::InputArchive& archive) {
  torch::optim::serialize<ScheduleFreeAdamWParamState, ScheduleFreeAdamWOptions>(archive, *this);
  detail::load_group_options<ScheduleFreeAdamWOptions>(archive, param_groups_);
}

// ---------------------------------------------------------------------------
// Schedule-Free SGD
// ---------------------------------------------------------------------------

ScheduleFreeSGDOptions::ScheduleFreeSGDOptions(double lr) : lr_(lr) {}

bool operator==(const ScheduleFreeSGDOptions& lhs, const ScheduleFreeSGDOptions& rhs) {
  return lhs.lr() == rhs.lr() && lhs.momentum() == rhs.momentum() && lhs.weight_decay() == rhs.weight_decay() &&
         lhs.warmup_steps() == rhs.warmup_steps() && lhs.r() == rhs.r() &&
         lhs.weight_lr_power() == rhs.weight_lr_power() && lhs.k() == rhs.k() &&
         lhs.train_mode() == rhs.train_mode() && lhs.weight_sum() == rhs.weight_sum() &&
         lhs.lr_max() == rhs.lr_max() && lhs.scheduled_lr() == rhs.scheduled_lr();
}

void ScheduleFreeSGDOptions::serialize(torch::serialize::OutputArchive& archive) const {
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(lr);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(momentum);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(weight_decay);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(warmup_steps);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(r);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(weight_lr_power);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(k);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(train_mode);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(weight_sum);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(lr_max);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(scheduled_lr);
}

void ScheduleFreeSGDOptions::serialize(torch::serialize::InputArchive& archive) {
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(double, lr);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(double, momentum);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(double, weight_decay);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(int64_t, warmup_steps);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(double, r);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(double, weight_lr_power);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(int64_t, k);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(bool, train_mode);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(double, weight_sum);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(double, lr_max);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(double, scheduled_lr);
}

double ScheduleFreeSGDOptions::get_lr() const { return lr(); }
void ScheduleFreeSGDOptions::set_lr(const double lr) { this->lr(lr); }

bool operator==(const ScheduleFreeSGDParamState& lhs, const ScheduleFreeSGDParamState& rhs) {
  return same_tensor(lhs.z(), rhs.z()) && same_tensor(lhs.saved_y(), rhs.saved_y());
}

void ScheduleFreeSGDParamState::serialize(torch::serialize::OutputArchive& archive) const {
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(z);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(saved_y);
}

void ScheduleFreeSGDParamState::serialize(torch::serialize::InputArchive& archive) {
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(torch::Tensor, z);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(torch::Tensor, saved_y);
}

ScheduleFreeSGD::ScheduleFreeSGD(std::vector<OptimizerParamGroup> param_groups, ScheduleFreeSGDOptions defaults)
    : Optimizer(param_groups, std::make_unique<ScheduleFreeSGDOptions>(defaults)) {
  detail::adopt_group_options<ScheduleFreeSGDOptions>(param_groups, param_groups_, "ScheduleFreeSGD",
                                                      "ScheduleFreeSGDOptions");
  check_all(defaults, param_groups_, "ScheduleFreeSGDOptions");
}

ScheduleFreeSGD::ScheduleFreeSGD(std::vector<torch::Tensor> params, ScheduleFreeSGDOptions defaults)
    : ScheduleFreeSGD(std::vector<OptimizerParamGroup>{OptimizerParamGroup(std::move(params))}, std::move(defaults)) {}

torch::Tensor ScheduleFreeSGD::step(LossClosure closure) {
  require_train_mode<ScheduleFreeSGDOptions>(param_groups_, "ScheduleFreeSGD::step");
  torch::NoGradGuard no_grad;
  torch::Tensor loss;
  if (closure != nullptr) {
    at::AutoGradMode enable_grad(true);
    loss = closure();
  }
  for (auto& group : param_groups_) {
    auto& o = static_cast<ScheduleFreeSGDOptions&>(group.options());
    const double momentum = o.momentum();
    const double decay = o.weight_decay();
    const int64_t k = o.k();
    const Schedule schedule = advance_schedule(o);
    const double lr = schedule.lr;
    const double ckp1 = schedule.ckp1;

    for (auto& p : group.params()) {
      const torch::Tensor& grad = p.grad();
      if (!grad.defined()) continue;
      auto* state = detail::find_state<ScheduleFreeSGDParamState>(state_, p);
      if (state == nullptr) {
        state = &detail::new_state<ScheduleFreeSGDParamState>(state_, p);
        state->z(p.clone());
      }
      torch::Tensor& z = state->z();
      const torch::Tensor g = decay != 0 ? grad.add(p, decay) : grad;
      p.lerp_(z, ckp1);
      p.add_(g, lr * (momentum * (1 - ckp1) - 1));
      z.sub_(g, lr);
    }
    o.k(k + 1);
  }
  return loss;
}

void ScheduleFreeSGD::add_param_group(const OptimizerParamGroup& param_group) {
  const std::size_t index = param_groups_.size();
  const char* options_name = "ScheduleFreeSGDOptions";
  if (const auto* options = detail::given_options<ScheduleFreeSGDOptions>(param_group, index, "ScheduleFreeSGD", options_name)) {
    check(*options, detail::where(options_name, static_cast<std::ptrdiff_t>(index)));
  }
  Optimizer::add_param_group(param_group);
  detail::adopt_group_options<ScheduleFreeSGDOptions>(param_group, param_groups_.back(), index, "ScheduleFreeSGD", options_name);
}

void ScheduleFreeSGD::train() { switch_to_y<ScheduleFreeSGDOptions, ScheduleFreeSGDParamState>(param_groups_, state_); }

void ScheduleFreeSGD::eval() { switch_to_x<ScheduleFreeSGDOptions, ScheduleFreeSGDParamState>(param_groups_, state_); }

bool ScheduleFreeSGD::is_training() const { return group0_training<ScheduleFreeSGDOptions>(param_groups_); }

void ScheduleFreeSGD::save(torch::serialize::OutputArchive& archive) const {
  torch::optim::serialize<ScheduleFreeSGDParamState, ScheduleFreeSGDOptions>(archive, *this);
}

void ScheduleFreeSGD::load(torch::serialize::InputArchive& archive) {
  torch::optim::serialize<ScheduleFreeSGDParamState, ScheduleFreeSGDOptions>(archive, *this);
  detail::load_group_options<ScheduleFreeSGDOptions>(archive, param_groups_);
}

}  // namespace autolr::optim
