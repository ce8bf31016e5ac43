#pragma once
// What the benchmark records for one task's fits with the learning-rate-free
// optimizers (and a range test feeding one of them): plain values, no
// LibTorch, so the scoring stays cheap.

#include <string>
#include <vector>

namespace autolr::quality {

struct LrFreeFit {
  std::string method;     ///< e.g. "schedule-free-adamw"
  double lr = 0;          ///< the lr it trained with (Prodigy: the multiplier of its own estimate)
  double valid_loss = 0;  ///< after the fit; NaN or inf when it diverged
  double metric = 0;      ///< NaN when the task has no metric
  double seconds = 0;
};

/// `method,lr,valid_loss,metric,seconds` rows (17 digits), atomically.
void write_lr_free_fits(const std::vector<LrFreeFit>& fits, const std::string& path);
/// Throws FormatError naming the path and line for a missing file or a malformed line.
std::vector<LrFreeFit> read_lr_free_fits(const std::string& path);

}  // namespace autolr::quality
