#include "autolr/probe.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <iostream>
#include <limits>
#include <sstream>

#include "autolr/distributed.h"
#include "autolr/error.h"
#include "autolr/one_cycle.h"
#include "core/check.h"
#include "core/printable.h"

namespace autolr {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// Ends a probe after its planned steps, or at the first loss that is not
// finite; keeps the batch losses it needs to score a probe without
// validation data. Distributed: every rank reads the mean over the ranks, so
// all stop at the same batch.
class ProbeLimit : public Callback {
 public:
  ProbeLimit(int64_t steps, bool keep_losses) : steps_(steps), keep_losses_(keep_losses) {}

  void on_after_loss(FitContext& context) override {
    const torch::Tensor loss = context.distributed
                                   ? context.distributed->mean(context.loss.detach(), "averaging a probe's loss")
                                   : context.loss.detach();
    const double value = loss.item<double>();
    if (!std::isfinite(value)) {
      diverged_ = true;
      context.request_stop("probe diverged");
    } else if (keep_losses_) {
      losses_.push_back(value);
    }
  }
  void on_after_step(FitContext& context) override {
    steps_run_ = context.step;
    if (context.step >= steps_) context.request_stop("probe over");
  }

  bool diverged() const { return diverged_; }
  double first_training_loss() const { return losses_.empty() ? kInf : losses_.front(); }
  int64_t steps_run() const { return steps_run_; }
  // The mean of the last fifth of the batch losses (at least one).
  double late_training_loss() const {
    if (losses_.empty()) return kInf;
    const std::size_t n = std::max<std::size_t>(1, losses_.size() / 5);
    double sum = 0;
    for (std::size_t i = losses_.size() - n; i < losses_.size(); ++i) sum += losses_[i];
    return sum / static_cast<double>(n);
  }

 private:
  int64_t steps_;
  bool keep_losses_;
  bool diverged_ = false;
  int64_t steps_run_ = 0;
  std::vector<double> losses_;
};

void check_inputs(const ProbeOptions& options, Trainer& trainer, const std::vector<double>& group_max_lrs,
                  int64_t fit_steps) {
  check_probe_options(options);
  AUTOLR_CHECK_ARGUMENT(fit_steps >= 1, "probe_fits", "fit_steps", std::to_string(fit_steps), "at least 1");
  const std::size_t groups = trainer.optimizer().param_groups().size();
  AUTOLR_CHECK_ARGUMENT(group_max_lrs.size() == groups, "probe_fits", "group_max_lrs",
                        fmt::format("{} values", group_max_lrs.size()),
                        fmt::format("one max LR per param group ({})", groups));
  for (std::size_t g = 0; g < groups; ++g) {
    AUTOLR_CHECK_ARGUMENT(std::isfinite(group_max_lrs[g]) && group_max_lrs[g] > 0, "probe_fits",
                          fmt::format("group_max_lrs[{}]", g), detail::format_double(group_max_lrs[g]),
                          "a finite value > 0");
  }
}

// `start_loss`: the validation loss before the probes (with validation data).
ProbeFit run_probe(Trainer& trainer, const std::vector<double>& group_max_lrs, double offset, int64_t steps,
                   const OneCycleOptions& schedule, double start_loss) {
  ProbeFit fit;
  fit.offset = offset;
  for (double lr : group_max_lrs) fit.group_max_lrs.push_back(lr * std::pow(10.0, offset));
  OneCycleOptions options = schedule;
  options.max_lr(fit.group_max_lrs).total_steps(steps).epochs(std::nullopt).steps_per_epoch(std::nullopt);
  BatchSource* validation = trainer.validation_data();
  ProbeLimit limit(steps, validation == nullptr);
  OneCycle one_cycle(options);
  const auto started = std::chrono::steady_clock::now();
  // The user's own callbacks (a progress logger, early stopping) belong to
  // the real fit, not to the probes.
  trainer.run(FitOptions().record_history(false).trainer_callbacks(false).label("probe"), {&one_cycle, &limit});
  if (limit.diverged()) {
    fit.loss = kInf;
  } else if (validation) {
    fit.loss = trainer.evaluate(*validation).loss;
    if (!std::isfinite(fit.loss)) fit.loss = kInf;
  } else {
    fit.loss = limit.late_training_loss();
  }
  fit.diverged = !std::isfinite(fit.loss) || fit.loss > (validation ? start_loss : limit.first_training_loss());
  fit.steps = limit.steps_run();
  fit.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return fit;
}

// How far the candidates move down when every one diverged: their span and
// one gap more, so that the new highest sits one gap below the old lowest.
double lowering(const std::vector<double>& offsets) {
  const auto [lo, hi] = std::minmax_element(offsets.begin(), offsets.end());
  const double span = *hi - *lo;
  return offsets.size() > 1 ? span + span / static_cast<double>(offsets.size() - 1) : 1.0;
}

}  // namespace

void check_probe_options(const ProbeOptions& options) {
  const std::vector<double>& offsets = options.offsets();
  AUTOLR_CHECK_ARGUMENT(!offsets.empty(), "probe_fits", "options.offsets", "empty", "at least one offset in decades");
  for (std::size_t i = 0; i < offsets.size(); ++i) {
    AUTOLR_CHECK_ARGUMENT(std::isfinite(offsets[i]), "probe_fits", fmt::format("options.offsets[{}]", i),
                          detail::format_double(offsets[i]), "a finite number of decades");
    const auto earlier = offsets.begin() + static_cast<std::ptrdiff_t>(i);
    AUTOLR_CHECK_ARGUMENT(std::find(offsets.begin(), earlier, offsets[i]) == earlier, "probe_fits",
                          fmt::format("options.offsets[{}]", i), detail::format_double(offsets[i]),
                          "an offset not already given");
  }
  AUTOLR_CHECK_ARGUMENT(std::isfinite(options.fraction()) && options.fraction() > 0 && options.fraction() <= 1,
                        "probe_fits", "options.fraction", detail::format_double(options.fraction()),
                        "a fraction of the fit's steps in (0, 1]");
  AUTOLR_CHECK_ARGUMENT(std::isfinite(options.horizon_correction()), "probe_fits", "options.horizon_correction",
                        detail::format_double(options.horizon_correction()), "a finite number of decades");
  AUTOLR_CHECK_ARGUMENT(options.min_steps() >= 1, "probe_fits", "options.min_steps",
                        std::to_string(options.min_steps()), "at least 1");
}

int64_t probe_steps(const ProbeOptions& options, int64_t fit_steps) {
  return std::max<int64_t>(1, std::llround(options.fraction() * static_cast<double>(fit_steps)));
}

std::string ProbeResult::text() const {
  std::ostringstream out;
  out << fmt::format("probes: {} steps each, scored by {}\n", steps_per_probe,
                     validation ? fmt::format("validation loss (before them: {:.5g})", start_loss)
                                : std::string("the training loss of their last fifth"));
  for (const ProbeFit& f : fits) {
    out << fmt::format("  {:+.3g} decades: max lr {:.4g}, {} ({:.1f} s)\n", f.offset, f.group_max_lrs.back(),
                       std::isfinite(f.loss) ? fmt::format("loss {:.5g}{}", f.loss, f.diverged ? ", diverged" : "")
                                             : std::string("diverged"),
                       f.seconds);
  }
  if (lowered_by > 0) out << fmt::format("  (every probe diverged: lowered {:.3g} decades)\n", lowered_by);
  out << (chosen_offset ? fmt::format("  chosen: {:+.3g} decades\n", *chosen_offset)
                        : std::string("  chosen: none, every probe diverged\n"));
  return out.str();
}

ProbeResult probe_fits(Trainer& trainer, const std::vector<double>& group_max_lrs, int64_t fit_steps,
                       const OneCycleOptions& schedule, const ProbeOptions& options) {
  check_inputs(options, trainer, group_max_lrs, fit_steps);
  ProbeResult result;
  result.steps_per_probe = probe_steps(options, fit_steps);
  result.validation = trainer.validation_data() != nullptr;
  // Each probe starts from this state and data order; the last restore puts
  // it back for the fit.
  Snapshot start(trainer.model(), trainer.optimizer(), options.snapshot());
  try {
    if (result.validation) result.start_loss = trainer.evaluate(*trainer.validation_data()).loss;
    const auto probe_at = [&](double shift) {
      for (double offset : options.offsets()) {
        result.fits.push_back(
            run_probe(trainer, group_max_lrs, offset + shift, result.steps_per_probe, schedule, result.start_loss));
        start.restore();
      }
    };
    probe_at(0.0);
    if (options.lower_when_all_diverge() && !probe_choice(result.fits, 0.0)) {
      result.lowered_by = lowering(options.offsets());
      probe_at(-result.lowered_by);
    }
  } catch (...) {
    // The probe's error is the one to see; a failed restore is said too.
    try {
      start.restore();
    } catch (const std::exception& e) {
      std::cerr << "autolr: probe_fits: " << e.what() << std::endl;
    }
    throw;
  }
  result.chosen_offset = probe_choice(result.fits, options.horizon_correction());
  return result;
}

}  // namespace autolr
