// The same range test on CUDA: run where a GPU is present, skipped elsewhere.

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "autolr/lr_finder.h"
#include "autolr/trainer.h"
#include "torch_support.h"

namespace autolr {
namespace {

#define SKIP_WITHOUT_CUDA() \
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device"

TEST(Cuda, RangeTestRestoresBitIdenticallyOnTheGpu) {
  SKIP_WITHOUT_CUDA();
  for (SnapshotLocation location : {SnapshotLocation::SameDevice, SnapshotLocation::Cpu}) {
    torch::manual_seed(0);
    test::Classifier model;
    model->to(torch::kCUDA);
    torch::optim::Adam optimizer(model->parameters(), 1e-3);
    Trainer trainer(model, optimizer, test::cross_entropy, batches(test::classification_batches(6, 32)),
                    TrainerOptions().device(torch::kCUDA).progress(false));
    trainer.fit(1);
    const auto before = test::capture(*model, optimizer);
    const LRCurve curve =
        lr_find(trainer, LRFinderOptions().progress(false).end_lr(100).snapshot(SnapshotOptions().location(location)));
    EXPECT_GT(curve.size(), 5u);
    EXPECT_TRUE(test::identical(before, test::capture(*model, optimizer)));
  }
}

TEST(Cuda, DeferredReadbackGivesTheSameCurveAsReadingEveryStep) {
  SKIP_WITHOUT_CUDA();
  const auto run = [](int64_t readback_every) {
    torch::manual_seed(0);
    test::Classifier model;
    model->to(torch::kCUDA);
    torch::optim::SGD optimizer(model->parameters(), torch::optim::SGDOptions(0.1).momentum(0.9));
    Trainer trainer(model, optimizer, test::cross_entropy, batches(test::classification_batches(6, 32)),
                    TrainerOptions().device(torch::kCUDA).progress(false));
    return lr_find(trainer, LRFinderOptions().progress(false).end_lr(1e4).readback_every(readback_every));
  };
  const LRCurve every = run(1);
  const LRCurve deferred = run(0);  // every 4 steps on CUDA
  EXPECT_EQ(every.losses(), deferred.losses());
  EXPECT_EQ(every.stop_reason(), deferred.stop_reason());
}

}  // namespace
}  // namespace autolr
