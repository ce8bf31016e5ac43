#pragma once
// Scoring suggesters on recorded tasks: the regret of a suggested LR is the
// final validation loss a one-cycle fit reaches with it (interpolated in
// log LR between the grid's fits) over the best fit of the grid.

#include <optional>
#include <string>
#include <vector>

#include "autolr/curve.h"
#include "autolr/suggest.h"
#include "task_record.h"

namespace autolr::quality {

struct RecordedTask {
  /// The grid averaged over the recorded data orders: each fit's scored
  /// loss (scored_loss) is the mean of the orders' scored losses.
  TaskRecord record;
  LRCurve curve;              ///< the range test of data order 1, the one scored
  std::vector<LRCurve> curves;  ///< every recorded order's range test, order 1 first
  int orders = 1;             ///< how many data orders the grid averages
  FitFacts fit;               ///< what auto_fit would tell Method::Auto about the task's fit
};

/// A part of the corpus the tables report: the tasks of some halves.
struct Part {
  std::string title;
  std::vector<std::string> halves;
  bool has(const RecordedTask& task) const;
};
/// The held-out part first, then what the design read, as a whole and by half.
const std::vector<Part>& parts();

/// Reads `<directory>/<name>.grid.csv` and `.curve.csv`, and those of the
/// other data orders where they were recorded (order_suffix), and the task's
/// fit facts from `<directory>/fit_facts.csv`. Throws
/// FormatError when an order's grid does not match order 1's LRs.
RecordedTask read_recorded_task(const std::string& directory, const std::string& name);
/// read_recorded_task for each of `names`, reading fit_facts.csv once.
std::vector<RecordedTask> read_recorded_tasks(const std::string& directory, const std::vector<std::string>& names);

/// The median of `values`; NaN when there are none.
double median(std::vector<double> values);

/// A grid fit's loss as scored (scored_valid_loss against the record's untrained loss).
double scored_loss(const TaskRecord& record, const GridFit& fit);
/// The scored loss at `lr`, linear in log10(lr) between grid points, the end
/// value beyond either end of the grid.
double loss_at(const TaskRecord& record, double lr);
/// The grid's lowest scored loss.
double best_loss(const TaskRecord& record);

struct Score {
  Method method;
  std::optional<double> lr;  ///< none when the method gave no answer
  double regret = 0;         ///< loss_at(lr) / best_loss; NaN without an answer
  bool warned = false;       ///< the suggestion carried a warning
  std::optional<double> confidence;  ///< Auto's
  bool second_range_test = false;    ///< Auto: read the mean of two orders' curves (auto_fit's low-confidence policy)
};

/// Every method's suggestion and regret on one task, Auto told task.fit
/// unless !tell_fit and answering as auto_fit does on an unclear curve.
std::vector<Score> score_task(const RecordedTask& task, const std::vector<Method>& methods, bool tell_fit = true);
/// Whether a task's half is one the design may read (all but second-held-out).
bool design_may_read(const RecordedTask& task);

struct Summary {
  Method method;
  double median_regret = 0;  ///< over the tasks with an answer
  double worst_regret = 0;
  int within_10_percent = 0;
  int no_answer = 0;
  int tasks = 0;
};

/// `scores[t]` is score_task's result for task t; one summary per method.
std::vector<Summary> summarize(const std::vector<std::vector<Score>>& scores, const std::vector<Method>& methods);

/// The results page: the summary tables (all tasks, design half, held-out
/// half), then every task's suggestions and regrets.
std::string results_markdown(const std::vector<RecordedTask>& tasks, const std::vector<std::vector<Score>>& scores,
                             const std::vector<Method>& methods);

/// Auto told the fit's facts against Auto told nothing, per part of the
/// corpus: `told[t]` scores every method of `methods` on task t, `untold[t]`
/// Auto alone (score_task with tell_fit false).
std::string fit_facts_markdown(const std::vector<RecordedTask>& tasks, const std::vector<std::vector<Score>>& told,
                               const std::vector<std::vector<Score>>& untold, const std::vector<Method>& methods);
/// Auto's regret by its confidence, over every task.
std::string confidence_markdown(const std::vector<std::vector<Score>>& scores, const std::vector<Method>& methods);

/// What auto_fit's second range test does where it would matter: on the tasks
/// whose first curve gives Auto a confidence below `below`, the regret of
/// reading the mean of the first two orders' curves against the first alone.
std::string second_range_test_markdown(const std::vector<RecordedTask>& tasks, double below);

/// Regret per task (log scale), one marker per method.
std::string regret_svg(const std::vector<RecordedTask>& tasks, const std::vector<std::vector<Score>>& scores,
                       const std::vector<Method>& methods);

}  // namespace autolr::quality
