// The LR range test in your own training loop, without autolr's Trainer.
// range_test() sets the learning rate before each step, records the loss your
// step returns, stops when the loss diverges, and puts the model, the
// optimizer and the RNG back as they were.
//
//   build/examples/hand_written_loop [steps]

#include <autolr/lr_finder.h>
#include <autolr/suggest.h>
#include <torch/torch.h>

#include <cstdio>
#include <cstdlib>

int main(int argc, char** argv) {
  const int64_t steps = argc > 1 ? std::atoll(argv[1]) : 100;

  // A regression problem: y = x w + noise.
  torch::manual_seed(0);
  const torch::Tensor x = torch::randn({4096, 16});
  const torch::Tensor y = x.matmul(torch::randn({16, 1})) + 0.1 * torch::randn({4096, 1});

  torch::nn::Sequential model(torch::nn::Linear(16, 64), torch::nn::Tanh(), torch::nn::Linear(64, 1));
  torch::optim::SGD optimizer(model->parameters(), torch::optim::SGDOptions(0.01).momentum(0.9));

  // [readme-hand-written-loop]
  // One optimizer step of your loop; it returns the loss.
  auto train_step = [&](int64_t step) {
    const auto rows = torch::randint(0, x.size(0), {64}, torch::kLong);
    optimizer.zero_grad();
    auto loss = torch::mse_loss(model->forward(x.index_select(0, rows)), y.index_select(0, rows));
    loss.backward();
    optimizer.step();
    return loss;
  };

  const autolr::LRCurve curve =
      autolr::range_test(*model, optimizer, train_step, autolr::LRFinderOptions().num_iter(steps).end_lr(10));
  const autolr::Suggestion valley = autolr::suggest(curve, autolr::Method::Valley);
  // [readme-hand-written-loop]

  std::printf("%zu steps recorded, stopped: %s\n", curve.size(), autolr::to_string(curve.stop_reason()).c_str());
  if (valley.lr) std::printf("valley suggests lr %.3g\n", *valley.lr);
  for (const auto& w : valley.warnings) std::printf("warning: %s\n", w.message.c_str());
  std::printf("optimizer lr after the test: %g (restored)\n", optimizer.param_groups()[0].options().get_lr());
  return valley.lr ? 0 : 1;
}
