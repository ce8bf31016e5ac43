#pragma once
// The recording of one range test, shared by the LRFinder callback and the
// hand-written-loop range_test(): sets the LRs of each step, collects the
// loss without a host synchronisation per step, smooths it and applies the
// stop rule when the losses are read back.

#include <torch/optim/optimizer.h>

#include <cstdint>
#include <optional>
#include <vector>

#include "autolr/curve.h"
#include "autolr/range_test_options.h"

namespace autolr::detail {

/// The divergence rule for any loss scale and sign. For a positive best it is
/// fastai's: the smoothed loss exceeds `factor` times the best. Otherwise the
/// smoothed loss rose above the best by more than (factor - 1) times the
/// descent from the `first` smoothed loss to the best (never, while the loss
/// has not gone below its first value).
bool range_test_diverged(double smoothed, double best, double first, double factor);

class RangeRecording {
 public:
  /// Requires: validate(options, param_groups) passed.
  RangeRecording(const LRFinderOptions& options, std::size_t param_groups, const torch::Device& device);

  /// Sets every group's LR for the next optimizer step.
  void set_lrs(torch::optim::Optimizer& optimizer) const;
  /// Adds one batch's loss (detached, scalar) to the current step.
  void add_batch_loss(const torch::Tensor& loss);
  /// Ends the current optimizer step, recording the mean of its batch losses
  /// (or `replacement`, the validation loss). Returns true when the test is
  /// over: num_iter reached, the loss diverged or was not finite. With a
  /// readback every k steps, that is known up to k-1 steps late; the steps
  /// after the stop are then left out of the curve.
  bool end_step(const std::optional<torch::Tensor>& replacement = std::nullopt);
  /// Steps ended so far (including ones not read back yet).
  int64_t steps() const { return steps_ended_; }
  /// The last smoothed loss read back (for a progress bar; no synchronisation).
  std::optional<double> last_smoothed() const;
  /// Reads back what is pending and returns the curve; `interrupted` marks a
  /// test that ended before its own stop rule (an exception, a stop request).
  LRCurve to_curve(bool interrupted);

 private:
  void read_back();
  void record(double loss);
  // Reading back every step (the CPU's default), the loss is read as a bare
  // loop reads it, one item() per batch, with no tensor arithmetic around it;
  // otherwise it stays on the device until the next readback.
  bool on_host() const { return readback_every_ == 1; }

  LRFinderOptions options_;
  std::size_t param_groups_;
  int64_t readback_every_;
  double host_loss_sum_ = 0;
  torch::Tensor step_loss_sum_;
  int64_t step_batches_ = 0;
  int64_t steps_ended_ = 0;
  std::vector<torch::Tensor> pending_;
  std::vector<double> raw_, smoothed_;
  EmaSmoother smoother_;
  double best_ = 0;
  std::optional<StopReason> stop_;
};

}  // namespace autolr::detail
