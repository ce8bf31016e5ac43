#pragma once
/// The recorded result of an LR range test: one learning rate and one loss per
/// step, the smoothed loss, and why the test stopped. Plain values only, no
/// LibTorch: a curve exported from fastai, torch-lr-finder or Lightning is an
/// LRCurve as much as one recorded by autolr.

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace autolr {

/// Why a range test ended. `Unknown` for curves read from files that do not say.
enum class StopReason {
  Completed,      ///< ran all planned steps
  Diverged,       ///< smoothed loss exceeded the divergence factor times the best
  NonFiniteLoss,  ///< a loss was NaN or infinite
  Stopped,        ///< a callback or the user asked the fit to stop
  Unknown,
};
std::string to_string(StopReason reason);
/// Requires: `text` is what to_string() returns. Throws InvalidArgument otherwise.
StopReason stop_reason_from_string(const std::string& text);

/// Where the smoothed losses came from. A curve exported by another tool
/// usually holds losses that are already smoothed, so autolr must not smooth
/// them a second time when suggesting.
enum class SmoothingSource {
  Recorded,  ///< recorded with the curve (by the range test, or a `smooth_loss` column)
  Computed,  ///< computed by autolr from the raw losses, which may already be smoothed
};

/// Exponential moving average with bias correction, as fastai, torch-lr-finder
/// and Lightning smooth the range-test loss:
///   avg_t = beta * avg_{t-1} + (1 - beta) * loss_t,  smoothed_t = avg_t / (1 - beta^t).
class EmaSmoother {
 public:
  /// Requires: 0 <= beta < 1. Throws InvalidArgument naming `beta` otherwise.
  explicit EmaSmoother(double beta = 0.98);
  /// Adds one loss and returns the bias-corrected average so far. A NaN or
  /// infinite loss is returned as it is and left out of the average, so the
  /// points after a bad batch keep finite values.
  double update(double loss);
  double beta() const noexcept { return beta_; }

 private:
  double beta_;
  double average_ = 0.0;
  double beta_power_ = 1.0;  // beta^t, kept as a product so no pow() per step
};

/// Smooths a whole series with EmaSmoother.
std::vector<double> ema_smooth(const std::vector<double>& losses, double beta = 0.98);

class LRCurve {
 public:
  static constexpr double kDefaultBeta = 0.98;

  /// An empty curve (no steps).
  LRCurve() = default;

  /// Smoothed losses are computed here (SmoothingSource::Computed).
  /// Requires: equal sizes; every lr finite, > 0 and strictly increasing;
  /// 0 <= beta < 1. Losses may be NaN or infinite (a diverged tail).
  /// Throws InvalidArgument naming the first offending element.
  LRCurve(std::vector<double> lrs, std::vector<double> losses, double beta = kDefaultBeta);

  /// Smoothed losses given by the caller (SmoothingSource::Recorded).
  /// Requires: as above, and smoothed_losses has the same size.
  LRCurve(std::vector<double> lrs, std::vector<double> losses, std::vector<double> smoothed_losses);

  std::size_t size() const noexcept { return lrs_.size(); }
  bool empty() const noexcept { return lrs_.empty(); }
  const std::vector<double>& lrs() const noexcept { return lrs_; }
  const std::vector<double>& losses() const noexcept { return losses_; }
  const std::vector<double>& smoothed_losses() const noexcept { return smoothed_; }
  SmoothingSource smoothing_source() const noexcept { return smoothing_source_; }

  StopReason stop_reason() const noexcept { return stop_reason_; }
  void set_stop_reason(StopReason reason) noexcept { stop_reason_ = reason; }

  /// The LR of every param group at each step (group-major), when the test
  /// ran with several groups; empty otherwise. lrs() is the last group's.
  const std::vector<std::vector<double>>& group_lrs() const noexcept { return group_lrs_; }
  /// Requires: every group has size() LRs. Throws InvalidArgument otherwise.
  void set_group_lrs(std::vector<std::vector<double>> group_lrs);

  /// How many steps the range test planned (fastai's num_it); fastai's default
  /// trimming skips planned_steps/10 points at the start. Unknown for files.
  std::optional<std::size_t> planned_steps() const noexcept { return planned_steps_; }
  /// Requires: steps >= size(). Throws InvalidArgument otherwise.
  void set_planned_steps(std::size_t steps);

 private:
  std::vector<double> lrs_;
  std::vector<double> losses_;
  std::vector<double> smoothed_;
  SmoothingSource smoothing_source_ = SmoothingSource::Recorded;
  StopReason stop_reason_ = StopReason::Unknown;
  std::optional<std::size_t> planned_steps_;
  std::vector<std::vector<double>> group_lrs_;
};

/// Two range tests of the same schedule in other data orders, read as one:
/// the mean raw loss at each step both reached (smoothed anew with EMA beta
/// 0.98), the first curve's LRs, and the stop reason of the one that stopped
/// first. Averaging halves the noise's variance where a single noisy curve
/// cannot be read. Throws InvalidArgument when either is empty or their LRs
/// differ at a common step (not the same schedule).
LRCurve combine_curves(const LRCurve& first, const LRCurve& second);

}  // namespace autolr
