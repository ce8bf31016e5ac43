#pragma once
/// Callbacks: code that runs at fixed points of a fit. Every hook is optional
/// (a no-op by default), every hook gets the same FitContext, and callbacks run
/// in the order they were added. The Trainer calls on_fit_end even when the
/// fit throws (with `context.error` set), so a callback that changed the model
/// or optimizer can always put them back.
///
/// Order of hooks in a fit:
///   on_fit_begin
///     on_epoch_begin
///       on_batch_begin, on_after_loss, on_after_backward, [on_after_step], on_batch_end   (per batch)
///     on_epoch_end            (after validation of the epoch)
///   on_fit_end
/// on_after_step runs only when the optimizer stepped (every batch, or every
/// accumulation_steps batches with gradient accumulation).

#include <torch/nn/module.h>
#include <torch/optim/optimizer.h>

#include <cstdint>
#include <exception>
#include <string>

#include "autolr/batch.h"

namespace autolr {

class DistributedGroup;

struct FitContext {
  FitContext(torch::nn::Module& model, torch::optim::Optimizer& optimizer, torch::Device device)
      : model(model), optimizer(optimizer), device(device) {}

  torch::nn::Module& model;
  torch::optim::Optimizer& optimizer;
  torch::Device device;
  /// The process group of a data-parallel fit (TrainerOptions::distributed); null in one process.
  const DistributedGroup* distributed = nullptr;

  int64_t epoch = 0;               ///< 0-based
  int64_t epochs = 0;              ///< planned epochs of this fit
  int64_t batch = 0;               ///< index of the batch within the epoch
  int64_t step = 0;                ///< optimizer steps taken so far in this fit
  int64_t micro_step = 0;          ///< position in the gradient accumulation, 0..accumulation_steps-1
  int64_t accumulation_steps = 1;  ///< batches per optimizer step
  bool will_step = true;           ///< whether the optimizer steps after this batch

  const Batch* current_batch = nullptr;  ///< the batch being processed, on `device`
  torch::Tensor output;                  ///< the model's output for it
  torch::Tensor loss;                    ///< its scalar loss (unscaled by accumulation)

  /// Set when the fit is ending because of an exception (in on_fit_end only).
  std::exception_ptr error;

  /// Asks the fit to stop after the current batch's hooks.
  void request_stop(std::string reason) {
    stop_requested_ = true;
    stop_reason_ = std::move(reason);
  }
  bool stop_requested() const { return stop_requested_; }
  const std::string& stop_reason() const { return stop_reason_; }

 private:
  bool stop_requested_ = false;
  std::string stop_reason_;
};

class Callback {
 public:
  virtual ~Callback() = default;
  virtual void on_fit_begin(FitContext&) {}
  virtual void on_epoch_begin(FitContext&) {}
  virtual void on_batch_begin(FitContext&) {}
  virtual void on_after_loss(FitContext&) {}
  virtual void on_after_backward(FitContext&) {}
  virtual void on_after_step(FitContext&) {}
  virtual void on_batch_end(FitContext&) {}
  virtual void on_epoch_end(FitContext&) {}
  virtual void on_fit_end(FitContext&) {}
};

}  // namespace autolr
