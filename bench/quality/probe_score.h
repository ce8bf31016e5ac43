#pragma once
// Scoring auto_fit's verified mode on recorded tasks: the probe fits each
// data order ran around auto's answer (plain values, no LibTorch), the
// horizon correction fitted on the design part, and the regret and cost of
// training where the probes point.

#include <cstdint>
#include <string>
#include <vector>

#include "autolr/probe_choice.h"
#include "score.h"

namespace autolr::quality {

/// One data order's probes of one task, around `center_lr` (auto's answer).
struct ProbeRecord {
  double center_lr = 0;
  int64_t fit_steps = 0;
  int64_t steps_per_probe = 0;
  double start_loss = 0;       ///< the validation loss before the probes
  std::vector<ProbeFit> fits;  ///< group_max_lrs: the last group's only
};

/// `# key: value` lines, then `offset,max_lr,loss,diverged,steps,seconds` rows.
void write_probe_record(const ProbeRecord& record, const std::string& path);
/// Throws FormatError naming the path and line for a missing file or a malformed line.
ProbeRecord read_probe_record(const std::string& path);
/// `<directory>/<name><order_suffix>.probe.csv` of every recorded order, order 1 first.
std::vector<ProbeRecord> read_probe_records(const std::string& directory, const std::string& name);

struct ProbeScore {
  /// loss_at(where the probes point) / best_loss, the mean over the orders;
  /// NaN when there were no probes (auto gave no answer) or every probe diverged.
  double regret = 0;
  double worst_order_regret = 0;
  std::vector<double> chosen_offsets;  ///< per order, NaN without a choice
  double cost_steps = 0;               ///< probe steps / fit steps, the mean over the orders
  double cost_seconds = 0;             ///< probe seconds / the nearest grid fit's seconds, the mean over the orders
};

ProbeScore score_probes(const RecordedTask& task, const std::vector<ProbeRecord>& probes, double horizon_correction);

/// The horizon correction, on a 1/16-decade grid in [-1, 1], with the least
/// mean log regret over the tasks the design may read (design_may_read).
double fit_horizon_correction(const std::vector<RecordedTask>& tasks,
                              const std::vector<std::vector<ProbeRecord>>& probes);

/// The verified mode against the curve-only default, per part of the corpus,
/// and every task's row. `curve_only[t]` is Auto's score on task t.
std::string probe_markdown(const std::vector<RecordedTask>& tasks, const std::vector<std::vector<ProbeRecord>>& probes,
                           const std::vector<Score>& curve_only, double horizon_correction);

}  // namespace autolr::quality
