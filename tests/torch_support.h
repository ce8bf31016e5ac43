#pragma once
// Real LibTorch models, data and optimizers for the tests, and an exact
// capture of everything a range test may change, to compare bit for bit.

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

#include "autolr/batch.h"

namespace autolr::test {

/// A small classifier with a frozen first layer, BatchNorm and Dropout (so
/// RNG state matters). Deliberately not Cloneable.
struct ClassifierImpl : torch::nn::Module {
  explicit ClassifierImpl(int64_t inputs = 8, int64_t classes = 3);
  torch::Tensor forward(torch::Tensor x);
  torch::nn::Linear frozen{nullptr}, hidden{nullptr}, head{nullptr};
  torch::nn::BatchNorm1d norm{nullptr};
  torch::nn::Dropout dropout{nullptr};
};
TORCH_MODULE(Classifier);

/// Learnable synthetic classification data: `batches` batches of `batch_size`.
std::vector<Batch> classification_batches(int64_t batches, int64_t batch_size, int64_t inputs = 8, int64_t classes = 3,
                                          uint64_t seed = 1);

enum class OptimizerKind { Sgd, Adam, AdamW, RmsProp, Adagrad, ScheduleFreeAdamW, ScheduleFreeSgd, Prodigy };
std::string to_string(OptimizerKind kind);
std::vector<OptimizerKind> all_optimizer_kinds();
std::unique_ptr<torch::optim::Optimizer> make_optimizer(OptimizerKind kind, std::vector<torch::Tensor> parameters);

torch::Tensor cross_entropy(const torch::Tensor& output, const torch::Tensor& target);

/// Copies of every parameter, gradient, buffer, train flag, optimizer state
/// tensor and step count, and each group's learning rate.
struct CapturedState {
  std::vector<std::string> names;
  std::vector<torch::Tensor> tensors;
  std::vector<double> numbers;
};
CapturedState capture(torch::nn::Module& model, torch::optim::Optimizer& optimizer);
/// Every tensor torch::equal (same dtype, shape, values) and every number equal.
::testing::AssertionResult identical(const CapturedState& before, const CapturedState& after);

}  // namespace autolr::test
