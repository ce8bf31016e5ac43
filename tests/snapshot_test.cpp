// Model, optimizer and RNG come back bit for bit after a range test: for
// every optimizer, with BatchNorm, Dropout and a frozen layer, also when the
// test throws half-way, with snapshots in memory, on the CPU or on disk.

#include "autolr/snapshot.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "autolr/error.h"
#include "autolr/lr_finder.h"
#include "autolr/trainer.h"
#include "test_support.h"
#include "torch_support.h"

namespace autolr {
namespace {

using test::Classifier;
using test::OptimizerKind;

struct TrainingSetup {
  Classifier model;
  std::unique_ptr<torch::optim::Optimizer> optimizer;
  std::unique_ptr<Trainer> trainer;
  TrainingSetup(OptimizerKind kind, uint64_t seed = 0) {
    torch::manual_seed(seed);
    model = Classifier();
    optimizer = test::make_optimizer(kind, model->parameters());
    trainer = std::make_unique<Trainer>(model, *optimizer, test::cross_entropy,
                                        batches(test::classification_batches(6, 16)), TrainerOptions().progress(false));
  }
};

LRFinderOptions quiet() { return LRFinderOptions().progress(false).num_iter(30); }

std::size_t files_in(const std::string& directory) {
  return static_cast<std::size_t>(std::distance(std::filesystem::directory_iterator(directory), {}));
}

class EveryOptimizer : public ::testing::TestWithParam<OptimizerKind> {};

TEST_P(EveryOptimizer, RangeTestLeavesEveryTensorBitIdentical) {
  for (bool warmed_up : {false, true}) {
    SCOPED_TRACE(warmed_up ? "optimizer with state" : "fresh optimizer");
    TrainingSetup s(GetParam());
    if (warmed_up) s.trainer->fit(1);  // momentum buffers, moments, step counts, BatchNorm statistics
    const auto before = test::capture(*s.model, *s.optimizer);
    const LRCurve curve = lr_find(*s.trainer, quiet().end_lr(100));
    EXPECT_GT(curve.size(), 3u);
    EXPECT_TRUE(test::identical(before, test::capture(*s.model, *s.optimizer)));
  }
}

TEST_P(EveryOptimizer, FrozenParametersAreNeverTouchedEvenWithoutRestore) {
  TrainingSetup s(GetParam());
  const auto frozen = s.model->frozen->weight.detach().clone();
  const auto hidden = s.model->hidden->weight.detach().clone();
  lr_find(*s.trainer, quiet().restore(false).end_lr(1));
  EXPECT_TRUE(torch::equal(frozen, s.model->frozen->weight));
  EXPECT_FALSE(torch::equal(hidden, s.model->hidden->weight)) << "without restore the test's changes stay";
}

INSTANTIATE_TEST_SUITE_P(Optimizers, EveryOptimizer, ::testing::ValuesIn(test::all_optimizer_kinds()),
                         [](const auto& info) { return test::to_string(info.param); });

// Per-batch losses of a 2-epoch fit, read by a callback.
std::vector<double> fit_losses(TrainingSetup& s) {
  struct Losses : Callback {
    std::vector<double> values;
    void on_after_loss(FitContext& c) override { values.push_back(c.loss.item<double>()); }
  } losses;
  s.trainer->fit(2, {&losses});
  return losses.values;
}

TEST(Snapshot, AFitAfterARangeTestIsBitIdenticalToTheSameFitWithout) {
  for (OptimizerKind kind : {OptimizerKind::Sgd, OptimizerKind::Adam}) {
    TrainingSetup plain(kind, 7);
    const auto without = fit_losses(plain);
    TrainingSetup tested(kind, 7);
    lr_find(*tested.trainer, quiet().end_lr(100));
    const auto with = fit_losses(tested);
    EXPECT_EQ(with, without) << test::to_string(kind) << ": Dropout draws from the restored RNG";
  }
}

TEST(Snapshot, AnExceptionAtStepKLeavesEverythingBitIdenticalAndReachesTheCaller) {
  for (int64_t k : {0, 1, 5, 17}) {
    SCOPED_TRACE("step " + std::to_string(k));
    // From a callback, after the optimizer stepped.
    TrainingSetup s(OptimizerKind::Adam);
    s.trainer->fit(1);
    const auto before = test::capture(*s.model, *s.optimizer);
    struct Thrower : Callback {
      int64_t k;
      explicit Thrower(int64_t k) : k(k) {}
      void on_after_step(FitContext& c) override {
        if (c.step == k + 1) throw std::runtime_error("callback failed");
      }
    };
    LRFinder finder(quiet());
    Thrower thrower(k);
    EXPECT_THROW_WITH(s.trainer->fit(100, {&finder, &thrower}), std::runtime_error, "callback failed");
    EXPECT_TRUE(test::identical(before, test::capture(*s.model, *s.optimizer)));

    // From the loss function, in a hand-written loop.
    const LRFinderOptions options = quiet();
    EXPECT_THROW_WITH(
        range_test(
            *s.model, *s.optimizer,
            [&](int64_t step) -> torch::Tensor {
              s.optimizer->zero_grad();
              auto loss = test::cross_entropy(s.model->forward(torch::randn({8, 8})), torch::zeros({8}, torch::kLong));
              loss.backward();
              s.optimizer->step();
              TORCH_CHECK_WITH(OutOfMemoryError, step != k, "simulated CUDA out of memory");  // 1.13 and 2.x alike
              return loss;
            },
            options),
        c10::OutOfMemoryError, "simulated CUDA out of memory");
    EXPECT_TRUE(test::identical(before, test::capture(*s.model, *s.optimizer)));
  }
}

TEST(Snapshot, CpuAndDiskLocationsRestoreBitIdenticallyAndLeaveNoFile) {
  test::TempDir dir;
  for (SnapshotLocation location : {SnapshotLocation::Cpu, SnapshotLocation::Disk}) {
    TrainingSetup s(OptimizerKind::Sgd);
    s.trainer->fit(1);
    const auto before = test::capture(*s.model, *s.optimizer);
    lr_find(*s.trainer, quiet().snapshot(SnapshotOptions().location(location).directory(dir.path())));
    EXPECT_TRUE(test::identical(before, test::capture(*s.model, *s.optimizer)));
    EXPECT_EQ(files_in(dir.path()), 0u);
  }
}

TEST(Snapshot, TwoRangeTestsAtOnceInOneDirectoryDoNotDisturbEachOther) {
  test::TempDir dir;
  TrainingSetup a(OptimizerKind::Adam, 1), b(OptimizerKind::Sgd, 2);
  a.trainer->fit(1);
  b.trainer->fit(1);
  const auto before_a = test::capture(*a.model, *a.optimizer);
  const auto before_b = test::capture(*b.model, *b.optimizer);
  const auto disk =
      quiet().num_iter(60).snapshot(SnapshotOptions().location(SnapshotLocation::Disk).directory(dir.path()));
  std::exception_ptr error_a, error_b;
  std::thread first([&] {
    try {
      lr_find(*a.trainer, disk);
    } catch (...) {
      error_a = std::current_exception();
    }
  });
  std::thread second([&] {
    try {
      lr_find(*b.trainer, disk);
    } catch (...) {
      error_b = std::current_exception();
    }
  });
  first.join();
  second.join();
  EXPECT_FALSE(error_a);
  EXPECT_FALSE(error_b);
  EXPECT_TRUE(test::identical(before_a, test::capture(*a.model, *a.optimizer)));
  EXPECT_TRUE(test::identical(before_b, test::capture(*b.model, *b.optimizer)));
  EXPECT_EQ(files_in(dir.path()), 0u);
}

TEST(Snapshot, ATruncatedFileIsDetectedBeforeAnythingChangesAndNamed) {
  test::TempDir dir;
  TrainingSetup s(OptimizerKind::Sgd);
  Snapshot snapshot(*s.model, *s.optimizer, SnapshotOptions().location(SnapshotLocation::Disk).directory(dir.path()));
  ASSERT_TRUE(std::filesystem::exists(snapshot.file()));
  s.trainer->fit(1);  // the model moves on
  const auto moved = test::capture(*s.model, *s.optimizer);
  std::filesystem::resize_file(snapshot.file(), std::filesystem::file_size(snapshot.file()) / 2);
  EXPECT_THROW_WITH(snapshot.restore(), RestoreError, snapshot.file() + " is damaged or missing");
  EXPECT_TRUE(test::identical(moved, test::capture(*s.model, *s.optimizer))) << "nothing half-restored";
}

TEST(Snapshot, RestoresGradientsAndModesAndWorksForModulesThatAreNotCloneable) {
  TrainingSetup s(OptimizerKind::Sgd);
  s.model->norm->eval();
  EXPECT_THROW(s.model->clone(), c10::Error) << "Module::clone() is no option";
  const auto before = test::capture(*s.model, *s.optimizer);
  {
    SnapshotGuard guard(*s.model, *s.optimizer);
    s.trainer->fit(1);
  }
  EXPECT_TRUE(test::identical(before, test::capture(*s.model, *s.optimizer)));
}

TEST(Snapshot, MissingDirectoryIsRejectedNamingIt) {
  TrainingSetup s(OptimizerKind::Sgd);
  EXPECT_THROW_WITH(
      Snapshot(*s.model, *s.optimizer, SnapshotOptions().location(SnapshotLocation::Disk).directory("/nonexistent/x")),
      InvalidArgument, "Snapshot: directory = /nonexistent/x, expected an existing directory");
}

// An optimizer that holds more than the model: a range test run on one
// layer, with an optimizer over the whole net. Everything the optimizer
// holds comes back, the parts outside `model` too. (What neither holds, the
// rest of the net's BatchNorm statistics, autolr cannot know: that is why the
// model passed must be the one whose forward runs; here the norm is in eval.)
TEST(Snapshot, TensorsTheOptimizerHoldsOutsideTheModelAreRestoredToo) {
  for (SnapshotLocation location : {SnapshotLocation::SameDevice, SnapshotLocation::Cpu, SnapshotLocation::Disk}) {
    test::TempDir dir;
    TrainingSetup s(OptimizerKind::Adam);
    s.trainer->fit(1);
    s.model->norm->eval();
    const auto before = test::capture(*s.model, *s.optimizer);
    const auto data = test::classification_batches(4, 16);
    const LRCurve curve = range_test(
        *s.model->hidden, *s.optimizer,
        [&](int64_t step) {
          const Batch& batch = data[static_cast<std::size_t>(step) % data.size()];
          s.optimizer->zero_grad();
          auto loss = test::cross_entropy(s.model->forward(batch.input), batch.target);
          loss.backward();
          s.optimizer->step();
          return loss.detach();
        },
        quiet().end_lr(100).snapshot(SnapshotOptions().location(location).directory(dir.path())));
    EXPECT_GT(curve.size(), 3u);
    EXPECT_TRUE(test::identical(before, test::capture(*s.model, *s.optimizer)));
    EXPECT_EQ(files_in(dir.path()), 0u);
  }
}

TEST(Snapshot, ATrainerWhoseOptimizerHoldsNoneOfTheModelsParametersIsRefused) {
  TrainingSetup a(OptimizerKind::Sgd), b(OptimizerKind::Sgd, 1);
  const auto before_a = test::capture(*a.model, *a.optimizer);
  const auto before_b = test::capture(*b.model, *b.optimizer);
  Trainer mixed(a.model, *b.optimizer, test::cross_entropy, batches(test::classification_batches(2, 4)),
                TrainerOptions().progress(false));
  const char* message = "Trainer: none of the optimizer's 6 trainable parameters is one of the model's 8 parameters";
  EXPECT_THROW_WITH(lr_find(mixed, quiet()), InvalidArgument, message);
  EXPECT_THROW_WITH(mixed.fit(1), InvalidArgument, message);
  EXPECT_TRUE(test::identical(before_a, test::capture(*a.model, *a.optimizer)));
  EXPECT_TRUE(test::identical(before_b, test::capture(*b.model, *b.optimizer)));
}

// The other direction: model parameters that require grad but are in no
// group (an optimizer over the head only) are not stepped; the test runs,
// and their gradients come back as they were.
TEST(Snapshot, ModelParametersInNoGroupAreLeftAloneAndTheirGradientsRestored) {
  TrainingSetup s(OptimizerKind::Sgd);
  s.trainer->fit(1);  // every trainable parameter has a gradient now
  torch::optim::Adam head_only(s.model->head->parameters(), 1e-3);
  Trainer trainer(s.model, head_only, test::cross_entropy, batches(test::classification_batches(6, 16)),
                  TrainerOptions().progress(false));
  const auto hidden = s.model->hidden->weight.detach().clone();
  const auto before = test::capture(*s.model, head_only);
  const LRCurve curve = lr_find(trainer, quiet().end_lr(100));
  EXPECT_GT(curve.size(), 3u);
  EXPECT_TRUE(test::identical(before, test::capture(*s.model, head_only)));
  EXPECT_TRUE(torch::equal(hidden, s.model->hidden->weight));
}

// A user's own optimizer type may keep more than LibTorch's state types say:
// it is copied through its own save() and load(), and comes back as exactly.
struct OwnAdam : torch::optim::Adam {
  using torch::optim::Adam::Adam;
};

TEST(Snapshot, AnOptimizerOfAnUnknownTypeIsCopiedThroughItsSerialization) {
  for (SnapshotLocation location : {SnapshotLocation::SameDevice, SnapshotLocation::Disk}) {
    test::TempDir dir;
    torch::manual_seed(0);
    Classifier model;
    OwnAdam optimizer(model->parameters(), torch::optim::AdamOptions(1e-3));
    Trainer trainer(model, optimizer, test::cross_entropy, batches(test::classification_batches(6, 16)),
                    TrainerOptions().progress(false));
    trainer.fit(1);
    const auto before = test::capture(*model, optimizer);
    lr_find(trainer, quiet().end_lr(100).snapshot(SnapshotOptions().location(location).directory(dir.path())));
    EXPECT_TRUE(test::identical(before, test::capture(*model, optimizer)));
  }
}

struct BadOptions {
  const char* name;
  LRFinderOptions options;
  const char* message;
};

void PrintTo(const BadOptions& b, std::ostream* os) { *os << b.name; }

class RangeTestRejects : public ::testing::TestWithParam<BadOptions> {};

TEST_P(RangeTestRejects, BeforeChangingAnything) {
  TrainingSetup s(OptimizerKind::Adam);
  s.trainer->fit(1);
  const auto before = test::capture(*s.model, *s.optimizer);
  EXPECT_THROW_WITH(lr_find(*s.trainer, LRFinderOptions(GetParam().options).progress(false)), InvalidArgument,
                    GetParam().message);
  EXPECT_TRUE(test::identical(before, test::capture(*s.model, *s.optimizer)));
}

INSTANTIATE_TEST_SUITE_P(
    BadInputs, RangeTestRejects,
    ::testing::Values(BadOptions{"ZeroStartLr", LRFinderOptions().start_lr(0),
                                 "LRFinderOptions: start_lr = 0, expected a finite value > 0"},
                      BadOptions{"NegativeStartLr", LRFinderOptions().start_lr(-1e-3), "start_lr = -0.001"},
                      BadOptions{"EndBelowStart", LRFinderOptions().start_lr(1).end_lr(0.1),
                                 "end_lr = 0.1, expected greater than start_lr = 1"},
                      BadOptions{"EndEqualsStart", LRFinderOptions().start_lr(1).end_lr(1), "end_lr = 1"},
                      BadOptions{"OneIteration", LRFinderOptions().num_iter(1), "num_iter = 1, expected at least 2"},
                      BadOptions{"SmoothingOne", LRFinderOptions().smoothing(1),
                                 "smoothing = 1, expected a value in [0, 1)"},
                      BadOptions{"SmoothingNegative", LRFinderOptions().smoothing(-0.5), "smoothing = -0.5"},
                      BadOptions{"DivergeFactorOne", LRFinderOptions().diverge_factor(1.0), "diverge_factor = 1"},
                      BadOptions{"NoAccumulation", LRFinderOptions().accumulation_steps(0), "accumulation_steps = 0"},
                      BadOptions{"GroupCount", LRFinderOptions().group_start_lrs({1e-7, 1e-6}),
                                 "group_start_lrs.size() = 2, expected 1 (one per param group"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(RangeTest, RejectsEmptyDataAModelWithoutTrainableParametersAndNonScalarLosses) {
  TrainingSetup s(OptimizerKind::Sgd);
  const auto before = test::capture(*s.model, *s.optimizer);
  Trainer empty(s.model, *s.optimizer, test::cross_entropy, batches({}), TrainerOptions().progress(false));
  EXPECT_THROW_WITH(lr_find(empty, quiet()), InvalidArgument, "train_data = empty");
  EXPECT_TRUE(test::identical(before, test::capture(*s.model, *s.optimizer)));

  torch::optim::SGD frozen_only(s.model->frozen->parameters(), 0.1);
  Trainer frozen(s.model, frozen_only, test::cross_entropy, batches(test::classification_batches(2, 4)),
                 TrainerOptions().progress(false));
  EXPECT_THROW_WITH(lr_find(frozen, quiet()), InvalidArgument, "LRFinder: the optimizer has no trainable parameters");

  Trainer per_example(
      s.model, *s.optimizer,
      [](const torch::Tensor& o, const torch::Tensor& t) {
        return torch::nn::functional::cross_entropy(
            o, t, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kNone));
      },
      batches(test::classification_batches(2, 4)), TrainerOptions().progress(false));
  EXPECT_THROW_WITH(lr_find(per_example, quiet()), InvalidArgument, "loss = a float tensor of shape [4]");
  EXPECT_TRUE(test::identical(before, test::capture(*s.model, *s.optimizer)));
}

}  // namespace
}  // namespace autolr
