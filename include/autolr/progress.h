#pragma once
/// A one-line progress bar for fits and range tests on a terminal:
/// "epoch 2/5  312/469 [=======>    ] loss 0.4321  812.3 steps/s".
/// Silent when stderr is not a terminal or when disabled. Redraws at most
/// ten times a second, and only then asks for the loss, so reading a CUDA
/// loss does not synchronise every step.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace autolr {

class ProgressBar {
 public:
  /// `total` steps, or nullopt when unknown.
  ProgressBar(bool enabled, std::string label, std::optional<int64_t> total);
  ~ProgressBar();
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  /// Reports `done` steps; `loss` is called only when the bar is redrawn.
  void update(int64_t done, const std::function<std::optional<double>()>& loss);
  /// Clears the line.
  void finish();
  bool active() const { return enabled_; }

 private:
  bool enabled_;
  std::string label_;
  std::optional<int64_t> total_;
  std::chrono::steady_clock::time_point start_, last_draw_;
  bool drawn_ = false;
};

/// Whether stderr is a terminal.
bool stderr_is_terminal();

}  // namespace autolr
