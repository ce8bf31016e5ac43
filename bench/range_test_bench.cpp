// Overhead of autolr's range test over a hand-written LibTorch loop doing the
// same 200 steps on the same batches: Fashion-MNIST, MLP 784-256-128-10,
// batch 128, SGD with momentum, CPU. The range test's time includes its
// snapshot and restore; the loop reads each loss back, as a hand-written range
// test must. Runs are interleaved so drifts in machine speed hit both alike.
//
//   build/bench/range_test_bench [repeats]
// Last line: range_test_overhead_ratio: <median of range-test time / loop time>

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "autolr/lr_finder.h"
#include "autolr/trainer.h"
#include "demo/fashion_mnist.h"

namespace {

constexpr int64_t kSteps = 200;
constexpr int64_t kBatch = 128;

torch::nn::Sequential make_mlp() {
  torch::manual_seed(0);
  return torch::nn::Sequential(torch::nn::Linear(784, 256), torch::nn::ReLU(), torch::nn::Linear(256, 128),
                               torch::nn::ReLU(), torch::nn::Linear(128, 10));
}

torch::optim::SGDOptions sgd() { return torch::optim::SGDOptions(0.01).momentum(0.9); }

autolr::LRFinderOptions range() {
  // Up to 1, not 10: a diverged loop full of NaNs would time something else.
  return autolr::LRFinderOptions().num_iter(kSteps).end_lr(1).diverge_factor(std::nullopt).progress(false);
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

double hand_written_loop(const std::vector<autolr::Batch>& batches) {
  auto model = make_mlp();
  torch::optim::SGD optimizer(model->parameters(), sgd());
  std::vector<double> losses;
  const auto start = std::chrono::steady_clock::now();
  for (int64_t step = 0; step < kSteps; ++step) {
    optimizer.param_groups()[0].options().set_lr(autolr::range_test_lrs(range(), 1, step)[0]);
    const auto& batch = batches[static_cast<std::size_t>(step)];
    optimizer.zero_grad();
    auto loss = torch::nn::functional::cross_entropy(model->forward(batch.input), batch.target);
    loss.backward();
    optimizer.step();
    losses.push_back(loss.item<double>());
  }
  return seconds_since(start);
}

double autolr_range_test(const std::vector<autolr::Batch>& batches) {
  auto model = make_mlp();
  torch::optim::SGD optimizer(model->parameters(), sgd());
  autolr::Trainer trainer(
      model, optimizer,
      [](const torch::Tensor& output, const torch::Tensor& target) {
        return torch::nn::functional::cross_entropy(output, target);
      },
      autolr::batches(batches), autolr::TrainerOptions().progress(false));
  const auto start = std::chrono::steady_clock::now();
  const autolr::LRCurve curve = autolr::lr_find(trainer, range());
  const double elapsed = seconds_since(start);
  if (curve.size() != static_cast<std::size_t>(kSteps)) std::abort();
  return elapsed;
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const int repeats = argc > 1 ? std::atoi(argv[1]) : 15;
  const autolr::ImageDataset data = autolr::read_fashion_mnist();
  const auto images = data.images.narrow(0, 0, kSteps * kBatch).reshape({-1, 784}).sub(0.2860).div(0.3530);
  const auto batches = autolr::split_into_batches(images, data.labels.narrow(0, 0, kSteps * kBatch), kBatch);
  std::printf("threads: %d, steps: %lld, batch: %lld, repeats: %d\n", torch::get_num_threads(),
              static_cast<long long>(kSteps), static_cast<long long>(kBatch), repeats);

  hand_written_loop(batches);  // warm-up: allocator, thread pool, caches
  autolr_range_test(batches);
  std::vector<double> loops, tests, ratios;
  for (int i = 0; i < repeats; ++i) {
    const double loop = hand_written_loop(batches);
    const double test = autolr_range_test(batches);
    loops.push_back(loop);
    tests.push_back(test);
    ratios.push_back(test / loop);
    std::printf("repeat %d: loop %.3f s, range test %.3f s, ratio %.4f\n", i, loop, test, test / loop);
  }
  std::printf("median loop %.3f s, median range test %.3f s\n", median(loops), median(tests));
  std::printf("range_test_overhead_ratio: %.4f\n", median(ratios));
  return 0;
}
