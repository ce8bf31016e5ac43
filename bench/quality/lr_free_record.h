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
/// Every recorded data order's `<directory>/<name><order_suffix>.lrfree.csv`,
/// each method's valid_loss the mean over the orders of the loss as the grid
/// scores it (no more than `untrained_loss`: a fit that blew up is worth no
/// training); lr and metric are order 1's. Empty when order 1 was not recorded.
std::vector<LrFreeFit> read_lr_free_fits_over_orders(const std::string& directory, const std::string& name,
                                                     double untrained_loss);

}  // namespace autolr::quality
