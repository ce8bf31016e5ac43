#include "autolr/batch.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include "autolr/error.h"
#include "core/check.h"

namespace autolr {

namespace {

// Shared by the sources that cut (inputs, targets) into batches.
void check_examples(const char* where, const torch::Tensor& inputs, const torch::Tensor& targets, int64_t batch_size) {
  AUTOLR_CHECK_ARGUMENT(batch_size >= 1, where, "batch_size", std::to_string(batch_size), "at least 1");
  AUTOLR_CHECK_ARGUMENT(inputs.defined() && inputs.dim() > 0 && inputs.size(0) > 0, where, "inputs.size(0)",
                        inputs.defined() && inputs.dim() > 0 ? std::to_string(inputs.size(0)) : "none",
                        "at least one example");
  AUTOLR_CHECK_ARGUMENT(targets.defined() && targets.dim() > 0 && targets.size(0) == inputs.size(0), where,
                        "targets.size(0)",
                        targets.defined() && targets.dim() > 0 ? std::to_string(targets.size(0)) : "none",
                        fmt::format("{} (inputs.size(0))", inputs.size(0)));
}

}  // namespace

int64_t Batch::size() const {
  if (input.defined() && input.dim() > 0) return input.size(0);
  for (const auto& [name, tensor] : inputs) {
    if (tensor.defined() && tensor.dim() > 0) return tensor.size(0);
  }
  return 0;
}

Batch Batch::to(const torch::Device& device) const {
  const auto move = [&](const torch::Tensor& t) {
    // Already there (every CPU step): no dispatch at all.
    return t.defined() && t.device() != device ? t.to(device, /*non_blocking=*/t.is_pinned()) : t;
  };
  Batch moved{move(input), move(target), {}};
  for (const auto& [name, tensor] : inputs) moved.inputs.emplace(name, move(tensor));
  return moved;
}

ShuffledBatches::ShuffledBatches(torch::Tensor inputs, torch::Tensor targets, int64_t batch_size)
    : inputs_(std::move(inputs)), targets_(std::move(targets)), batch_size_(batch_size) {
  check_examples("ShuffledBatches", inputs_, targets_, batch_size);
}

void ShuffledBatches::begin_epoch() {
  order_ = torch::randperm(inputs_.size(0), torch::TensorOptions().dtype(torch::kLong));
  position_ = 0;
}

std::optional<Batch> ShuffledBatches::next() {
  if (!order_.defined()) begin_epoch();
  if (position_ >= inputs_.size(0)) return std::nullopt;
  const auto rows = order_.narrow(0, position_, std::min(batch_size_, inputs_.size(0) - position_));
  position_ += rows.size(0);
  return Batch{inputs_.index_select(0, rows), targets_.index_select(0, rows), {}};
}

std::optional<int64_t> ShuffledBatches::size() const { return (inputs_.size(0) + batch_size_ - 1) / batch_size_; }

std::shared_ptr<BatchSource> batches(std::vector<Batch> batches) {
  return std::make_shared<VectorBatches>(std::move(batches));
}

std::vector<Batch> split_into_batches(const torch::Tensor& inputs, const torch::Tensor& targets, int64_t batch_size) {
  check_examples("split_into_batches", inputs, targets, batch_size);
  std::vector<Batch> result;
  for (int64_t start = 0; start < inputs.size(0); start += batch_size) {
    const int64_t length = std::min(batch_size, inputs.size(0) - start);
    result.push_back(Batch{inputs.narrow(0, start, length), targets.narrow(0, start, length), {}});
  }
  return result;
}

}  // namespace autolr
