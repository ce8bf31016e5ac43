// Overhead of autolr's range test over a hand-written LibTorch loop doing the
// same steps on the same batches: Fashion-MNIST, SGD with momentum, CPU.
// The range test's cost includes its snapshot and restore; the loop reads
// each loss back, as a hand-written range test must.
//
//   build/bench/range_test_bench [repeats]
//     Wall clock, MLP 784-256-128-10 at batch 128, 200 steps, runs
//     interleaved so drifts in machine speed hit both alike. Last line:
//     range_test_overhead_ratio: <median of range-test time / loop time>
//   build/bench/range_test_bench --time mlp|tiny [repeats]
//     100 steps of the bare loop, range_test and lr_find, interleaved; one
//     line each, `<workload> <variant> <median seconds> <first loss>`, for
//     bench/compare_range_tests to set beside the Python tools' times.
//   bench/count_instructions
//     Runs this program under callgrind with --instructions: the bare loop,
//     range_test (the hand-written-loop form) and lr_find (the Trainer), on
//     the MLP (20 steps) and on a tiny MLP 784-32-10 at batch 32 (100 steps)
//     where per-step overhead dominates; each measured once after a warm-up.
//     Instruction counts repeat whatever else the machine runs.

#include <torch/torch.h>
#include <valgrind/callgrind.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <tuple>
#include <vector>

#include "autolr/lr_finder.h"
#include "autolr/trainer.h"
#include "demo/fashion_mnist.h"
#include "timing.h"

namespace {

using autolr::bench::median;
using autolr::bench::seconds;

struct Workload {
  const char* name;
  std::vector<int64_t> widths;  // input, hidden..., classes
  int64_t batch;
  int64_t steps;
};

const Workload kMlp{"mlp", {784, 256, 128, 10}, 128, 200};
const Workload kTiny{"tiny", {784, 32, 10}, 32, 100};

torch::nn::Sequential make_mlp(const Workload& w) {
  torch::manual_seed(0);
  torch::nn::Sequential model;
  for (std::size_t i = 0; i + 1 < w.widths.size(); ++i) {
    if (i > 0) model->push_back(torch::nn::ReLU());
    model->push_back(torch::nn::Linear(w.widths[i], w.widths[i + 1]));
  }
  return model;
}

torch::optim::SGDOptions sgd() { return torch::optim::SGDOptions(0.01).momentum(0.9); }

autolr::LRFinderOptions range(int64_t steps) {
  // Up to 1, not 10: a diverged loop full of NaNs would time something else.
  return autolr::LRFinderOptions().num_iter(steps).end_lr(1).diverge_factor(std::nullopt).progress(false);
}

torch::Tensor cross_entropy(const torch::Tensor& output, const torch::Tensor& target) {
  return torch::nn::functional::cross_entropy(output, target);
}

// Returns the first step's loss: the Python side prints its own, to show
// that both start from the same weights and batches.
double hand_written_loop(const Workload& w, const std::vector<autolr::Batch>& batches) {
  auto model = make_mlp(w);
  torch::optim::SGD optimizer(model->parameters(), sgd());
  std::vector<double> losses;
  for (int64_t step = 0; step < w.steps; ++step) {
    optimizer.param_groups()[0].options().set_lr(autolr::range_test_lrs(range(w.steps), 1, step)[0]);
    const auto& batch = batches[static_cast<std::size_t>(step)];
    optimizer.zero_grad();
    auto loss = cross_entropy(model->forward(batch.input), batch.target);
    loss.backward();
    optimizer.step();
    losses.push_back(loss.item<double>());
  }
  return losses.front();
}

void autolr_range_test(const Workload& w, const std::vector<autolr::Batch>& batches) {
  auto model = make_mlp(w);
  torch::optim::SGD optimizer(model->parameters(), sgd());
  const autolr::LRCurve curve = autolr::range_test(
      *model, optimizer,
      [&](int64_t step) {
        const auto& batch = batches[static_cast<std::size_t>(step)];
        optimizer.zero_grad();
        auto loss = cross_entropy(model->forward(batch.input), batch.target);
        loss.backward();
        optimizer.step();
        return loss.detach();
      },
      range(w.steps));
  if (curve.size() != static_cast<std::size_t>(w.steps)) std::abort();
}

void autolr_lr_find(const Workload& w, const std::vector<autolr::Batch>& batches) {
  auto model = make_mlp(w);
  torch::optim::SGD optimizer(model->parameters(), sgd());
  autolr::Trainer trainer(model, optimizer, cross_entropy, autolr::batches(batches),
                          autolr::TrainerOptions().progress(false));
  const autolr::LRCurve curve = autolr::lr_find(trainer, range(w.steps));
  if (curve.size() != static_cast<std::size_t>(w.steps)) std::abort();
}

std::vector<autolr::Batch> batches_for(const Workload& w, const autolr::ImageDataset& data) {
  const int64_t n = w.steps * w.batch;
  const auto images = data.images.narrow(0, 0, n).reshape({-1, 784}).sub(0.2860).div(0.3530);
  return autolr::split_into_batches(images, data.labels.narrow(0, 0, n), w.batch);
}

using Run = std::function<void(const Workload&, const std::vector<autolr::Batch>&)>;
std::vector<std::pair<const char*, Run>> all_variants() {
  return {{"bare", [](const Workload& w, const std::vector<autolr::Batch>& b) { hand_written_loop(w, b); }},
          {"range_test", autolr_range_test},
          {"lr_find", autolr_lr_find}};
}

int time_workload(const autolr::ImageDataset& data, const std::string& name, int repeats) {
  if (name != kMlp.name && name != kTiny.name) {
    std::fprintf(stderr, "range_test_bench --time: workload = %s, expected mlp or tiny\n", name.c_str());
    return 2;
  }
  torch::set_num_threads(1);  // as the Python side
  Workload w = name == kMlp.name ? kMlp : kTiny;
  w.steps = 100;
  const auto batches = batches_for(w, data);
  const auto variants = all_variants();
  std::vector<std::vector<double>> times(variants.size());
  for (const auto& variant : variants) variant.second(w, batches);  // warm-up
  for (int i = 0; i < repeats; ++i) {
    for (std::size_t v = 0; v < variants.size(); ++v) {
      times[v].push_back(seconds([&] { variants[v].second(w, batches); }));
    }
  }
  const double first_loss = hand_written_loop(w, batches);
  for (std::size_t v = 0; v < variants.size(); ++v) {
    std::printf("%s %s %.6f %.6f\n", w.name, variants[v].first, median(times[v]), first_loss);
  }
  return 0;
}

// Under callgrind: each run once to warm up, then once with collection on,
// dumped as "<workload>/<variant>" for bench/count_instructions to read.
int count_instructions(const autolr::ImageDataset& data) {
  if (!RUNNING_ON_VALGRIND) {
    std::fprintf(stderr, "range_test_bench --instructions: run it through bench/count_instructions\n");
    return 2;
  }
  const auto variants = all_variants();
  // Steps measured and warm-up steps: callgrind runs ~50x slower than the
  // CPU, so the MLP (40 M instructions a step) gets 20 measured steps, the
  // tiny one the whole 100.
  for (const auto& [given, steps, warm_up] : {std::tuple{kMlp, 20, 5}, std::tuple{kTiny, 100, 10}}) {
    Workload w = given;
    const auto batches = batches_for(Workload{w.name, w.widths, w.batch, steps}, data);
    for (const auto& [name, run] : variants) {
      run(Workload{w.name, w.widths, w.batch, warm_up}, batches);
      w.steps = steps;
      CALLGRIND_ZERO_STATS;
      CALLGRIND_TOGGLE_COLLECT;
      run(w, batches);
      CALLGRIND_TOGGLE_COLLECT;
      const std::string region = std::string(w.name) + "/" + name + "/" + std::to_string(steps);
      CALLGRIND_DUMP_STATS_AT(region.c_str());  // a named string: the macro outlives a temporary
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const autolr::ImageDataset data = autolr::read_fashion_mnist();
  if (argc > 1 && std::strcmp(argv[1], "--instructions") == 0) return count_instructions(data);
  if (argc > 2 && std::strcmp(argv[1], "--time") == 0) {
    return time_workload(data, argv[2], argc > 3 ? std::atoi(argv[3]) : 5);
  }
  const int repeats = argc > 1 ? std::atoi(argv[1]) : 15;
  const Workload& w = kMlp;
  const auto batches = batches_for(w, data);
  std::printf("threads: %d, steps: %lld, batch: %lld, repeats: %d\n", torch::get_num_threads(),
              static_cast<long long>(w.steps), static_cast<long long>(w.batch), repeats);

  hand_written_loop(w, batches);  // warm-up: allocator, thread pool, caches
  autolr_lr_find(w, batches);
  std::vector<double> loops, tests, ratios;
  for (int i = 0; i < repeats; ++i) {
    const double loop = seconds([&] { hand_written_loop(w, batches); });
    const double test = seconds([&] { autolr_lr_find(w, batches); });
    loops.push_back(loop);
    tests.push_back(test);
    ratios.push_back(test / loop);
    std::printf("repeat %d: loop %.3f s, range test %.3f s, ratio %.4f\n", i, loop, test, test / loop);
  }
  std::printf("median loop %.3f s, median range test %.3f s\n", median(loops), median(tests));
  std::printf("range_test_overhead_ratio: %.4f\n", median(ratios));
  return 0;
}
