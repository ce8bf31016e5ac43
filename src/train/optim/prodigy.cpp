// Prodigy, written from prodigyopt 1.1.2's Prodigy.step: every scalar is
// computed in double in the reference's order, and every tensor operation is
// the one the reference applies, so the results agree to the last bit on the
// same LibTorch. The reference's quirks are kept on purpose, since they decide
// the numbers: the first group's betas, beta3, k, d_coef, growth_rate,
// decouple and bias correction hold for all groups; "d still at d0" compares
// with the last group's d0; groups with lr 0 still get decoupled weight decay
// at the common step size; a step whose gradients are all zero only updates
// the running averages. One deliberate difference: with beta1 = 0, a group
// with lr 0 is not stepped (the reference divides its gradient by d * eps).

#include "autolr/optim.h"

#include <fmt/format.h>
#include <torch/optim/serialize.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "autolr/error.h"
#include "core/check.h"
#include "train/optim/optim_support.h"

namespace autolr::optim {

namespace {

using torch::optim::OptimizerParamGroup;

bool same_tensor(const torch::Tensor& a, const torch::Tensor& b) {
  if (a.defined() != b.defined()) return false;
  return !a.defined() || (a.sizes() == b.sizes() && torch::equal(a, b));
}

// Every slice_p-th entry of the flattened tensor (Python's t.flatten()[::slice_p]).
torch::Tensor sliced(const torch::Tensor& t, int64_t slice_p) {
  return t.flatten().slice(0, 0, std::numeric_limits<int64_t>::max(), slice_p);
}

void check(const ProdigyOptions& o, const std::string& where, bool defaults) {
  using detail::finite;
  using detail::text;
  if (defaults) {
    AUTOLR_CHECK_ARGUMENT(finite(o.lr()) && o.lr() > 0, where, "lr", text(o.lr()), "a finite value > 0");
  } else {
    AUTOLR_CHECK_ARGUMENT(finite(o.lr()) && o.lr() >= 0, where, "lr", text(o.lr()),
                          "a finite value >= 0 (0 freezes the group)");
  }
  const auto [beta1, beta2] = o.betas();
  AUTOLR_CHECK_ARGUMENT(beta1 >= 0 && beta1 < 1, where, "betas[0]", text(beta1), "a value in [0, 1)");
  AUTOLR_CHECK_ARGUMENT(beta2 >= 0 && beta2 < 1, where, "betas[1]", text(beta2), "a value in [0, 1)");
  if (o.beta3()) {
    AUTOLR_CHECK_ARGUMENT(*o.beta3() >= 0 && *o.beta3() < 1, where, "beta3", text(*o.beta3()),
                          "a value in [0, 1), or unset for sqrt(beta2)");
  }
  AUTOLR_CHECK_ARGUMENT(finite(o.eps()) && o.eps() > 0, where, "eps", text(o.eps()), "a finite value > 0");
  AUTOLR_CHECK_ARGUMENT(finite(o.weight_decay()) && o.weight_decay() >= 0, where, "weight_decay",
                        text(o.weight_decay()), "a finite value >= 0");
  AUTOLR_CHECK_ARGUMENT(finite(o.d0()) && o.d0() > 0, where, "d0", text(o.d0()), "a finite value > 0");
  AUTOLR_CHECK_ARGUMENT(finite(o.d_coef()) && o.d_coef() > 0, where, "d_coef", text(o.d_coef()),
                        "a finite value > 0");
  AUTOLR_CHECK_ARGUMENT(o.growth_rate() > 0, where, "growth_rate", text(o.growth_rate()),
                        "a value > 0 (inf for unrestricted)");
  AUTOLR_CHECK_ARGUMENT(o.slice_p() >= 1, where, "slice_p", text(o.slice_p()), "an integer >= 1");
  if (o.d()) AUTOLR_CHECK_ARGUMENT(finite(*o.d()) && *o.d() > 0, where, "d", text(*o.d()), "a finite value > 0");
  if (o.d_max()) {
    AUTOLR_CHECK_ARGUMENT(finite(*o.d_max()) && *o.d_max() > 0, where, "d_max", text(*o.d_max()),
                          "a finite value > 0");
  }
  AUTOLR_CHECK_ARGUMENT(finite(o.d_numerator()), where, "d_numerator", text(o.d_numerator()), "a finite value");
  AUTOLR_CHECK_ARGUMENT(o.k() >= 0, where, "k", text(o.k()), "a step count >= 0");
}

// As the reference: every group's d and d_max start at the constructor's d0.
void start_d(ProdigyOptions& options, double d0) {
  if (!options.d()) options.d(d0);
  if (!options.d_max()) options.d_max(d0);
}

void write_optional(torch::serialize::OutputArchive& archive, const char* key, const std::optional<double>& value) {
  if (value) archive.write(key, c10::IValue(*value));
}

std::optional<double> read_optional(torch::serialize::InputArchive& archive, const char* key) {
  c10::IValue value;
  if (!archive.try_read(key, value)) return std::nullopt;
  return value.toDouble();
}

}  // namespace

ProdigyOptions::ProdigyOptions(double lr) : lr_(lr) {}

bool operator==(const ProdigyOptions& lhs, const ProdigyOptions& rhs) {
  return lhs.lr() == rhs.lr() && lhs.betas() == rhs.betas() && lhs.beta3() == rhs.beta3() &&
         lhs.eps() == rhs.eps() && lhs.weight_decay() == rhs.weight_decay() && lhs.decouple() == rhs.decouple() &&
         lhs.use_bias_correction() == rhs.use_bias_correction() &&
         lhs.safeguard_warmup() == rhs.safeguard_warmup() && lhs.d0() == rhs.d0() && lhs.d_coef() == rhs.d_coef() &&
         lhs.growth_rate() == rhs.growth_rate() && lhs.slice_p() == rhs.slice_p() && lhs.d() == rhs.d() &&
         lhs.d_max() == rhs.d_max() && lhs.d_numerator() == rhs.d_numerator() && lhs.d_denom() == rhs.d_denom() &&
         lhs.d_hat() == rhs.d_hat() && lhs.k() == rhs.k();
}

void ProdigyOptions::serialize(torch::serialize::OutputArchive& archive) const {
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(lr);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(betas);
  write_optional(archive, "beta3", beta3());
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(eps);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(weight_decay);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(decouple);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(use_bias_correction);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(safeguard_warmup);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(d0);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(d_coef);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(growth_rate);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(slice_p);
  write_optional(archive, "d", d());
  write_optional(archive, "d_max", d_max());
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(d_numerator);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(d_denom);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(d_hat);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(k);
}

void ProdigyOptions::serialize(torch::serialize::InputArchive& archive) {
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(double, lr);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(betas_t, betas);
  beta3(read_optional(archive, "beta3"));
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(double, eps);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(double, weight_decay);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(bool, decouple);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(bool, use_bias_correction);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(bool, safeguard_warmup);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(double, d0);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(double, d_coef);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(double, growth_rate);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(int64_t, slice_p);
  d(read_optional(archive, "d"));
  d_max(read_optional(archive, "d_max"));
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(double, d_numerator);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(double, d_denom);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(double, d_hat);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(int64_t, k);
}

double ProdigyOptions::get_lr() const { return lr(); }
void ProdigyOptions::set_lr(const double lr) { this->lr(lr); }

bool operator==(const ProdigyParamState& lhs, const ProdigyParamState& rhs) {
  return lhs.step() == rhs.step() && same_tensor(lhs.s(), rhs.s()) && same_tensor(lhs.p0(), rhs.p0()) &&
         same_tensor(lhs.exp_avg(), rhs.exp_avg()) && same_tensor(lhs.exp_avg_sq(), rhs.exp_avg_sq());
}

void ProdigyParamState::serialize(torch::serialize::OutputArchive& archive) const {
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(step);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(s);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(p0);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(exp_avg);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(exp_avg_sq);
}

void ProdigyParamState::serialize(torch::serialize::InputArchive& archive) {
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(int64_t, step);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(torch::Tensor, s);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(torch::Tensor, p0);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(torch::Tensor, exp_avg);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(torch::Tensor, exp_avg_sq);
}

Prodigy::Prodigy(std::vector<OptimizerParamGroup> param_groups, ProdigyOptions defaults)
    : Optimizer(param_groups, std::make_unique<ProdigyOptions>(defaults)) {
  detail::adopt_group_options<ProdigyOptions>(param_groups, param_groups_, "Prodigy", "ProdigyOptions");
  check(defaults, "ProdigyOptions", true);
  for (std::size_t i = 0; i < param_groups_.size(); ++i) {
    check(static_cast<const ProdigyOptions&>(param_groups_[i].options()),
          detail::where("ProdigyOptions", static_cast<std::ptrdiff_t>(i)), false);
  }
  start_d(static_cast<ProdigyOptions&>(*defaults_), defaults.d0());
  for (auto& group : param_groups_) start_d(static_cast<ProdigyOptions&>(group.options()), defaults.d0());
}

void Prodigy::add_param_group(const OptimizerParamGroup& param_group) {
  const std::size_t index = param_groups_.size();
  if (const auto* options = detail::given_options<ProdigyOptions>(param_group, index, "Prodigy", "ProdigyOptions")) {
    check(*options, detail::where("ProdigyOptions", static_cast<std::ptrdiff_t>(index)), false);
  }
  Optimizer::add_param_group(param_group);
  auto& added = param_groups_.back();
  detail::adopt_group_options<ProdigyOptions>(param_group, added, index, "Prodigy", "ProdigyOptions");
  start_d(static_cast<ProdigyOptions&>(added.options()), static_cast<const ProdigyOptions&>(*defaults_).d0());
}

Prodigy::Prodigy(std::vector<torch::Tensor> params, ProdigyOptions defaults)
    : Prodigy(std::vector<OptimizerParamGroup>{OptimizerParamGroup(std::move(params))}, std::move(defaults)) {}

double Prodigy::d() const {
  const auto& defaults = static_cast<const ProdigyOptions&>(*defaults_);
  const auto& o = param_groups_.empty() ? defaults : static_cast<const ProdigyOptions&>(param_groups_[0].options());
  return o.d().value_or(defaults.d0());
}

torch::Tensor Prodigy::step(LossClosure closure) {
  torch::NoGradGuard no_grad;
  torch::Tensor loss;
  if (closure != nullptr) {
    at::AutoGradMode enable_grad(true);
    loss = closure();
  }
  if (param_groups_.empty()) return loss;
  auto options = [this](std::size_t i) -> ProdigyOptions& {
    return static_cast<ProdigyOptions&>(param_groups_[i].options());
  };
  const double initial_d = static_cast<const ProdigyOptions&>(*defaults_).d0();

  const ProdigyOptions& first = options(0);
  const bool use_bias_correction = first.use_bias_correction();
  const auto [beta1, beta2] = first.betas();
  const double beta3 = first.beta3() ? *first.beta3() : std::sqrt(beta2);
  const int64_t k = first.k();
  double d = first.d().value_or(initial_d);
  double d_max = first.d_max().value_or(initial_d);
  const double d_coef = first.d_coef();
  double lr = options(0).lr();
  for (std::size_t i = 1; i < param_groups_.size(); ++i) lr = std::max(lr, options(i).lr());
  for (std::size_t i = 0; i < param_groups_.size(); ++i) {
    const double group_lr = options(i).lr();
    AUTOLR_CHECK_ARGUMENT(group_lr == lr || group_lr == 0.0, "Prodigy::step", fmt::format("lr of param group {}", i),
                          detail::text(group_lr),
                          fmt::format("the largest lr of all groups ({}) or 0: Prodigy's groups may differ in lr "
                                      "only by being frozen",
                                      detail::text(lr)));
  }
  const double bias_correction =
      use_bias_correction
          ? std::pow(1 - std::pow(beta2, static_cast<double>(k + 1)), 0.5) / (1 - std::pow(beta1, static_cast<double>(k + 1)))
          : 1.0;
  const double dlr = d * lr * bias_correction;
  const double growth_rate = first.growth_rate();
  const bool decouple = first.decouple();
  const double d_numerator = first.d_numerator() * beta3;
  double delta_numerator = 0.0;
  double d_denom = 0.0;

  // The gradient each parameter was stepped with (with the L2 term when
  // coupled), in the order of the second pass.
  std::vector<torch::Tensor> grads;
  for (auto& group : param_groups_) {
    const auto& o = static_cast<const ProdigyOptions&>(group.options());
    const double decay = o.weight_decay();
    const double group_lr = o.lr();
    const double d0 = o.d0();
    const int64_t slice_p = o.slice_p();
    for (auto& p : group.params()) {
      if (!p.grad().defined()) continue;
      torch::Tensor grad = p.grad();
      if (decay != 0 && !decouple) grad = grad.add(p, decay);
      grads.push_back(grad);

      auto* state = detail::find_state<ProdigyParamState>(state_, p);
      if (state == nullptr) {
        state = &detail::new_state<ProdigyParamState>(state_, p);
        state->step(0);
        state->s(torch::zeros_like(sliced(p, slice_p)));
        // All zeros: a 0-dim zero does (and saves memory), as in the reference.
        state->p0(p.any().item<bool>() ? sliced(p, slice_p).clone() : torch::zeros({}, p.options()));
        if (beta1 > 0) state->exp_avg(torch::zeros_like(p));
        state->exp_avg_sq(torch::zeros_like(p));
      }
      if (group_lr > 0.0) {
        // d / d0 instead of d keeps the values away from underflow.
        const torch::Tensor sliced_grad = sliced(grad, slice_p);
        delta_numerator +=
            (d / d0) * dlr * torch::dot(sliced_grad, state->p0() - sliced(p, slice_p)).item<double>();
        if (beta1 > 0) state->exp_avg().mul_(beta1).add_(grad, d * (1 - beta1));
        state->exp_avg_sq().mul_(beta2).addcmul_(grad, grad, d * d * (1 - beta2));
        state->s().mul_(beta3).add_(sliced_grad, o.safeguard_warmup() ? (d / d0) * d : (d / d0) * dlr);
        d_denom += state->s().abs().sum().item<double>();
      }
    }
  }

  // No progress possible (every gradient zero, or every lr 0): the reference returns here.
  if (d_denom == 0) return loss;

  const double global_d_numerator = d_numerator + delta_numerator;
  const double global_d_denom = d_denom;
  double d_hat = d;
  if (lr > 0.0) {
    d_hat = d_coef * global_d_numerator / global_d_denom;
    if (d == options(param_groups_.size() - 1).d0()) d = std::max(d, d_hat);
    d_max = std::max(d_max, d_hat);
    d = std::min(d_max, d * growth_rate);
  }

  std::size_t next_grad = 0;
  for (auto& group : param_groups_) {
    auto& o = static_cast<ProdigyOptions&>(group.options());
    o.d_numerator(global_d_numerator);
    o.d_denom(global_d_denom);
    o.d(d);
    o.d_max(d_max);
    o.d_hat(d_hat);
    const double decay = o.weight_decay();
    const double eps = o.eps();
    for (auto& p : group.params()) {
      if (!p.grad().defined()) continue;
      const torch::Tensor& grad = grads[next_grad++];
      auto& state = *detail::find_state<ProdigyParamState>(state_, p);
      state.step(state.step() + 1);
      const torch::Tensor denom = state.exp_avg_sq().sqrt().add_(d * eps);
      if (decay != 0 && decouple) p.add_(p, -decay * dlr);
      if (beta1 > 0) {
        p.addcdiv_(state.exp_avg(), denom, -dlr);
      } else if (o.lr() > 0) {
        p.addcdiv_(grad, denom, -dlr * d);
      }
      // else a frozen group (lr 0) without a first moment: the reference
      // steps it by -lr * grad / eps (its exp_avg_sq stays 0), which blows it
      // up; it is left alone instead, as with beta1 > 0 (a zero exp_avg).

    }
    o.k(o.k() + 1);
  }
  return loss;
}

void Prodigy::save(torch::serialize::OutputArchive& archive) const {
  torch::optim::serialize<ProdigyParamState, ProdigyOptions>(archive, *this);
}

void Prodigy::load(torch::serialize::InputArchive& archive) {
  torch::optim::serialize<ProdigyParamState, ProdigyOptions>(archive, *this);
  detail::load_group_options<ProdigyOptions>(archive, param_groups_);
}

}  // namespace autolr::optim
