#include "autolr/batch.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include "autolr/error.h"
#include "check.h"

namespace autolr {

int64_t Batch::size() const {
  if (input.defined() && input.dim() > 0) return input.size(0);
  for (const auto& [name, tensor] : inputs) {
    if (tensor.defined() && tensor.dim() > 0) return tensor.size(0);
  }
  return 0;
}

Batch Batch::to(const torch::Device& device) const {
  const auto move = [&](const torch::Tensor& t) {
    return t.defined() ? t.to(device, /*non_blocking=*/t.is_pinned()) : t;
  };
  Batch moved{move(input), move(target), {}};
  for (const auto& [name, tensor] : inputs) moved.inputs.emplace(name, move(tensor));
  return moved;
}

std::shared_ptr<BatchSource> batches(std::vector<Batch> batches) {
  return std::make_shared<VectorBatches>(std::move(batches));
}

std::vector<Batch> split_into_batches(const torch::Tensor& inputs, const torch::Tensor& targets, int64_t batch_size) {
  AUTOLR_CHECK_ARGUMENT(batch_size >= 1, "split_into_batches", "batch_size", std::to_string(batch_size), "at least 1");
  AUTOLR_CHECK_ARGUMENT(
      inputs.defined() && inputs.dim() > 0 && inputs.size(0) > 0, "split_into_batches", "inputs.size(0)",
      inputs.defined() && inputs.dim() > 0 ? std::to_string(inputs.size(0)) : "none", "at least one example");
  AUTOLR_CHECK_ARGUMENT(targets.defined() && targets.dim() > 0 && targets.size(0) == inputs.size(0),
                        "split_into_batches", "targets.size(0)",
                        targets.defined() && targets.dim() > 0 ? std::to_string(targets.size(0)) : "none",
                        fmt::format("{} (inputs.size(0))", inputs.size(0)));
  std::vector<Batch> result;
  for (int64_t start = 0; start < inputs.size(0); start += batch_size) {
    const int64_t length = std::min(batch_size, inputs.size(0) - start);
    result.push_back(Batch{inputs.narrow(0, start, length), targets.narrow(0, start, length), {}});
  }
  return result;
}

}  // namespace autolr
