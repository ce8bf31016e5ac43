#include "torch_support.h"

#include <sstream>

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
  }
  return "?";
}

std::vector<OptimizerKind> all_optimizer_kinds() {
  return {OptimizerKind::Sgd, OptimizerKind::Adam, OptimizerKind::AdamW, OptimizerKind::RmsProp,
          OptimizerKind::Adagrad};
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
  } else {
    ADD_FAILURE() << "unknown optimizer state type";
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
    for (std::size_t i = 0; i < group.params().size(); ++i) {
      // LibTorch keys the state by the parameter's TensorImpl address, printed.
      std::ostringstream key;
      key << group.params()[i].unsafeGetTensorImpl();
      const auto found = optimizer.state().find(key.str());
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
