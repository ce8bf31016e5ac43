#pragma once
/// What the Trainer and the range test iterate over: batches of an input and
/// a target, from a LibTorch DataLoader, a vector, or any source you write.

#include <torch/data/example.h>
#include <torch/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace autolr {

/// One batch. `input` and `target` cover the common case; `inputs` holds
/// further named tensors (a dict batch, several inputs) for a custom forward.
struct Batch {
  torch::Tensor input;
  torch::Tensor target;
  std::map<std::string, torch::Tensor> inputs;

  /// Number of examples: input's first dimension (or the first named input's).
  int64_t size() const;
  /// A copy with every tensor on `device`; non_blocking when the source is pinned.
  Batch to(const torch::Device& device) const;
};

/// A stream of batches, one epoch at a time.
class BatchSource {
 public:
  virtual ~BatchSource() = default;
  /// Starts a new pass over the data (reshuffles, if the source shuffles).
  virtual void begin_epoch() = 0;
  /// The next batch of this pass, or nothing at its end.
  virtual std::optional<Batch> next() = 0;
  /// Batches per pass, when the source knows it (one-cycle schedules need it).
  virtual std::optional<int64_t> size() const { return std::nullopt; }
};

/// Batches held in memory, served in order.
class VectorBatches : public BatchSource {
 public:
  explicit VectorBatches(std::vector<Batch> batches) : batches_(std::move(batches)) {}
  void begin_epoch() override { position_ = 0; }
  std::optional<Batch> next() override {
    if (position_ >= batches_.size()) return std::nullopt;
    return batches_[position_++];
  }
  std::optional<int64_t> size() const override { return static_cast<int64_t>(batches_.size()); }

 private:
  std::vector<Batch> batches_;
  std::size_t position_ = 0;
};

/// (inputs, targets) cut into batches in a new random order every epoch. The
/// order is drawn from LibTorch's global generator, so torch::manual_seed
/// fixes it and a range test's snapshot restores it.
class ShuffledBatches : public BatchSource {
 public:
  /// Throws InvalidArgument for batch_size < 1, empty inputs or mismatched first dimensions.
  ShuffledBatches(torch::Tensor inputs, torch::Tensor targets, int64_t batch_size);
  void begin_epoch() override;
  std::optional<Batch> next() override;
  std::optional<int64_t> size() const override;

 private:
  torch::Tensor inputs_, targets_, order_;
  int64_t batch_size_;
  int64_t position_ = 0;
};

/// A LibTorch DataLoader (from torch::data::make_data_loader). Its batches may
/// be stacked (`Example<>`, with the Stack transform) or a vector of examples,
/// which are stacked here.
template <typename Loader>
class LoaderBatches : public BatchSource {
 public:
  explicit LoaderBatches(std::unique_ptr<Loader> loader) : loader_(std::move(loader)) {}
  void begin_epoch() override {
    position_.reset();
    position_.emplace(loader_->begin());
  }
  std::optional<Batch> next() override {
    if (!position_) begin_epoch();
    if (*position_ == loader_->end()) return std::nullopt;
    Batch batch = to_batch(**position_);
    ++*position_;
    return batch;
  }

 private:
  static Batch to_batch(const torch::data::Example<>& example) { return Batch{example.data, example.target, {}}; }
  static Batch to_batch(const std::vector<torch::data::Example<>>& examples) {
    std::vector<torch::Tensor> data, targets;
    for (const auto& example : examples) {
      data.push_back(example.data);
      targets.push_back(example.target);
    }
    return Batch{torch::stack(data), torch::stack(targets), {}};
  }

  std::unique_ptr<Loader> loader_;
  std::optional<decltype(std::declval<Loader&>().begin())> position_;
};

/// Wraps a DataLoader: `autolr::batches(torch::data::make_data_loader(...))`.
template <typename Loader>
std::shared_ptr<BatchSource> batches(std::unique_ptr<Loader> loader) {
  return std::make_shared<LoaderBatches<Loader>>(std::move(loader));
}

/// Wraps batches held in memory.
std::shared_ptr<BatchSource> batches(std::vector<Batch> batches);

/// Cuts (inputs, targets) into batches of `batch_size` along the first
/// dimension, in order (the last batch may be smaller).
/// Throws InvalidArgument for batch_size < 1, mismatched first dimensions or empty tensors.
std::vector<Batch> split_into_batches(const torch::Tensor& inputs, const torch::Tensor& targets, int64_t batch_size);

}  // namespace autolr
