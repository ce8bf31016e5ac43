#include "train/range_test/range_recording.h"

#include <torch/torch.h>

#include <cmath>

namespace autolr::detail {

bool range_test_diverged(double smoothed, double best, double first, double factor) {
  if (best > 0) return smoothed > factor * best;  // fastai's rule, exactly
  // Without a floor at 0 (a loss with an offset, a log-likelihood), the
  // descent so far stands for the distance to the floor that `best` is for
  // a positive loss: a rise of (factor - 1) times it is a divergence.
  const double descent = first - best;
  return descent > 0 && smoothed - best > (factor - 1) * descent;
}

RangeRecording::RangeRecording(const LRFinderOptions& options, std::size_t param_groups, const torch::Device& device)
    : options_(options),
      param_groups_(param_groups),
      readback_every_(options.readback_every() > 0 ? options.readback_every() : (device.is_cuda() ? 4 : 1)),
      smoother_(options.smoothing()) {}

void RangeRecording::set_lrs(torch::optim::Optimizer& optimizer) const {
  const auto lrs = range_test_lrs(options_, param_groups_, steps_ended_);
  for (std::size_t g = 0; g < lrs.size(); ++g) optimizer.param_groups()[g].options().set_lr(lrs[g]);
}

void RangeRecording::add_batch_loss(const torch::Tensor& loss) {
  if (on_host()) {
    host_loss_sum_ += loss.item<double>();  // as .to(kFloat64) and a double sum: the same bits
    ++step_batches_;
    return;
  }
  const torch::Tensor value = loss.detach().to(torch::kFloat64);
  step_loss_sum_ = step_batches_ == 0 ? value : step_loss_sum_ + value;
  ++step_batches_;
}

bool RangeRecording::end_step(const std::optional<torch::Tensor>& replacement) {
  if (on_host()) {
    const double loss = replacement ? replacement->item<double>() : host_loss_sum_ / static_cast<double>(step_batches_);
    host_loss_sum_ = 0;
    step_batches_ = 0;
    ++steps_ended_;
    if (!stop_) record(loss);
    return stop_.has_value();
  }
  if (replacement) {
    pending_.push_back(replacement->detach().to(torch::kFloat64));
  } else {
    pending_.push_back(step_loss_sum_ / static_cast<double>(step_batches_));
  }
  step_batches_ = 0;
  ++steps_ended_;
  if (static_cast<int64_t>(pending_.size()) >= readback_every_ || steps_ended_ >= options_.num_iter()) read_back();
  return stop_.has_value();
}

void RangeRecording::read_back() {
  if (pending_.empty()) return;
  // One host synchronisation for every pending step.
  const torch::Tensor values = torch::stack(pending_).to(torch::kCPU).contiguous();
  pending_.clear();
  const double* data = values.data_ptr<double>();
  for (int64_t i = 0; i < values.numel() && !stop_; ++i) record(data[i]);
}

void RangeRecording::record(double loss) {
  raw_.push_back(loss);
  const double smoothed = smoother_.update(loss);
  smoothed_.push_back(smoothed);
  if (!std::isfinite(loss) || !std::isfinite(smoothed)) {
    stop_ = StopReason::NonFiniteLoss;
    return;
  }
  // fastai's order: the best includes this step, then the comparison.
  best_ = raw_.size() == 1 ? smoothed : std::min(best_, smoothed);
  if (options_.diverge_factor() &&
      range_test_diverged(smoothed, best_, smoothed_.front(), *options_.diverge_factor())) {
    stop_ = StopReason::Diverged;
  } else if (static_cast<int64_t>(raw_.size()) >= options_.num_iter()) {
    stop_ = StopReason::Completed;
  }
}

std::optional<double> RangeRecording::last_smoothed() const {
  if (smoothed_.empty()) return std::nullopt;
  return smoothed_.back();
}

LRCurve RangeRecording::to_curve(bool interrupted) {
  read_back();
  std::vector<double> lrs;
  std::vector<std::vector<double>> group_lrs(param_groups_);
  for (int64_t step = 0; step < static_cast<int64_t>(raw_.size()); ++step) {
    const auto step_lrs = range_test_lrs(options_, param_groups_, step);
    lrs.push_back(step_lrs.back());
    for (std::size_t g = 0; g < param_groups_; ++g) group_lrs[g].push_back(step_lrs[g]);
  }
  LRCurve curve(std::move(lrs), raw_, smoothed_);
  curve.set_group_lrs(std::move(group_lrs));
  curve.set_planned_steps(static_cast<std::size_t>(options_.num_iter()));
  curve.set_stop_reason(stop_ ? *stop_ : (interrupted ? StopReason::Stopped : StopReason::Completed));
  return curve;
}

}  // namespace autolr::detail
