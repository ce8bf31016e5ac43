#pragma once
// The suggestion-quality benchmark's tasks: small real training problems, each
// able to build its model, optimizer and data afresh at the same initial state.

#include <torch/torch.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "autolr/lr_finder.h"
#include "autolr/suggest.h"
#include "autolr/trainer.h"

namespace autolr::quality {

/// One fresh start of a task: the model at its initial weights and a new optimizer.
struct TaskRun {
  std::shared_ptr<torch::nn::Module> model;
  Trainer::ForwardFunction forward;
  std::unique_ptr<torch::optim::Optimizer> optimizer;
};

/// Which set a task belongs to. The first corpus: auto was designed on
/// `Design` and scored on `HeldOut` (other seeds and architectures);
/// `FreshHeldOut` was added after auto was fixed, recorded and scored once.
/// The second corpus (the optimizers, models and budgets the first lacked)
/// was recorded whole before the fit-aware default was designed: the design
/// read the first corpus and `SecondDesign`; `SecondHeldOut` was scored once.
enum class Half { Design, HeldOut, FreshHeldOut, SecondDesign, SecondHeldOut };
std::string to_string(Half half);

struct Task {
  std::string name;
  Half half = Half::Design;
  std::string description;
  int64_t epochs = 3;
  LRFinderOptions range_test;
  /// Discriminative LRs: with several param groups (earliest layers first),
  /// a grid fit's max LRs go geometrically from max_lr/group_ratio to max_lr.
  double group_ratio = 1.0;
  /// Whether the grid's one-cycle fits cycle the momentum (off for
  /// optimizers without one: plain SGD, RMSprop, Adagrad).
  bool cycle_momentum = true;
  /// The one-cycle fits' max LRs: 10^(k/4) for k in [grid_first, grid_last].
  int grid_first = -16;
  int grid_last = 2;
  Trainer::BatchLossFunction loss;
  std::optional<Metric> metric;
  std::shared_ptr<BatchSource> train;
  std::shared_ptr<BatchSource> valid;
  /// Builds the initial state; the same weights every call.
  std::function<TaskRun()> start;
};

/// What auto_fit would tell Method::Auto about the task's fit: its
/// optimizer's family and epochs x batches steps.
FitFacts fit_facts(const Task& task);

/// Every task of the benchmark, design half first. Data are read from
/// Debian's dataset-fashion-mnist or generated from fixed seeds.
std::vector<Task> all_tasks();

}  // namespace autolr::quality
