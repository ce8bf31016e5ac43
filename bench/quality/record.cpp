#include "record.h"

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <cstdio>

#include "autolr/auto_fit.h"
#include "autolr/curve_csv.h"
#include "autolr/lr_finder.h"
#include "autolr/one_cycle.h"

namespace autolr::quality {
namespace {

Trainer make_trainer(const Task& task, TaskRun& run) {
  Trainer trainer(run.model, run.forward, *run.optimizer, task.loss, task.train, TrainerOptions().progress(false));
  trainer.set_validation_data(task.valid);
  if (task.metric) trainer.set_metric(*task.metric);
  return trainer;
}

}  // namespace

TaskRecord record_task(const Task& task, const std::string& directory, int order) {
  TaskRecord record;
  record.name = task.name;
  record.half = to_string(task.half);
  record.description = task.description;
  record.metric_name = task.metric ? task.metric->name : "";

  {
    TaskRun run = task.start();
    Trainer trainer = make_trainer(task, run);
    record.initial_valid_loss = trainer.evaluate(*task.valid).loss;
    torch::manual_seed(data_seed(order));
    const LRCurve curve = lr_find(trainer, task.range_test);
    record.planned_steps = curve.planned_steps().value_or(curve.size());
    record.stop_reason = to_string(curve.stop_reason());
    write_curve_csv(curve, directory + "/" + task.name + order_suffix(order) + ".curve.csv");
  }

  for (int k = task.grid_first; k <= task.grid_last; ++k) {
    const double max_lr = std::pow(10.0, k / 4.0);
    TaskRun run = task.start();
    Trainer trainer = make_trainer(task, run);
    torch::manual_seed(data_seed(order));
    const auto start = std::chrono::steady_clock::now();
    GridFit fit{max_lr, std::nan(""), std::nan(""), 0};
    try {
      const std::size_t groups = run.optimizer->param_groups().size();
      fit_one_cycle(trainer, task.epochs,
                    OneCycleOptions(discriminative_lrs(max_lr, task.group_ratio, groups))
                        .cycle_momentum(task.cycle_momentum));
      const Evaluation result = trainer.evaluate(*task.valid);
      fit.valid_loss = result.loss;
      fit.metric = result.metric.value_or(std::nan(""));
    } catch (const std::exception& error) {
      // A fit that blows up the model can throw (NaN where a loss must be finite): it counts as diverged.
      std::fprintf(stderr, "%s: max_lr %.3g failed: %s\n", task.name.c_str(), max_lr, error.what());
    }
    fit.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    record.grid.push_back(fit);
    std::fprintf(stderr, "%-24s order %d max_lr %-8.3g valid_loss %-10.4g %s %.4g  (%.1f s)\n", task.name.c_str(),
                 order, max_lr, fit.valid_loss, record.metric_name.c_str(), fit.metric, fit.seconds);
  }
  write_task_record(record, directory + "/" + task.name + order_suffix(order) + ".grid.csv");
  return record;
}

}  // namespace autolr::quality
