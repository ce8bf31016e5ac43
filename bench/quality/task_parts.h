#pragma once
// The parts the benchmark's tasks are made of: data (Fashion-MNIST subsets,
// synthetic regression, documents and token sequences), models, optimizers,
// and the Task builders. Every part is seeded, so a task builds the same
// data and initial weights every time.

#include <torch/torch.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "tasks.h"

namespace autolr::quality {

std::shared_ptr<BatchSource> shuffled(const torch::Tensor& x, const torch::Tensor& y, int64_t batch);
/// Validation data: batches of 500 in order.
std::shared_ptr<BatchSource> in_order(const torch::Tensor& x, const torch::Tensor& y);
Trainer::BatchLossFunction cross_entropy();
Trainer::BatchLossFunction mse();

// --- Data -------------------------------------------------------------------

struct Split {
  torch::Tensor train_x, train_y, valid_x, valid_y;
};

/// A random subset of Fashion-MNIST's training file: n_train + n_valid distinct images.
Split fashion_subset(uint64_t seed, int64_t n_train, int64_t n_valid);
/// The first n training images of `split`, its validation part whole.
Split first_train(const Split& split, int64_t n);

/// `pick(x, y) -> (x', y')` applied to the training and the validation part alike.
template <typename Pick>
Split each_part(const Split& split, Pick pick) {
  auto [tx, ty] = pick(split.train_x, split.train_y);
  auto [vx, vy] = pick(split.valid_x, split.valid_y);
  return {tx, ty, vx, vy};
}

/// Images of the classes in [first, last), labels shifted to start at 0.
Split class_range(const Split& split, int64_t first, int64_t last);
/// Class c keeps a fraction decay^c of its images: a long tail of rare classes.
Split long_tailed(const Split& split, double decay);
/// One class against the rest, the class kept at `fraction` of the examples.
Split one_against_rest(const Split& split, int64_t positive, double fraction);
/// y = teacher(x) + noise for a random tanh teacher network, or a sum of sines.
Split teacher_regression(uint64_t seed, bool sines);
/// Synthetic documents: each class favours its own slice of the vocabulary.
std::vector<Batch> documents(int64_t count, int64_t size, int64_t vocabulary, int64_t classes);

// --- Models and optimizers --------------------------------------------------

using OptimizerFactory = std::function<std::unique_ptr<torch::optim::Optimizer>(std::vector<torch::Tensor>)>;

/// SGD with momentum 0.9.
OptimizerFactory sgd(double weight_decay = 0);
OptimizerFactory adam();
OptimizerFactory adamw(double weight_decay = 1e-2);
OptimizerFactory nesterov();

/// A plain feed-forward net: Linear layers of `widths` with `activation` ("relu" or "tanh") between.
torch::nn::Sequential mlp(const std::vector<int64_t>& widths, const std::string& activation = "relu");
/// Widths of a deep plain net: 784, `layers` hidden layers of `width`, 10.
std::vector<int64_t> deep_widths(int layers, int64_t width);
/// Two conv layers with BatchNorm and pooling, then a linear head (28x28 images, 10 classes).
torch::nn::Sequential small_cnn(int64_t c1, int64_t c2, bool average_pool);

/// A run whose model is built by `build` under a fixed seed, all parameters trained.
std::function<TaskRun()> sequential_run(uint64_t seed, std::function<torch::nn::Sequential()> build,
                                        OptimizerFactory optimizer);

void copy_parameters(torch::nn::Module& to, const std::vector<torch::Tensor>& from);
std::vector<torch::Tensor> cloned_parameters(torch::nn::Module& module);

/// A body 784-width-64 trained on classes 0-4 with its own head, then a new
/// 64-5 head for classes 5-9: the transfer-learning pair of stages.
struct Pretrained {
  std::vector<torch::Tensor> body;
  std::vector<torch::Tensor> head_after_frozen_epoch;  ///< the head after one frozen-body epoch
};
Pretrained pretrain(uint64_t seed, int64_t width, const Split& source, const Split& target);
/// Builds body + head at the pretrained weights; `unfrozen` trains all, else
/// the head only. `body_and_head_groups`: the optimizer has the body's
/// parameters in a first group and the head's in a second (for
/// discriminative LRs), else one group.
std::function<TaskRun()> transfer_run(uint64_t seed, int64_t width, std::shared_ptr<Pretrained> weights, bool unfrozen,
                                      OptimizerFactory optimizer, bool body_and_head_groups = false);

std::function<TaskRun()> bag_run(uint64_t seed, int64_t vocabulary, int64_t classes, OptimizerFactory optimizer);

// --- Tasks ------------------------------------------------------------------

/// The range test the tasks use: 1e-7 to end_lr over 100 steps.
LRFinderOptions range(double end_lr = 10.0);
/// Cross-entropy with accuracy, shuffled training batches of `batch`, 3 epochs.
Task classification(std::string name, Half half, std::string description, const Split& data, int64_t batch,
                    std::function<TaskRun()> start);
/// MSE without a metric, shuffled training batches of `batch`, 3 epochs.
Task regression(std::string name, Half half, std::string description, const Split& data,
                std::function<TaskRun()> start, int64_t batch = 64);
Task bag_task(std::string name, Half half, uint64_t seed, int64_t vocabulary, int64_t classes,
              OptimizerFactory optimizer, const std::string& optimizer_name);

/// The first corpus's fresh held-out set (tasks.cpp).
void add_fresh_held_out(std::vector<Task>& tasks);
/// The second corpus (tasks_second.cpp): the optimizers, models and budgets
/// the first one lacked; a third of it held out, recorded before the design.
void add_second_corpus(std::vector<Task>& tasks);

}  // namespace autolr::quality
