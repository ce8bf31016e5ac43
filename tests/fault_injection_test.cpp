// Faults injected into range tests: in every case the parameters, buffers and
// optimizer state come back bit-identical, or a RestoreError says they could
// not and where the last good copy is; no snapshot file is left behind; the
// error reaches the caller. docs/faults.md lists these cases.

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <limits>

#include "autolr/curve_csv.h"
#include "autolr/error.h"
#include "autolr/lr_finder.h"
#include "autolr/plot.h"
#include "autolr/trainer.h"
#include "test_support.h"
#include "torch_support.h"

namespace autolr {
namespace {

namespace fs = std::filesystem;

struct Fixture {
  test::Classifier model;
  std::unique_ptr<torch::optim::Optimizer> optimizer;
  std::unique_ptr<Trainer> trainer;
  // warm_up: one epoch first, so the optimizer has state to restore.
  explicit Fixture(Trainer::LossFunction loss = test::cross_entropy, bool warm_up = true) {
    torch::manual_seed(0);
    optimizer = test::make_optimizer(test::OptimizerKind::Adam, model->parameters());
    trainer = std::make_unique<Trainer>(model, *optimizer, std::move(loss),
                                        batches(test::classification_batches(6, 16)), TrainerOptions().progress(false));
    if (warm_up) trainer->fit(1);
  }
  test::CapturedState state() { return test::capture(*model, *optimizer); }
};

LRFinderOptions on_disk(const std::string& directory) {
  return LRFinderOptions().progress(false).num_iter(20).snapshot(
      SnapshotOptions().location(SnapshotLocation::Disk).directory(directory));
}

std::size_t files_in(const std::string& directory) {
  return static_cast<std::size_t>(std::distance(fs::directory_iterator(directory), {}));
}

TEST(FaultInjection, LossFunctionThrowingAtStepKWithADiskSnapshotLeavesNoFile) {
  test::TempDir dir;
  int64_t calls = 0;
  Fixture f([&](const torch::Tensor& out, const torch::Tensor& target) {
    if (++calls == 12) throw std::runtime_error("loss failed at call 12");
    return test::cross_entropy(out, target);
  });
  const auto before = f.state();
  calls = 0;
  EXPECT_THROW_WITH(lr_find(*f.trainer, on_disk(dir.path())), std::runtime_error, "loss failed at call 12");
  EXPECT_TRUE(test::identical(before, f.state()));
  EXPECT_EQ(files_in(dir.path()), 0u) << "no snapshot or temporary file left";
}

TEST(FaultInjection, NanAtTheFirstStepStopsAtOnceAndRestores) {
  Fixture f(
      [](const torch::Tensor& out, const torch::Tensor& target) {
        return test::cross_entropy(out, target) * std::numeric_limits<float>::quiet_NaN();
      },
      /*warm_up=*/false);  // a warm-up on NaN losses would leave NaN weights, which never compare equal
  const auto before = f.state();
  const LRCurve curve = lr_find(*f.trainer, LRFinderOptions().progress(false));
  EXPECT_EQ(curve.size(), 1u);
  EXPECT_EQ(curve.stop_reason(), StopReason::NonFiniteLoss);
  EXPECT_TRUE(test::identical(before, f.state()));
  const Suggestion s = suggest(curve, Method::Valley);
  EXPECT_FALSE(s.lr) << "nothing finite to suggest on";
  EXPECT_TRUE(s.has_warning(WarningKind::TooFewPoints));
}

TEST(FaultInjection, SnapshotDirectoryThatCannotBeWrittenStopsTheTestBeforeItStarts) {
  Fixture f;
  const auto before = f.state();
  // /proc refuses new files even to root, which chmod does not.
  EXPECT_THROW_WITH(lr_find(*f.trainer, on_disk("/proc")), RestoreError, "the range test did not start");
  EXPECT_TRUE(test::identical(before, f.state()));
}

TEST(FaultInjection, SnapshotDirectoryVanishingMidTestIsAClearRestoreError) {
  auto dir = std::make_unique<test::TempDir>();
  const std::string path = dir->path();
  Fixture f;
  struct Vanish : Callback {
    std::string path;
    void on_after_step(FitContext& c) override {
      if (c.step == 5) fs::remove_all(path);
    }
  } vanish;
  vanish.path = path;
  LRFinder finder(on_disk(path));
  try {
    f.trainer->fit(100, {&finder, &vanish});
    FAIL() << "expected a RestoreError";
  } catch (const RestoreError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find(path + "/autolr-snapshot-"), std::string::npos) << message;
    EXPECT_NE(message.find("damaged or missing"), std::string::npos) << message;
    EXPECT_NE(message.find("no good copy is left"), std::string::npos) << message;
  }
  EXPECT_FALSE(fs::exists(path));
}

TEST(FaultInjection, RestoreErrorWhileHandlingAnotherErrorNamesBoth) {
  auto dir = std::make_unique<test::TempDir>();
  const std::string path = dir->path();
  Fixture f;
  struct VanishAndThrow : Callback {
    std::string path;
    void on_after_step(FitContext& c) override {
      if (c.step == 3) {
        fs::remove_all(path);
        throw std::runtime_error("training failed");
      }
    }
  } fault;
  fault.path = path;
  LRFinder finder(on_disk(path));
  EXPECT_THROW_WITH(f.trainer->fit(100, {&finder, &fault}), RestoreError,
                    "while handling the range test's own error: training failed");
}

TEST(FaultInjection, EdgeCaseCurvesFromTheFuzzerNeverCrashTheReaderSuggestersOrPlot) {
  std::size_t read = 0;
  for (const auto& entry : fs::directory_iterator(test::data_path("../fuzz/regressions"))) {
    SCOPED_TRACE(entry.path().string());
    try {
      const LRCurve curve = read_curve_csv(entry.path().string());
      auto suggestions = suggest_all(curve);
      suggestions.push_back(suggest(curve, Method::DescentStart));
      EXPECT_NE(render_svg(curve, suggestions).find("</svg>"), std::string::npos);
      ++read;
    } catch (const Error&) {
      // rejected with a message: fine
    }
  }
  EXPECT_GE(read, 3u);
}

}  // namespace
}  // namespace autolr
