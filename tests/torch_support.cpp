#include "torch_support.h"

#include <sstream>

#include "autolr/optim.h"
#include "train/optim/optim_support.h"

namespace autolr::test {

ClassifierImpl::ClassifierImpl(int64_t inputs, int64_t classes) {
  frozen = register_module("frozen", torch::nn::Linear(inputs, 16));
  hidden = register_module("hidden", torch::nn::Linear(16, 16));
  norm = register_module("norm", torch::nn::BatchNorm1d(16));
  dropout = register_module("dropout", torch::nn::Dropout(0.2));
  head = register_module("head", torch::nn::Linear(16, classes));
  for (auto& p : frozen->parameters()) p.set_requires_grad(false);
}

torch::Tensor ClassifierImpl::forward(torch::Tensor x) {
  x = torch::relu(frozen(x));
  x = dropout(torch::relu(norm(hidden(x))));
  return head(x);
}

std::vector<Batch> classification_batches(int64_t batches, int64_t batch_size, int64_t inputs, int64_t classes,
                                          uint64_t seed) {
  // One labelling rule for every seed, so different seeds are train and validation sets of one problem.
  auto rule = at::detail::createCPUGenerator(12345);
  const auto w = at::randn({inputs, classes}, rule);
  auto generator = at::detail::createCPUGenerator(seed);
  const auto x = at::randn({batches * batch_size, inputs}, generator);
  const auto y = x.matmul(w).argmax(1);
  return split_into_batches(x, y, batch_size);
}

std::string to_string(OptimizerKind kind) {
  switch (kind) {
    case OptimizerKind::Sgd:
      return "SGD";
    case OptimizerKind::Adam:
      return "Adam";
    case OptimizerKind::AdamW:
      return "AdamW";
    case OptimizerKind::RmsProp:
      return "RMSprop";
    case OptimizerKind::Adagrad:
      return "Adagrad";
    case OptimizerKind::ScheduleFreeAdamW:
      return "ScheduleFreeAdamW";
    case OptimizerKind::ScheduleFreeSgd:
      return "ScheduleFreeSGD";
    case OptimizerKind::Prodigy:
      return "Prodigy";
  }
  return "?";
}

std::vector<OptimizerKind> all_optimizer_kinds() {
  return {OptimizerKind::Sgd,
          OptimizerKind::Adam,
          OptimizerKind::AdamW,
          OptimizerKind::RmsProp,
          OptimizerKind::Adagrad,
          OptimizerKind::ScheduleFreeAdamW,
          OptimizerKind::ScheduleFreeSgd,
          OptimizerKind::Prodigy};
}

std::unique_ptr<torch::optim::Optimizer> make_optimizer(OptimizerKind kind, std::vector<torch::Tensor> parameters) {
  using namespace torch::optim;
  switch (kind) {
    case OptimizerKind::Sgd:
      return std::make_unique<SGD>(parameters, SGDOptions(0.01).momentum(0.9));
    case OptimizerKind::Adam:
      return std::make_unique<Adam>(parameters, AdamOptions(1e-3));
    case OptimizerKind::AdamW:
      return std::make_unique<AdamW>(parameters, AdamWOptions(1e-3).amsgrad(true));
    case OptimizerKind::RmsProp:
      return std::make_unique<RMSprop>(parameters, RMSpropOptions(1e-3).momentum(0.9).centered(true));
    case OptimizerKind::Adagrad:
      return std::make_unique<Adagrad>(parameters, AdagradOptions(1e-2));
    // The LR-free ones in train mode, ready to step as a user's loop would have them.
    case OptimizerKind::ScheduleFreeAdamW: {
      auto optimizer = std::make_unique<optim::ScheduleFreeAdamW>(
          parameters, optim::ScheduleFreeAdamWOptions(2.5e-3).warmup_steps(5).weight_decay(1e-4));
      optimizer->train();
      return optimizer;
    }
    case OptimizerKind::ScheduleFreeSgd: {
      auto optimizer = std::make_unique<optim::ScheduleFreeSGD>(parameters, optim::ScheduleFreeSGDOptions(0.1));
      optimizer->train();
      return optimizer;
    }
    case OptimizerKind::Prodigy:
      return std::make_unique<optim::Prodigy>(parameters, optim::ProdigyOptions(1.0).weight_decay(1e-4));
  }
  return nullptr;
}

torch::Tensor cross_entropy(const torch::Tensor& output, const torch::Tensor& target) {
  return torch::nn::functional::cross_entropy(output, target);
}

namespace {

void add(CapturedState& state, const std::string& name, const torch::Tensor& tensor) {
  state.names.push_back(name);
  state.tensors.push_back(tensor.defined() ? tensor.detach().clone() : tensor);
}

void add_optimizer_state(CapturedState& state, const std::string& name, torch::optim::OptimizerParamState& s) {
  using namespace torch::optim;
  if (auto* sgd = dynamic_cast<SGDParamState*>(&s)) {
    add(state, name + ".momentum_buffer", sgd->momentum_buffer());
  } else if (auto* adam = dynamic_cast<AdamParamState*>(&s)) {
    add(state, name + ".exp_avg", adam->exp_avg());
    add(state, name + ".exp_avg_sq", adam->exp_avg_sq());
    add(state, name + ".max_exp_avg_sq", adam->max_exp_avg_sq());
    state.numbers.push_back(static_cast<double>(adam->step()));
  } else if (auto* adamw = dynamic_cast<AdamWParamState*>(&s)) {
    add(state, name + ".exp_avg", adamw->exp_avg());
    add(state, name + ".exp_avg_sq", adamw->exp_avg_sq());
    add(state, name + ".max_exp_avg_sq", adamw->max_exp_avg_sq());
    state.numbers.push_back(static_cast<double>(adamw->step()));
  } else if (auto* rms = dynamic_cast<RMSpropParamState*>(&s)) {
    add(state, name + ".square_avg", rms->square_avg());
    add(state, name + ".momentum_buffer", rms->momentum_buffer());
    add(state, name + ".grad_avg", rms->grad_avg());
    state.numbers.push_back(static_cast<double>(rms->step()));
  } else if (auto* adagrad = dynamic_cast<AdagradParamState*>(&s)) {
    add(state, name + ".sum", adagrad->sum());
    state.numbers.push_back(static_cast<double>(adagrad->step()));
  } else if (auto* sf_adamw = dynamic_cast<optim::ScheduleFreeAdamWParamState*>(&s)) {
    add(state, name + ".z", sf_adamw->z());
    add(state, name + ".exp_avg_sq", sf_adamw->exp_avg_sq());
    add(state, name + ".saved_y", sf_adamw->saved_y());
  } else if (auto* sf_sgd = dynamic_cast<optim::ScheduleFreeSGDParamState*>(&s)) {
    add(state, name + ".z", sf_sgd->z());
    add(state, name + ".saved_y", sf_sgd->saved_y());
  } else if (auto* prodigy = dynamic_cast<optim::ProdigyParamState*>(&s)) {
    add(state, name + ".s", prodigy->s());
    add(state, name + ".p0", prodigy->p0());
    add(state, name + ".exp_avg", prodigy->exp_avg());
    add(state, name + ".exp_avg_sq", prodigy->exp_avg_sq());
    state.numbers.push_back(static_cast<double>(prodigy->step()));
  } else {
    ADD_FAILURE() << "unknown optimizer state type";
  }
}

// The per-group scalars the LR-free optimizers keep in their options (weight
// sums, Prodigy's D): a restore must bring them back too.
void add_group_scalars(CapturedState& state, const torch::optim::OptimizerOptions& options) {
  auto push_schedule_free = [&](const auto& o) {
    for (double value :
         {static_cast<double>(o.k()), o.train_mode() ? 1.0 : 0.0, o.weight_sum(), o.lr_max(), o.scheduled_lr()})
      state.numbers.push_back(value);
  };
  if (const auto* o = dynamic_cast<const optim::ScheduleFreeAdamWOptions*>(&options)) push_schedule_free(*o);
  if (const auto* o = dynamic_cast<const optim::ScheduleFreeSGDOptions*>(&options)) push_schedule_free(*o);
  if (const auto* o = dynamic_cast<const optim::ProdigyOptions*>(&options)) {
    for (double value : {o->d().value_or(-1), o->d_max().value_or(-1), o->d_numerator(), o->d_denom(), o->d_hat(),
                         static_cast<double>(o->k())})
      state.numbers.push_back(value);
  }
}

}  // namespace

CapturedState capture(torch::nn::Module& model, torch::optim::Optimizer& optimizer) {
  CapturedState state;
  for (const auto& item : model.named_parameters()) {
    add(state, "param " + item.key(), item.value());
    add(state, "grad " + item.key(), item.value().grad());
  }
  for (const auto& item : model.named_buffers()) add(state, "buffer " + item.key(), item.value());
  for (const auto& module : model.modules()) state.numbers.push_back(module->is_training() ? 1 : 0);
  state.numbers.push_back(static_cast<double>(optimizer.state().size()));
  for (std::size_t g = 0; g < optimizer.param_groups().size(); ++g) {
    auto& group = optimizer.param_groups()[g];
    state.numbers.push_back(group.options().get_lr());
    add_group_scalars(state, group.options());
    for (std::size_t i = 0; i < group.params().size(); ++i) {
      // LibTorch keys the state by the parameter's TensorImpl (printed in 1.13, the pointer in 2.x).
      const auto found = optimizer.state().find(optim::detail::state_key(optimizer.state(), group.params()[i]));
      if (found != optimizer.state().end()) {
        add_optimizer_state(state, "group " + std::to_string(g) + " param " + std::to_string(i), *found->second);
      }
    }
  }
  return state;
}

::testing::AssertionResult identical(const CapturedState& before, const CapturedState& after) {
  if (before.names != after.names) return ::testing::AssertionFailure() << "different sets of tensors";
  for (std::size_t i = 0; i < before.tensors.size(); ++i) {
    const auto& a = before.tensors[i];
    const auto& b = after.tensors[i];
    if (a.defined() != b.defined()) return ::testing::AssertionFailure() << before.names[i] << ": defined differs";
    if (a.defined() && (a.dtype() != b.dtype() || !torch::equal(a, b))) {
      return ::testing::AssertionFailure() << before.names[i] << " differs";
    }
  }
  if (before.numbers != after.numbers) {
    return ::testing::AssertionFailure() << "train flags, state count, step counts or learning rates differ";
  }
  return ::testing::AssertionSuccess();
}

}  // namespace autolr::test
