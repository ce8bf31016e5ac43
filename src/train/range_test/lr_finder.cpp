#include "autolr/lr_finder.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <cmath>

#include "autolr/distributed.h"
#include "autolr/error.h"
#include "core/check.h"
#include "train/loop/torch_checks.h"
#include "train/range_test/range_recording.h"

namespace autolr {
namespace {

void check_has_trainable_parameters(const torch::optim::Optimizer& optimizer, const char* where) {
  for (const auto& group : optimizer.param_groups()) {
    for (const auto& parameter : group.params()) {
      if (parameter.requires_grad()) return;
    }
  }
  throw InvalidArgument(fmt::format(
      "{}: the optimizer has no trainable parameters (none with requires_grad), expected at least one", where));
}

// Where the parameters live. Any group may be empty (a frozen body's group,
// say); check_has_trainable_parameters made sure some group is not.
torch::Device parameter_device(const torch::optim::Optimizer& optimizer) {
  for (const auto& group : optimizer.param_groups()) {
    if (!group.params().empty()) return group.params().front().device();
  }
  return torch::kCPU;
}

}  // namespace

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

  const torch::Device device = parameter_device(optimizer);
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

LRCurve lr_find(Trainer& trainer, const LRFinderOptions& options) {
  validate(options, trainer.optimizer().param_groups().size());
  AUTOLR_CHECK_ARGUMENT(!options.use_validation() || trainer.validation_data() != nullptr, "lr_find", "use_validation",
                        "true", "validation data (set_validation_data) to compute the loss on");
  LRFinder finder(LRFinderOptions(options).progress(options.progress() && trainer.options().progress() &&
                                                    trainer.is_main_process()));
  if (options.use_validation()) {
    finder.set_validation_loss([&trainer] { return trainer.mean_loss(*trainer.validation_data()); });
  }
  trainer.run(FitOptions()
                  .accumulation_steps(options.accumulation_steps())
                  .record_history(false)
                  .trainer_callbacks(false)
                  .label("range test"),
              {&finder});
  return finder.curve();
}

}  // namespace autolr
