#pragma once
/// The LR range test: the learning rate grows from start_lr to end_lr over
/// num_iter optimizer steps while the loss is recorded, until the loss
/// diverges; then the model, optimizer and RNG state are restored bit for bit.
/// Use it as a Callback in Trainer::fit (lr_find(trainer) does this for you)
/// or drive a hand-written loop with range_test().

#include <torch/nn/module.h>
#include <torch/optim/optimizer.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "autolr/callback.h"
#include "autolr/curve.h"
#include "autolr/range_test_options.h"
#include "autolr/snapshot.h"
#include "autolr/suggest.h"
#include "autolr/trainer.h"

namespace autolr {

/// The range-test callback. After the fit, curve() holds the recording.
class LRFinder : public Callback {
 public:
  explicit LRFinder(LRFinderOptions options = {});
  ~LRFinder() override;

  /// The validation loss to record after each step (use_validation).
  void set_validation_loss(std::function<torch::Tensor()> validation_loss);

  void on_fit_begin(FitContext& context) override;
  void on_batch_begin(FitContext& context) override;
  void on_after_loss(FitContext& context) override;
  void on_after_step(FitContext& context) override;
  void on_fit_end(FitContext& context) override;

  const LRFinderOptions& options() const { return options_; }
  /// The recorded curve: per-step LR (and per group), raw and smoothed loss, why it stopped.
  const LRCurve& curve() const { return curve_; }
  /// Suggests on the curve (the default method unless given), trimmed as
  /// SuggestOptions says (fastai's num_iter/10 and 5 for fastai's methods).
  Suggestion suggest(Method method = kDefaultMethod, const SuggestOptions& options = {}) const;

 private:
  class Recording;
  LRFinderOptions options_;
  std::function<torch::Tensor()> validation_loss_;
  std::unique_ptr<Recording> recording_;
  std::unique_ptr<Snapshot> snapshot_;
  LRCurve curve_;
};

/// A range test over a hand-written loop. `train_step(step)` runs one
/// optimizer step (zero_grad, forward, backward, optimizer.step()) and returns
/// its loss; range_test sets the LRs before each call and records the loss.
/// Requires: `optimizer` optimises `model`'s parameters. Restores model,
/// optimizer and RNG afterwards (unless options.restore(false)), also when
/// train_step throws; the exception then reaches the caller.
LRCurve range_test(torch::nn::Module& model, torch::optim::Optimizer& optimizer,
                   const std::function<torch::Tensor(int64_t step)>& train_step, const LRFinderOptions& options = {});

/// Runs the LR range test (LRFinder) on the trainer's training data,
/// restarting it if it runs out before num_iter steps, and returns the curve.
/// Only the finder runs: the Trainer's own callbacks (a scheduler, say) would
/// fight it over the learning rate. Model, optimizer and RNG are restored
/// afterwards, also when it throws.
/// Throws InvalidArgument for invalid options before anything changes.
LRCurve lr_find(Trainer& trainer, const LRFinderOptions& options = {});

}  // namespace autolr
