#include "lr_free.h"

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <cstdio>

#include "autolr/callback.h"
#include "autolr/lr_finder.h"
#include "autolr/optim.h"
#include "autolr/suggest.h"

namespace autolr::quality {
namespace {

// The reference packages' recommended starting points.
constexpr double kScheduleFreeAdamWLr = 0.0025;
constexpr double kScheduleFreeSgdLr = 1.0;
constexpr double kWarmupFraction = 0.05;

// Prodigy's README recommends cosine annealing of its lr multiplier over the fit.
class CosineAnnealing : public Callback {
 public:
  CosineAnnealing(double lr, int64_t total_steps) : lr_(lr), total_steps_(total_steps) {}
  void on_batch_begin(FitContext& context) override {
    const double t = std::min(1.0, static_cast<double>(context.step) / static_cast<double>(total_steps_));
    for (auto& group : context.optimizer.param_groups()) group.options().set_lr(lr_ * 0.5 * (1 + std::cos(M_PI * t)));
  }

 private:
  double lr_;
  int64_t total_steps_;
};

// The parameters the task's own optimizer trains (a frozen body stays frozen), in one group.
std::vector<torch::Tensor> trained_parameters(const TaskRun& run) {
  std::vector<torch::Tensor> parameters;
  for (const auto& group : run.optimizer->param_groups())
    parameters.insert(parameters.end(), group.params().begin(), group.params().end());
  return parameters;
}

bool is_sgd_task(const TaskRun& run) { return dynamic_cast<torch::optim::SGD*>(run.optimizer.get()) != nullptr; }

Trainer make_trainer(const Task& task, TaskRun& run, torch::optim::Optimizer& optimizer) {
  Trainer trainer(run.model, run.forward, optimizer, task.loss, task.train, TrainerOptions().progress(false));
  trainer.set_validation_data(task.valid);
  if (task.metric) trainer.set_metric(*task.metric);
  return trainer;
}

int64_t total_steps(const Task& task) { return task.epochs * static_cast<int64_t>(task.train->size().value_or(0)); }

std::unique_ptr<torch::optim::Optimizer> make_schedule_free_adamw(const Task& task, const TaskRun& run, double lr) {
  const auto warmup = static_cast<int64_t>(std::round(kWarmupFraction * static_cast<double>(total_steps(task))));
  return std::make_unique<optim::ScheduleFreeAdamW>(trained_parameters(run),
                                                    optim::ScheduleFreeAdamWOptions(lr).warmup_steps(warmup));
}

// Trains `optimizer` over `run` for the task's budget and scores it on the validation data.
LrFreeFit fit(const Task& task, int order, TaskRun& run, torch::optim::Optimizer& optimizer, const std::string& method,
              double lr, const std::vector<Callback*>& callbacks = {}) {
  Trainer trainer = make_trainer(task, run, optimizer);
  torch::manual_seed(data_seed(order));
  const auto start = std::chrono::steady_clock::now();
  LrFreeFit result{method, lr, std::nan(""), std::nan(""), 0};
  try {
    trainer.fit(task.epochs, callbacks);
    const Evaluation evaluation = trainer.evaluate(*task.valid);  // Schedule-Free: at its average x
    result.valid_loss = evaluation.loss;
    result.metric = evaluation.metric.value_or(std::nan(""));
  } catch (const std::exception& error) {
    std::fprintf(stderr, "%s: %s failed: %s\n", task.name.c_str(), method.c_str(), error.what());
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::fprintf(stderr, "%-24s %-34s lr %-8.3g valid_loss %-10.4g (%.1f s)\n", task.name.c_str(), method.c_str(), lr,
               result.valid_loss, result.seconds);
  return result;
}

}  // namespace

const std::vector<std::string>& lr_free_methods() {
  static const std::vector<std::string> methods = {"schedule-free-adamw", "schedule-free-sgd", "prodigy",
                                                   "range-test+schedule-free-adamw"};
  return methods;
}

std::vector<LrFreeFit> record_lr_free(const Task& task, const std::string& directory, int order) {
  std::vector<LrFreeFit> fits;
  {
    TaskRun run = task.start();
    auto optimizer = make_schedule_free_adamw(task, run, kScheduleFreeAdamWLr);
    fits.push_back(fit(task, order, run, *optimizer, "schedule-free-adamw", kScheduleFreeAdamWLr));
  }
  {
    TaskRun run = task.start();
    if (is_sgd_task(run)) {  // the reference's SGD variant is for tasks people train with SGD
      const auto warmup = static_cast<int64_t>(std::round(kWarmupFraction * static_cast<double>(total_steps(task))));
      optim::ScheduleFreeSGD optimizer(trained_parameters(run),
                                       optim::ScheduleFreeSGDOptions(kScheduleFreeSgdLr).warmup_steps(warmup));
      fits.push_back(fit(task, order, run, optimizer, "schedule-free-sgd", kScheduleFreeSgdLr));
    }
  }
  {
    TaskRun run = task.start();
    optim::Prodigy optimizer(trained_parameters(run), optim::ProdigyOptions(1.0));
    CosineAnnealing cosine(1.0, total_steps(task));
    fits.push_back(fit(task, order, run, optimizer, "prodigy", 1.0, {&cosine}));
  }
  {
    // The range test on Schedule-Free itself, autolr's default suggester on its curve.
    double lr = kScheduleFreeAdamWLr;
    {
      TaskRun run = task.start();
      auto optimizer = make_schedule_free_adamw(task, run, kScheduleFreeAdamWLr);
      Trainer trainer = make_trainer(task, run, *optimizer);
      torch::manual_seed(data_seed(order));
      const Suggestion suggestion = suggest(lr_find(trainer, task.range_test), kDefaultMethod);
      if (suggestion.lr) lr = *suggestion.lr;
    }
    TaskRun run = task.start();
    auto optimizer = make_schedule_free_adamw(task, run, lr);
    fits.push_back(fit(task, order, run, *optimizer, "range-test+schedule-free-adamw", lr));
  }
  write_lr_free_fits(fits, directory + "/" + task.name + order_suffix(order) + ".lrfree.csv");
  return fits;
}

}  // namespace autolr::quality
