#pragma once
/// auto_fit: range test -> suggestion -> probe fits (the verified mode, on
/// by default) -> one-cycle fit, in one call, with a report of what was
/// decided and why.

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "autolr/arg.h"
#include "autolr/curve.h"
#include "autolr/lr_finder.h"
#include "autolr/one_cycle.h"
#include "autolr/plot.h"
#include "autolr/probe.h"
#include "autolr/suggest.h"
#include "autolr/trainer.h"

namespace autolr {

struct AutoFitReport;

/// What auto_fit does when Method::Auto's confidence on the range test is
/// below AutoSuggestOptions::min_confidence (chosen on bench/quality).
enum class LowConfidencePolicy {
  /// Run the range test again in another data order and read the mean of the
  /// two curves; if that is still not clear, do not train (report.trained false).
  CombineSecondRangeTest,
  /// Do not train; the report says why.
  Refuse,
};

struct AutoFitOptions {
  AUTOLR_ARG(LRFinderOptions, range_test) = {};
  /// The suggester whose answer becomes the max LR; every method is reported.
  /// autolr's own Auto: on bench/quality's 33 real tasks its median and worst
  /// regret beat every fastai method's (bench/quality/results.md).
  AUTOLR_ARG(Method, method) = kDefaultMethod;
  AUTOLR_ARG(SuggestOptions, suggest) = {};
  /// Tell Method::Auto the optimizer's family and the fit's steps
  /// (fit_facts()); facts set in suggest().auto_rule().fit() win.
  AUTOLR_ARG(bool, use_fit_facts) = true;
  AUTOLR_ARG(LowConfidencePolicy, low_confidence) = LowConfidencePolicy::CombineSecondRangeTest;
  /// The schedule; its max_lr is replaced by the suggestion. PyTorch's
  /// defaults unless set (OneCycleOptions::fastai(...) for fastai's).
  AUTOLR_ARG(OneCycleOptions, one_cycle) = OneCycleOptions(1.0);
  /// Discriminative LRs: with several param groups (earliest layers first),
  /// max LRs spread geometrically from hi/group_ratio (first group) to hi
  /// (last group), as fastai's slice(hi/group_ratio, hi). 1: one LR for all.
  AUTOLR_ARG(double, group_ratio) = 1.0;
  /// Discriminative LRs with the lower end read off the curve: the first
  /// group's max LR is the descent start (fastai's slice(lo, hi) with lo from
  /// the curve); replaces group_ratio when the curve has one below hi.
  AUTOLR_ARG(bool, lower_end_from_curve) = false;
  /// The widest slice lower_end_from_curve may give, hi/lo; after unfreezing
  /// the loss often falls slowly from the very start, and the descent start
  /// is then far too low for the body. 100 is fastai's usual slice(hi/100, hi).
  AUTOLR_ARG(double, max_group_ratio) = 100.0;
  /// The verified mode, on by default: short one-cycle probe fits at a few
  /// LRs around the suggestion (ProbeOptions::offsets), each from the state
  /// after the range test, choose the max LR by the loss they reach; then
  /// everything is put back bit for bit and the fit runs. They cost about
  /// 0.3 of the fit and, on bench/quality's held-out tasks, cut the worst
  /// regret from 2.13 to 1.41 and the median from 1.046 to 1.032. They are
  /// sized by the fit's step count, which one cycle needs too (training
  /// data with a size(), or one_cycle's total_steps, or its epochs and
  /// steps_per_epoch). nullopt: the curve's answer alone.
  AUTOLR_ARG(std::optional<ProbeOptions>, probe) = ProbeOptions();
  /// Print the report to stdout when done.
  AUTOLR_ARG(bool, print) = true;
  /// Where to write the run record (autolr/record.h, docs/run-record.md),
  /// `<record_dir>/<run_name>.json`, once the fit is done (also when there
  /// was no fit), by the main process only. Empty: no record. Must be an
  /// existing directory; a record of the same name is replaced.
  AUTOLR_ARG(std::string, record_dir) = "";
  /// The run's name and the record's file name. Empty: a unique one from the
  /// time and the process id (unique_run_name()).
  AUTOLR_ARG(std::string, run_name) = "";
  /// Free-form labels kept in the record: "seed=1", "baseline", ...
  AUTOLR_ARG(std::vector<std::string>, tags) = {};
  /// Called with the report after the suggestion and before the fit (also
  /// when there will be no fit): to show the suggestions or write plots first.
  AUTOLR_ARG(std::function<void(const AutoFitReport&)>, before_fit) = nullptr;
};

struct AutoFitReport {
  /// The curve the suggestions read: the range test, or the mean of two
  /// (LowConfidencePolicy::CombineSecondRangeTest).
  LRCurve curve;
  /// Each range test that ran, in order: one, or two when the first was not clear.
  std::vector<LRCurve> range_tests;
  FitFacts fit;  ///< what Method::Auto was told

  std::vector<Suggestion> suggestions;  ///< every method, all_methods() order
  Suggestion chosen;                    ///< the configured method's answer
  Suggestion descent_start;             ///< the suggested lower end of a slice(lo, hi)
  std::vector<double> group_max_lrs;    ///< the max LR of each param group; empty when not trained
  /// The probe fits, when options.probe ran them; group_max_lrs are then the
  /// suggestion's moved by probe->chosen_offset decades.
  std::optional<ProbeResult> probe;
  bool trained = false;              ///< false when the suggestion had no answer or every probe diverged
  std::string decision;              ///< why this LR, or why no fit
  std::vector<EpochRecord> history;  ///< the one-cycle fit's epochs
  std::optional<OneCycleOptions> schedule;
  /// The run record written (options.record_dir), empty when none was; when
  /// it could not be written, `decision` says why and the fit is kept.
  std::string record_path;

  /// The range test, every suggestion, warnings and the decision.
  std::string suggestions_text() const;
  /// All of it: suggestions_text(), the schedule and the epochs.
  std::string text() const;
};

/// render_svg of what decided: the report's curve, every suggestion with the
/// lower end of a slice, the probe fits when they ran and the max LR it
/// trains with (options.probes is replaced). Throws as render_svg.
std::string render_svg(const AutoFitReport& report, PlotOptions options = {});
/// Writes it to `path`. Throws as write_svg.
void write_svg(const std::string& path, const AutoFitReport& report, PlotOptions options = {});

/// The family of `optimizer` as Method::Auto knows them, by exact type (an
/// SGD with momentum 0 in every group is SgdNoMomentum); none for another type.
std::optional<OptimizerFamily> optimizer_family(const torch::optim::Optimizer& optimizer);
/// What auto_fit tells Method::Auto: the optimizer's family and the optimizer
/// steps of a fit of `epochs` with `schedule` (its total_steps, or its
/// epochs x steps_per_epoch, else epochs x the training data's batches /
/// accumulation; unset when unknown).
FitFacts fit_facts(Trainer& trainer, int64_t epochs, const OneCycleOptions& schedule);

/// max LR of each of `groups` groups, geometric from hi/ratio to hi (fastai's even_mults).
/// Throws InvalidArgument for hi <= 0, ratio < 1 or groups < 1.
std::vector<double> discriminative_lrs(double hi, double ratio, std::size_t groups);

/// Range test, suggestion (options.method), probe fits around it
/// (options.probe, on by default), then fit_one_cycle(epochs) with the
/// suggested max LR moved by the probes (spread over the groups by
/// options.group_ratio). When the suggestion has no answer, or every probe
/// diverged, it does not train: the report says why (report.trained is
/// false). Model and optimizer are as the range test found them before the
/// fit starts.
/// With options.record_dir, writes the run record when done; a record that
/// cannot be written is reported (stderr and report.decision), not thrown:
/// the finished fit is returned.
/// Throws InvalidArgument for epochs < 1, method DescentStart, group_ratio < 1,
/// max_group_ratio < 1, bad probe options (check_probe_options) or probes
/// for a fit whose step count is unknown, a record_dir that is not a
/// directory this process can write to (checked on the main process) or a
/// run_name that is not a file name (valid_run_name), before anything runs;
/// and as lr_find and fit_one_cycle.
AutoFitReport auto_fit(Trainer& trainer, int64_t epochs, const AutoFitOptions& options = {});

}  // namespace autolr
