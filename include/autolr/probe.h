#pragma once
/// Probe fits: short one-cycle fits at a few max LRs around a suggestion,
/// each from the same state, to choose by the loss they reach instead of by
/// the curve alone (auto_fit's verified mode, AutoFitOptions::probe).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "autolr/arg.h"
#include "autolr/one_cycle_schedule.h"
#include "autolr/probe_choice.h"
#include "autolr/snapshot.h"
#include "autolr/trainer.h"

namespace autolr {

struct ProbeOptions {
  /// The candidates, in decades from the suggestion: each probe trains with
  /// the suggested max LRs x 10^offset.
  AUTOLR_ARG(std::vector<double>, offsets) = {-0.5, 0.0, 0.5};
  /// Each probe's optimizer steps as a fraction of the fit's (at least one
  /// step): 3 probes of 0.1 cost about 30% of the fit.
  AUTOLR_ARG(double, fraction) = 0.1;
  /// The fewest steps a probe may have for auto_fit to run the probes: a
  /// shorter one-cycle probe is little more than its warm-up, so a shorter
  /// fit is decided by the curve alone (the decision says so). probe_fits
  /// itself runs what it is asked. bench/quality's shortest probes had 6.
  AUTOLR_ARG(int64_t, min_steps) = 4;
  /// Decades added to what the probes point to: a short fit's best LR is not
  /// the whole fit's. Measured on bench/quality's design tasks (results.md).
  AUTOLR_ARG(double, horizon_correction) = -0.1875;
  /// When every candidate diverged, probe once more with all of them moved
  /// down (by their span and one gap: -2, -1.5, -1 for the default) before
  /// giving up. On bench/quality this is where auto's answer was a decade
  /// too high.
  AUTOLR_ARG(bool, lower_when_all_diverge) = true;
  /// Where the state before the probes is kept while they run.
  AUTOLR_ARG(SnapshotOptions, snapshot) = {};
};

struct ProbeResult {
  /// In ProbeOptions::offsets order; then the lowered ones, when every one diverged.
  std::vector<ProbeFit> fits;
  int64_t steps_per_probe = 0;
  bool validation = false;  ///< losses are validation losses
  double start_loss = 0;    ///< the validation loss before the probes (validation only)
  double lowered_by = 0;    ///< decades the candidates moved down (lower_when_all_diverge); 0 when they did not
  /// Decades from the suggestion to train with, horizon correction included;
  /// none when every probe diverged.
  std::optional<double> chosen_offset;
  /// One line per probe and the choice.
  std::string text() const;
};

/// Throws InvalidArgument as probe_fits for what `options` alone can get wrong.
void check_probe_options(const ProbeOptions& options);

/// Each probe's optimizer steps for a fit of `fit_steps`: round(fraction x
/// fit_steps), at least 1.
int64_t probe_steps(const ProbeOptions& options, int64_t fit_steps);

/// Runs one probe per candidate: a one-cycle fit of round(fraction x
/// fit_steps) optimizer steps (at least 1) with `schedule`'s shape and max
/// LRs group_max_lrs x 10^offset, each from the state found on entry, in
/// the same data order. Puts that state back (model, optimizer, RNG) bit for
/// bit when done, also when a probe throws. A probe whose training loss is
/// not finite is stopped there. When every probe diverged, they run once
/// more lowered (lower_when_all_diverge).
/// Throws InvalidArgument, before anything runs, for empty, non-finite or
/// repeated offsets, a fraction outside (0, 1], a non-finite horizon
/// correction, min_steps < 1, fit_steps < 1, or group_max_lrs that are not
/// one finite positive value per param group; and as Snapshot and
/// fit_one_cycle.
ProbeResult probe_fits(Trainer& trainer, const std::vector<double>& group_max_lrs, int64_t fit_steps,
                       const OneCycleOptions& schedule, const ProbeOptions& options = {});

}  // namespace autolr
