#pragma once
/// A small training loop for LibTorch, which has none: a model, an optimizer,
/// a loss, batches, callbacks. fit() trains; everything else runs through
/// callbacks: the range test (lr_find in lr_finder.h), one cycle
/// (fit_one_cycle in one_cycle.h) and auto_fit (auto_fit.h) attach to the
/// Trainer from their own headers.

#include <torch/nn/module.h>
#include <torch/optim/optimizer.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "autolr/arg.h"
#include "autolr/batch.h"
#include "autolr/callback.h"

namespace autolr {

class DistributedGroup;

/// A metric summed over a batch's examples (e.g. the number of correct
/// predictions); the epoch's value is the sum over all batches / examples.
struct Metric {
  std::string name;
  std::function<torch::Tensor(const torch::Tensor& output, const Batch& batch)> batch_sum;
};

/// Classification accuracy: argmax over dimension 1 equals the target.
Metric accuracy();

struct EpochRecord {
  int64_t epoch = 0;                 ///< 0-based
  int64_t steps = 0;                 ///< optimizer steps in this epoch
  double train_loss = 0;             ///< mean over the epoch's examples
  std::optional<double> valid_loss;  ///< when validation data is set
  std::optional<double> metric;      ///< on the validation data, when a metric and validation data are set
  double seconds = 0;
};

struct TrainerOptions {
  /// Where the model is moved and each batch is sent.
  AUTOLR_ARG(torch::Device, device) = torch::Device(torch::kCPU);
  /// Batches per optimizer step (gradient accumulation).
  AUTOLR_ARG(int64_t, accumulation_steps) = 1;
  /// A progress bar on a terminal.
  AUTOLR_ARG(bool, progress) = true;
  /// Data-parallel training over a c10d process group (autolr/distributed.h):
  /// rank 0's weights are broadcast when the Trainer is made, gradients are
  /// averaged after backward, losses and evaluations over the ranks; rank 0
  /// alone draws progress bars and prints. Null: one process.
  AUTOLR_ARG(std::shared_ptr<DistributedGroup>, distributed) = nullptr;
};

/// How Trainer::run drives one fit.
struct FitOptions {
  /// Epochs to train (at least 1); nullopt: until a callback requests a stop,
  /// restarting the training data as often as needed (a range test).
  AUTOLR_ARG(std::optional<int64_t>, epochs) = std::nullopt;
  /// Batches per optimizer step; nullopt: TrainerOptions::accumulation_steps.
  AUTOLR_ARG(std::optional<int64_t>, accumulation_steps) = std::nullopt;
  /// Append an EpochRecord per epoch to history(): the epoch's mean training
  /// loss and, with validation data, its evaluation. Off: none of that work.
  AUTOLR_ARG(bool, record_history) = true;
  /// Run the callbacks added with add_callback, before the given ones.
  AUTOLR_ARG(bool, trainer_callbacks) = true;
  /// The progress bar's label ("epoch" is followed by "i/n").
  AUTOLR_ARG(std::string, label) = "epoch";
};

struct Evaluation {
  double loss = 0;
  std::optional<double> metric;
  int64_t examples = 0;
};

class Trainer {
 public:
  using LossFunction = std::function<torch::Tensor(const torch::Tensor& output, const torch::Tensor& target)>;
  using BatchLossFunction = std::function<torch::Tensor(const torch::Tensor& output, const Batch& batch)>;
  using ForwardFunction = std::function<torch::Tensor(const Batch& batch)>;

  /// For a module holder whose forward takes the batch's input:
  /// `Trainer(net, optimizer, loss, batches(...))` with
  /// `loss(output, target) -> scalar tensor`.
  template <typename ModuleHolder>
  Trainer(ModuleHolder model, torch::optim::Optimizer& optimizer, LossFunction loss,
          std::shared_ptr<BatchSource> train_data, TrainerOptions options = {})
      : Trainer(
            model.ptr(), [module = model.ptr()](const Batch& batch) { return module->forward(batch.input); }, optimizer,
            pair_loss(std::move(loss)), std::move(train_data), std::move(options)) {}

  /// For any module and any batch: `forward(batch)` returns the output,
  /// `loss(output, batch)` the scalar loss (dict batches, several inputs).
  /// Requires: `optimizer` optimises `model`'s parameters and outlives the Trainer.
  /// Throws InvalidArgument for a null model, data or function, or accumulation_steps < 1.
  Trainer(std::shared_ptr<torch::nn::Module> model, ForwardFunction forward, torch::optim::Optimizer& optimizer,
          BatchLossFunction loss, std::shared_ptr<BatchSource> train_data, TrainerOptions options = {});

  void set_validation_data(std::shared_ptr<BatchSource> data);
  void set_metric(Metric metric);
  /// Callbacks that run in every fit, before the ones passed to fit().
  void add_callback(std::shared_ptr<Callback> callback);

  /// Trains for `epochs` epochs (at least 1), calling the callbacks' hooks.
  /// Appends one EpochRecord per epoch to history().
  /// Throws InvalidArgument when the training data yields no batch or the
  /// loss is not a scalar. Whatever a hook or the loss throws reaches the
  /// caller after every callback's on_fit_end ran.
  void fit(int64_t epochs, const std::vector<Callback*>& callbacks = {});

  /// The one loop behind fit(), lr_find(), fit_one_cycle() and auto_fit():
  /// a fit as `options` says, with `callbacks` (after the Trainer's own,
  /// unless options.trainer_callbacks(false)). Throws as fit().
  void run(const FitOptions& options, const std::vector<Callback*>& callbacks);

  /// Mean loss (and metric) over `data`, in eval mode without gradients.
  /// Distributed: over every rank's `data`, so every rank must call it.
  Evaluation evaluate(BatchSource& data);
  /// The mean loss over `data` as a scalar tensor on the device, read back
  /// by nobody (the range test's validation loss stays on the GPU).
  /// Distributed: over every rank's `data`. Throws InvalidArgument when
  /// `data` yields no batch.
  torch::Tensor mean_loss(BatchSource& data);

  const std::vector<EpochRecord>& history() const { return history_; }
  BatchSource& train_data() { return *train_data_; }
  /// Null until set_validation_data.
  BatchSource* validation_data() { return valid_data_.get(); }
  torch::nn::Module& model() { return *model_; }
  torch::optim::Optimizer& optimizer() { return optimizer_; }
  const TrainerOptions& options() const { return options_; }
  /// False on ranks other than 0 of a distributed fit: they neither print nor write.
  bool is_main_process() const;

 private:
  static BatchLossFunction pair_loss(LossFunction loss);
  torch::Tensor checked_loss(const torch::Tensor& output, const Batch& batch);
  // Sums over `data` in eval mode without gradients, kept on the device.
  struct EvaluationSums {
    torch::Tensor loss;    // sum of batch loss * batch size
    torch::Tensor metric;  // sum of the metric's batch sums; undefined without a metric
    int64_t examples = 0;
  };
  /// Throws InvalidArgument("<where>: <what> = empty ...") when `data` yields no batch.
  /// Distributed: every rank's sums added up.
  EvaluationSums evaluation_sums(BatchSource& data, bool with_metric, const char* where, const char* what);

  std::shared_ptr<torch::nn::Module> model_;
  ForwardFunction forward_;
  torch::optim::Optimizer& optimizer_;
  BatchLossFunction loss_;
  std::shared_ptr<BatchSource> train_data_;
  std::shared_ptr<BatchSource> valid_data_;
  std::optional<Metric> metric_;
  std::vector<std::shared_ptr<Callback>> callbacks_;
  TrainerOptions options_;
  std::vector<EpochRecord> history_;
};

}  // namespace autolr
