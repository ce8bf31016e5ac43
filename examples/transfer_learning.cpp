// Fine-tuning in two stages, the case where users had to re-tune the slide
// rule after unfreezing: train a new head on a frozen body, unfreeze, run the
// range test again on the very different curve, and fit with discriminative
// LRs (lower for the body, higher for the head), the lower end read off the
// curve.
//
//   build/examples/transfer_learning [epochs]

#include <autolr/auto_fit.h>
#include <autolr/trainer.h>
#include <torch/torch.h>

#include <cstdio>
#include <cstdlib>

namespace {

// Task A labels with one linear rule, task B with another over the same inputs:
// features learned on A help on B.
torch::Tensor labels(const torch::Tensor& x, uint64_t rule_seed, int64_t classes) {
  auto rule = at::detail::createCPUGenerator(rule_seed);
  return torch::relu(x.matmul(at::randn({x.size(1), 32}, rule))).matmul(at::randn({32, classes}, rule)).argmax(1);
}

// A body and a head, so the body can be frozen and given its own LR.
struct NetImpl : torch::nn::Module {
  NetImpl(torch::nn::Sequential body, torch::nn::Linear head)
      : body(register_module("body", std::move(body))), head(register_module("head", std::move(head))) {}
  torch::Tensor forward(const torch::Tensor& x) { return head(body->forward(x)); }
  torch::nn::Sequential body;
  torch::nn::Linear head;
};
TORCH_MODULE(Net);

void set_trainable(torch::nn::Module& module, bool trainable) {
  for (auto& p : module.parameters()) p.set_requires_grad(trainable);
}

}  // namespace

int main(int argc, char** argv) {
  const int64_t epochs = argc > 1 ? std::atoll(argv[1]) : 3;
  torch::manual_seed(0);
  const torch::Tensor x = torch::randn({4096, 24});
  const torch::Tensor x_valid = torch::randn({1024, 24});

  torch::nn::Sequential body(torch::nn::Linear(24, 64), torch::nn::ReLU(), torch::nn::Linear(64, 64),
                             torch::nn::ReLU());
  Net model_a(body, torch::nn::Linear(64, 5));

  // "Pretraining" on task A.
  {
    torch::optim::Adam optimizer(model_a->parameters(), 1e-3);
    autolr::Trainer pretrain(
        model_a, optimizer, [](const auto& out, const auto& t) { return torch::nn::functional::cross_entropy(out, t); },
        autolr::batches(autolr::split_into_batches(x, labels(x, 1, 5), 64)), autolr::TrainerOptions().progress(false));
    autolr::fit_one_cycle(pretrain, epochs, 3e-3);
  }

  // Task B: a new head on the pretrained body. Two param groups, earliest layers first.
  torch::nn::Linear head(64, 3);
  Net model(body, head);
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(body->parameters());
  groups.emplace_back(head->parameters());
  torch::optim::SGD optimizer(groups, torch::optim::SGDOptions(0.01).momentum(0.9));
  autolr::Trainer trainer(
      model, optimizer, [](const auto& out, const auto& t) { return torch::nn::functional::cross_entropy(out, t); },
      autolr::batches(autolr::split_into_batches(x, labels(x, 2, 3), 64)), autolr::TrainerOptions().progress(false));
  trainer.set_validation_data(autolr::batches(autolr::split_into_batches(x_valid, labels(x_valid, 2, 3), 256)));
  trainer.set_metric(autolr::accuracy());

  // [readme-transfer]
  // Stage 1: the body frozen, the head alone.
  set_trainable(*body, false);
  std::printf("== stage 1: frozen body, new head\n");
  const autolr::AutoFitReport frozen = autolr::auto_fit(trainer, epochs);

  // Stage 2: everything trainable. The curve changes shape, so test again;
  // the body gets the lower end of the slice, read off the curve.
  set_trainable(*body, true);
  std::printf("== stage 2: unfrozen, discriminative LRs\n");
  const autolr::AutoFitReport unfrozen =
      autolr::auto_fit(trainer, epochs, autolr::AutoFitOptions().lower_end_from_curve(true));
  // [readme-transfer]

  if (!frozen.trained || !unfrozen.trained) return 1;
  std::printf("accuracy: %.3f after stage 1, %.3f after stage 2\n", *frozen.history.back().metric,
              *unfrozen.history.back().metric);
  return 0;
}
