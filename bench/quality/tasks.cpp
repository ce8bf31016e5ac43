#include "tasks.h"

#include "autolr/auto_fit.h"
#include "task_parts.h"

namespace autolr::quality {

namespace nn = torch::nn;

// Other seeds, widths, optimizers and batch sizes than the two halves above.
void add_fresh_held_out(std::vector<Task>& tasks) {
  const Half F = Half::FreshHeldOut;
  const Split data = fashion_subset(3, 6000, 2000);
  const uint64_t seed = 13;
  tasks.push_back(classification("fresh-mlp-nesterov", F, "Fashion-MNIST, MLP 784-100-10, SGD Nesterov, batch 128",
                                 data, 128,
                                 sequential_run(
                                     seed,
                                     [] {
                                       return mlp({784, 100, 10});
                                     },
                                     nesterov())));
  tasks.push_back(classification("fresh-mlp-adamw", F, "Fashion-MNIST, MLP 784-128-64-10, AdamW weight decay 0.05",
                                 data, 64,
                                 sequential_run(
                                     seed,
                                     [] {
                                       return mlp({784, 128, 64, 10});
                                     },
                                     adamw(0.05))));
  Task cnn = classification(
      "fresh-cnn-bn-sgd", F, "Fashion-MNIST (3000 images), CNN 8-16 channels with BatchNorm, max-pool, SGD momentum",
      Split{data.train_x.slice(0, 0, 3000), data.train_y.slice(0, 0, 3000), data.valid_x, data.valid_y}, 64,
      sequential_run(
          seed, [] { return small_cnn(8, 16, false); }, sgd()));
  cnn.epochs = 2;
  tasks.push_back(std::move(cnn));
  tasks.push_back(classification("fresh-imbalanced-adam", F,
                                 "Fashion-MNIST, class c keeps 0.6^c of its images, MLP 784-128-10, Adam",
                                 long_tailed(data, 0.6), 64,
                                 sequential_run(
                                     seed,
                                     [] {
                                       return mlp({784, 128, 10});
                                     },
                                     adam())));
  tasks.push_back(regression("fresh-regression-adam", F,
                             "20 features, y = random tanh teacher + noise, MLP 20-32-32-1, MSE, Adam",
                             teacher_regression(seed, false),
                             sequential_run(
                                 seed,
                                 [] {
                                   return mlp({20, 32, 32, 1});
                                 },
                                 adam())));
  const Split source = class_range(data, 0, 5), target = class_range(data, 5, 10);
  auto weights = std::make_shared<Pretrained>(pretrain(seed, 160, source, target));
  tasks.push_back(classification("fresh-head-frozen-adamw", F,
                                 "Fashion-MNIST classes 5-9, new head on a body pretrained on classes 0-4, body "
                                 "frozen, AdamW",
                                 target, 64, transfer_run(seed, 160, weights, false, adamw(0.01))));
  tasks.push_back(classification("fresh-unfrozen-adamw", F,
                                 "the same after one epoch of the head: every layer trained, AdamW", target, 64,
                                 transfer_run(seed, 160, weights, true, adamw(0.01))));
  Task noisy = classification(
      "fresh-noisy-batch8-sgd", F, "Fashion-MNIST (2000 images), batch size 8, MLP 784-32-10, SGD",
      Split{data.train_x.slice(0, 0, 2000), data.train_y.slice(0, 0, 2000), data.valid_x, data.valid_y}, 8,
      sequential_run(
          seed,
          [] {
            return mlp({784, 32, 10});
          },
          sgd()));
  noisy.epochs = 1;
  tasks.push_back(std::move(noisy));
  Task short_range =
      classification("fresh-short-range-sgd", F,
                     "Fashion-MNIST, MLP 784-64-10, SGD, range test ending at 2e-2 (before the blow-up)", data, 64,
                     sequential_run(
                         seed,
                         [] {
                           return mlp({784, 64, 10});
                         },
                         sgd()));
  short_range.range_test.end_lr(2e-2);
  tasks.push_back(std::move(short_range));
  tasks.push_back(classification("fresh-deep-no-norm-adam", F,
                                 "Fashion-MNIST, 8 linear layers of 96, ReLU, no normalisation, Adam", data, 64,
                                 sequential_run(
                                     seed, [] { return mlp(deep_widths(8, 96)); }, adam())));
  tasks.push_back(bag_task("fresh-embedding-bag-adamw", F, seed, 1500, 6, adamw(0.01), "AdamW"));
}

FitFacts fit_facts(const Task& task) {
  const TaskRun run = task.start();
  FitFacts facts;
  facts.optimizer(optimizer_family(*run.optimizer));
  if (const auto batches = task.train->size()) facts.fit_steps(task.epochs * *batches);
  return facts;
}

std::string to_string(Half half) {
  switch (half) {
    case Half::Design:
      return "design";
    case Half::HeldOut:
      return "held-out";
    case Half::FreshHeldOut:
      return "fresh-held-out";
    case Half::SecondDesign:
      return "second-design";
    case Half::SecondHeldOut:
      break;
  }
  return "second-held-out";
}

std::vector<Task> all_tasks() {
  std::vector<Task> tasks;
  const Half D = Half::Design, H = Half::HeldOut;
  const Split fm1 = fashion_subset(1, 6000, 2000), fm2 = fashion_subset(2, 6000, 2000);

  for (const auto& [half, data, seed] : {std::tuple{D, fm1, 11}, std::tuple{H, fm2, 12}}) {
    const bool design = half == D;
    tasks.push_back(
        classification(design ? "mlp-sgd" : "mlp-sgd-wide", half,
                       design ? "Fashion-MNIST, MLP 784-128-10, SGD momentum 0.9"
                              : "Fashion-MNIST, MLP 784-256-64-10, SGD momentum 0.9, weight decay 5e-4",
                       data, 64,
                       sequential_run(
                           seed, design ? [] { return mlp({784, 128, 10}); } : [] { return mlp({784, 256, 64, 10}); },
                           sgd(design ? 0 : 5e-4))));
    tasks.push_back(classification(
        design ? "mlp-adam" : "mlp-adam-tanh", half,
        design ? "Fashion-MNIST, MLP 784-128-10, Adam" : "Fashion-MNIST, MLP 784-200-100-10 tanh, Adam", data, 64,
        sequential_run(
            seed, design ? [] { return mlp({784, 128, 10}); } : [] { return mlp({784, 200, 100, 10}, "tanh"); },
            adam())));
    Task cnn = classification(
        design ? "cnn-bn-adamw" : "cnn-bn-adamw-avgpool", half,
        design ? "Fashion-MNIST (3000 images), CNN 8-16 channels with BatchNorm, max-pool, AdamW"
               : "Fashion-MNIST (3000 images), CNN 12-24 channels with BatchNorm, average-pool, AdamW",
        Split{data.train_x.slice(0, 0, 3000), data.train_y.slice(0, 0, 3000), data.valid_x, data.valid_y}, 64,
        sequential_run(
            seed, design ? [] { return small_cnn(8, 16, false); } : [] { return small_cnn(12, 24, true); }, adamw()));
    cnn.epochs = 2;
    tasks.push_back(std::move(cnn));
    if (design) {
      tasks.push_back(
          classification("imbalanced-long-tail", half,
                         "Fashion-MNIST, class c keeps 0.5^c of its images (class 0: 50%), MLP 784-64-10, SGD",
                         long_tailed(data, 0.5), 64,
                         sequential_run(
                             seed,
                             [] {
                               return mlp({784, 64, 10});
                             },
                             sgd())));
    } else {
      tasks.push_back(classification("imbalanced-binary", half,
                                     "Fashion-MNIST, bags against the rest, bags 3% of the images, MLP 784-32-2, Adam",
                                     one_against_rest(data, 8, 0.03), 64,
                                     sequential_run(
                                         seed,
                                         [] {
                                           return mlp({784, 32, 2});
                                         },
                                         adam())));
    }
    tasks.push_back(
        regression(design ? "regression-teacher" : "regression-sines", half,
                   design ? "20 features, y = random tanh teacher + noise, MLP 20-64-64-1, MSE, SGD"
                          : "20 features, y = sum of sines + noise, MLP 20-128-1, MSE, Adam",
                   teacher_regression(seed, !design),
                   sequential_run(
                       seed, design ? [] { return mlp({20, 64, 64, 1}); } : [] { return mlp({20, 128, 1}); },
                       design ? sgd() : adam())));

    // Transfer: pretrained on classes 0-4, then classes 5-9.
    const Split source = class_range(data, 0, 5), target = class_range(data, 5, 10);
    const int64_t width = design ? 128 : 192;
    auto weights = std::make_shared<Pretrained>(pretrain(seed, width, source, target));
    tasks.push_back(
        classification(design ? "head-frozen-adam" : "head-frozen-sgd", half,
                       "Fashion-MNIST classes 5-9, new head on a body pretrained on classes 0-4, body frozen", target,
                       64, transfer_run(seed, width, weights, false, design ? adam() : sgd())));
    tasks.push_back(classification(design ? "unfrozen-adam" : "unfrozen-sgd", half,
                                   "the same after one epoch of the head: every layer trained", target, 64,
                                   transfer_run(seed, width, weights, true, design ? adam() : sgd())));

    Task noisy = classification(
        design ? "noisy-batch4-sgd" : "noisy-batch4-adam", half,
        "Fashion-MNIST (2000 images), batch size 4, MLP 784-64-10, " + std::string(design ? "SGD" : "Adam"),
        Split{data.train_x.slice(0, 0, 2000), data.train_y.slice(0, 0, 2000), data.valid_x, data.valid_y}, 4,
        sequential_run(
            seed,
            [] {
              return mlp({784, 64, 10});
            },
            design ? sgd() : adam()));
    noisy.epochs = 1;
    tasks.push_back(std::move(noisy));

    Task short_range =
        classification(design ? "short-range-sgd" : "short-range-adam", half,
                       design ? "Fashion-MNIST, MLP 784-128-10, SGD, range test ending at 1e-2 (before the blow-up)"
                              : "Fashion-MNIST, MLP 784-128-10, Adam, range test ending at 1e-3 (before the blow-up)",
                       data, 64,
                       sequential_run(
                           seed + 10,
                           [] {
                             return mlp({784, 128, 10});
                           },
                           design ? sgd() : adam()));
    short_range.range_test.end_lr(design ? 1e-2 : 1e-3);
    tasks.push_back(std::move(short_range));

    tasks.push_back(classification(
        design ? "deep-no-norm-relu" : "deep-no-norm-tanh", half,
        design ? "Fashion-MNIST, 12 linear layers of 64, ReLU, no normalisation, SGD"
               : "Fashion-MNIST, 16 linear layers of 48, tanh, no normalisation, SGD",
        data, 64,
        sequential_run(
            seed, design ? [] { return mlp(deep_widths(11, 64)); } : [] { return mlp(deep_widths(15, 48), "tanh"); },
            sgd())));

    tasks.push_back(design ? bag_task("embedding-bag-adam", half, seed, 1000, 4, adam(), "Adam")
                           : bag_task("embedding-bag-sgd", half, seed, 2000, 8, sgd(), "SGD"));
  }
  add_fresh_held_out(tasks);
  add_second_corpus(tasks);
  return tasks;
}

}  // namespace autolr::quality
