#include "autolr/lr_finder.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <cmath>

#include "autolr/distributed.h"
#include "autolr/error.h"
#include "check.h"
#include "range_recording.h"
#include "torch_checks.h"

namespace autolr {
namespace {

constexpr const char* kWhere = "LRFinderOptions";

void check_has_trainable_parameters(const torch::optim::Optimizer& optimizer, const char* where) {
  for (const auto& group : optimizer.param_groups()) {
    for (const auto& parameter : group.params()) {
      if (parameter.requires_grad()) return;
    }
  }
  throw InvalidArgument(fmt::format(
      "{}: the optimizer has no trainable parameters (none with requires_grad), expected at least one", where));
}

}  // namespace

void validate(const LRFinderOptions& o, std::size_t param_groups) {
  const bool per_group = !o.group_start_lrs().empty();
  if (!per_group) {
    AUTOLR_CHECK_ARGUMENT(std::isfinite(o.start_lr()) && o.start_lr() > 0, kWhere, "start_lr",
                          detail::format_double(o.start_lr()), "a finite value > 0");
  }
  AUTOLR_CHECK_ARGUMENT(std::isfinite(o.end_lr()), kWhere, "end_lr", detail::format_double(o.end_lr()),
                        "a finite value");
  if (!per_group) {
    AUTOLR_CHECK_ARGUMENT(o.end_lr() > o.start_lr(), kWhere, "end_lr", detail::format_double(o.end_lr()),
                          fmt::format("greater than start_lr = {}", detail::format_double(o.start_lr())));
  }
  AUTOLR_CHECK_ARGUMENT(o.num_iter() >= 2, kWhere, "num_iter", std::to_string(o.num_iter()), "at least 2");
  AUTOLR_CHECK_ARGUMENT(o.smoothing() >= 0 && o.smoothing() < 1, kWhere, "smoothing",
                        detail::format_double(o.smoothing()), "a value in [0, 1)");
  if (o.diverge_factor()) {
    AUTOLR_CHECK_ARGUMENT(*o.diverge_factor() > 1, kWhere, "diverge_factor", detail::format_double(*o.diverge_factor()),
                          "a value > 1, or nullopt to never stop early");
  }
  AUTOLR_CHECK_ARGUMENT(o.accumulation_steps() >= 1, kWhere, "accumulation_steps",
                        std::to_string(o.accumulation_steps()), "at least 1");
  AUTOLR_CHECK_ARGUMENT(o.readback_every() >= 0, kWhere, "readback_every", std::to_string(o.readback_every()),
                        "a value >= 0 (0: automatic)");
  AUTOLR_CHECK_ARGUMENT(param_groups >= 1, kWhere, "param_groups", std::to_string(param_groups), "at least 1");
  if (per_group) {
    AUTOLR_CHECK_ARGUMENT(o.group_start_lrs().size() == param_groups, kWhere, "group_start_lrs.size()",
                          std::to_string(o.group_start_lrs().size()),
                          fmt::format("{} (one per param group of the optimizer)", param_groups));
    for (std::size_t g = 0; g < param_groups; ++g) {
      const double lr = o.group_start_lrs()[g];
      AUTOLR_CHECK_ARGUMENT(std::isfinite(lr) && lr > 0 && lr < o.end_lr(), kWhere,
                            fmt::format("group_start_lrs[{}]", g), detail::format_double(lr),
                            fmt::format("a finite value > 0 and below end_lr = {}", detail::format_double(o.end_lr())));
    }
  }
}

std::vector<double> range_test_lrs(const LRFinderOptions& o, std::size_t param_groups, int64_t step) {
  const bool per_group = !o.group_start_lrs().empty();
  const double start = per_group ? o.group_start_lrs().back() : o.start_lr();
  const double end = o.end_lr();
  const int64_t last = o.num_iter() - 1;
  const double t = static_cast<double>(step) / static_cast<double>(last);
  // The reference (last) group; exactly end_lr on the last step, whatever the rounding.
  double lr = step >= last                         ? end
              : o.mode() == RangeMode::Exponential ? start * std::pow(end / start, t)
                                                   : start + (end - start) * t;
  std::vector<double> lrs(param_groups, lr);
  if (per_group) {
    for (std::size_t g = 0; g + 1 < param_groups; ++g) lrs[g] = lr * (o.group_start_lrs()[g] / start);
  }
  return lrs;
}

// The recording is the shared detail::RangeRecording; the alias keeps the
// header free of the internal type.
class LRFinder::Recording : public detail::RangeRecording {
  using detail::RangeRecording::RangeRecording;
};

LRFinder::LRFinder(LRFinderOptions options) : options_(std::move(options)) {}
LRFinder::~LRFinder() = default;

void LRFinder::set_validation_loss(std::function<torch::Tensor()> validation_loss) {
  validation_loss_ = std::move(validation_loss);
}

void LRFinder::on_fit_begin(FitContext& context) {
  validate(options_, context.optimizer.param_groups().size());
  check_has_trainable_parameters(context.optimizer, "LRFinder");
  AUTOLR_CHECK_ARGUMENT(!options_.use_validation() || validation_loss_, "LRFinder", "use_validation", "true",
                        "validation data (Trainer::set_validation_data) to compute the loss on");
  if (options_.restore()) snapshot_ = std::make_unique<Snapshot>(context.model, context.optimizer, options_.snapshot());
  recording_ = std::make_unique<Recording>(options_, context.optimizer.param_groups().size(), context.device);
}

void LRFinder::on_batch_begin(FitContext& context) {
  if (context.micro_step == 0) recording_->set_lrs(context.optimizer);
}

void LRFinder::on_after_loss(FitContext& context) {
  detail::check_scalar_loss(context.loss, "LRFinder");
  // Distributed: every rank records the mean over the ranks, so all record
  // the same curve and stop at the same step (a NaN on one rank is a NaN on all).
  recording_->add_batch_loss(
      context.distributed ? context.distributed->mean(context.loss, "averaging the range test's loss") : context.loss);
}

void LRFinder::on_after_step(FitContext& context) {
  std::optional<torch::Tensor> validation;
  if (options_.use_validation()) validation = validation_loss_();
  if (recording_->end_step(validation)) context.request_stop("range test over");
}

void LRFinder::on_fit_end(FitContext& context) {
  // Restore even if reading the curve back fails (a CUDA error, say).
  std::exception_ptr recording_error;
  try {
    if (recording_) curve_ = recording_->to_curve(/*interrupted=*/true);
  } catch (...) {
    recording_error = std::current_exception();
  }
  recording_.reset();
  if (snapshot_) {
    try {
      snapshot_->restore();
    } catch (const RestoreError& e) {
      std::string cause;
      if (context.error) {
        try {
          std::rethrow_exception(context.error);
        } catch (const std::exception& original) {
          cause = fmt::format(" (while handling the range test's own error: {})", original.what());
        } catch (...) {
          cause = " (while handling the range test's own error)";
        }
      }
      throw RestoreError(e.what() + cause);
    }
    snapshot_.reset();  // removes a disk snapshot's file
  }
  if (recording_error) std::rethrow_exception(recording_error);
}

Suggestion LRFinder::suggest(Method method, const SuggestOptions& options) const {
  return autolr::suggest(curve_, method, options);
}

LRCurve range_test(torch::nn::Module& model, torch::optim::Optimizer& optimizer,
                   const std::function<torch::Tensor(int64_t step)>& train_step, const LRFinderOptions& options) {
  const std::size_t groups = optimizer.param_groups().size();
  validate(options, groups);
  AUTOLR_CHECK_ARGUMENT(options.accumulation_steps() == 1, "range_test", "accumulation_steps",
                        std::to_string(options.accumulation_steps()),
                        "1 (train_step runs whole optimizer steps: accumulate inside it)");
  AUTOLR_CHECK_ARGUMENT(!options.use_validation(), "range_test", "use_validation", "true",
                        "false (return the validation loss from train_step instead)");
  check_has_trainable_parameters(optimizer, "range_test");

  const torch::Device device = optimizer.param_groups().front().params().front().device();
  std::optional<SnapshotGuard> guard;
  if (options.restore()) guard.emplace(model, optimizer, options.snapshot());
  detail::RangeRecording recording(options, groups, device);
  bool over = false;
  for (int64_t step = 0; step < options.num_iter() && !over; ++step) {
    recording.set_lrs(optimizer);
    const torch::Tensor loss = train_step(step);
    detail::check_scalar_loss(loss, "range_test");
    recording.add_batch_loss(loss);
    over = recording.end_step();
  }
  LRCurve curve = recording.to_curve(/*interrupted=*/false);
  if (guard) guard->restore();  // here, not in the destructor, so a failure throws
  return curve;
}

}  // namespace autolr
