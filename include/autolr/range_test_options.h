#pragma once
/// What a range test does: the LR schedule from start_lr to end_lr, the
/// smoothing, the stop rule, the snapshot. Shared by the LRFinder callback,
/// range_test() over a hand-written loop, and their recording.

#include <cstdint>
#include <optional>
#include <vector>

#include "autolr/arg.h"
#include "autolr/snapshot.h"

namespace autolr {

enum class RangeMode {
  Exponential,  ///< lr_i = start * (end/start)^(i/(n-1)), as fastai and torch-lr-finder
  Linear,       ///< lr_i = start + (end-start) * i/(n-1)
};

struct LRFinderOptions {
  AUTOLR_ARG(double, start_lr) = 1e-7;
  AUTOLR_ARG(double, end_lr) = 10.0;
  /// Optimizer steps; end_lr is reached exactly on the last one.
  AUTOLR_ARG(int64_t, num_iter) = 100;
  AUTOLR_ARG(RangeMode, mode) = RangeMode::Exponential;
  /// EMA beta of the smoothed loss (bias-corrected); 0 turns smoothing off.
  AUTOLR_ARG(double, smoothing) = 0.98;
  /// Stop when the smoothed loss exceeds this times the best so far (fastai's
  /// rule); nullopt never stops early. When the best is 0 or negative (a loss
  /// with an offset, a log-likelihood): stop when the smoothed loss has risen
  /// above the best by (factor - 1) times the descent from the first smoothed
  /// loss to the best.
  AUTOLR_ARG(std::optional<double>, diverge_factor) = 4.0;
  /// Batches per optimizer step; the LR advances once per step and the
  /// recorded loss is the mean over the step's batches.
  AUTOLR_ARG(int64_t, accumulation_steps) = 1;
  /// One start LR per param group (earliest layers first): every group's LR
  /// is multiplied by the same factor each step, so their ratios are kept.
  /// The last group reaches end_lr and is the curve's `lrs`. Empty: every
  /// group runs from start_lr.
  AUTOLR_ARG(std::vector<double>, group_start_lrs) = {};
  /// Record the validation loss after each step instead of the training loss
  /// (torch-lr-finder's val_loader). lr_find(trainer) needs validation data for it.
  AUTOLR_ARG(bool, use_validation) = false;
  /// Where the snapshot of model and optimizer lives during the test.
  AUTOLR_ARG(SnapshotOptions, snapshot) = {};
  /// Put the model, optimizer and RNG back after the test (default).
  AUTOLR_ARG(bool, restore) = true;
  /// Steps between readbacks of the recorded losses. 0: every step on CPU,
  /// every 4 on CUDA, so the loss is not synchronised to the host each step;
  /// a divergence is then seen up to 3 steps late and the extra steps dropped.
  AUTOLR_ARG(int64_t, readback_every) = 0;
  /// Draw a progress bar on a terminal.
  AUTOLR_ARG(bool, progress) = true;
};

/// Throws InvalidArgument naming the option unless: 0 < start_lr < end_lr
/// (finite), num_iter >= 2, 0 <= smoothing < 1, diverge_factor > 1,
/// accumulation_steps >= 1, readback_every >= 0, group_start_lrs empty or one
/// finite value > 0 per group, each below end_lr.
void validate(const LRFinderOptions& options, std::size_t param_groups);

/// The LRs of every param group at step `step` (0-based) of the test.
std::vector<double> range_test_lrs(const LRFinderOptions& options, std::size_t param_groups, int64_t step);

}  // namespace autolr
