#include "probe_record.h"

#include <cstdio>

#include "autolr/auto_fit.h"
#include "autolr/probe.h"

namespace autolr::quality {

ProbeRecord record_probes(const Task& task, double center_lr, const std::string& directory, int order) {
  ProbeRecord record;
  record.center_lr = center_lr;
  record.fit_steps = *fit_facts(task).fit_steps();  // builds the task: before the seed
  TaskRun run = task.start();
  Trainer trainer(run.model, run.forward, *run.optimizer, task.loss, task.train, TrainerOptions().progress(false));
  trainer.set_validation_data(task.valid);
  // The range test's snapshot puts the RNG back where it found it: the
  // probes draw what the grid's fits draw after this seed.
  torch::manual_seed(data_seed(order));
  const std::size_t groups = run.optimizer->param_groups().size();
  const ProbeResult result =
      probe_fits(trainer, discriminative_lrs(center_lr, task.group_ratio, groups), record.fit_steps,
                 OneCycleOptions(1.0).cycle_momentum(task.cycle_momentum), ProbeOptions());
  record.steps_per_probe = result.steps_per_probe;
  record.start_loss = result.start_loss;
  record.fits = result.fits;
  std::fprintf(stderr, "%-24s order %d probes around %.3g:\n%s", task.name.c_str(), order, center_lr,
               result.text().c_str());
  write_probe_record(record, directory + "/" + task.name + order_suffix(order) + ".probe.csv");
  return record;
}

}  // namespace autolr::quality
