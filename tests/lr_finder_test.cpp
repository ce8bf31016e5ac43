#include "autolr/lr_finder.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "autolr/error.h"
#include "autolr/trainer.h"
#include "test_support.h"
#include "torch_support.h"

namespace autolr {
namespace {

using test::Classifier;
using test::OptimizerKind;

LRFinderOptions quiet() { return LRFinderOptions().progress(false); }

// A range test over a hand-written loop whose loss is scripted, to check the
// recording and the stop rule against their definitions.
LRCurve scripted_range_test(const std::vector<double>& losses, LRFinderOptions options) {
  Classifier model;
  torch::optim::SGD optimizer(model->parameters(), 0.1);
  return range_test(
      *model, optimizer, [&](int64_t step) { return torch::tensor(losses.at(static_cast<std::size_t>(step))); },
      options.num_iter(static_cast<int64_t>(losses.size())));
}

// fastai's rule, written out independently: the index at which the test stops.
std::size_t expected_stop(const std::vector<double>& losses, double beta, double factor) {
  EmaSmoother smoother(beta);
  double best = 0;
  for (std::size_t i = 0; i < losses.size(); ++i) {
    const double s = smoother.update(losses[i]);
    if (!std::isfinite(s)) return i;
    best = i == 0 ? s : std::min(best, s);
    if (s > factor * best) return i;
  }
  return losses.size() - 1;
}

std::vector<double> diverging_losses() {
  std::vector<double> losses;
  for (int i = 0; i < 60; ++i) losses.push_back(2.0 - 0.02 * i);           // descent to 0.82
  for (int i = 0; i < 40; ++i) losses.push_back(0.82 * std::pow(1.3, i));  // blow-up
  return losses;
}

TEST(RangeTestLrs, ExponentialMatchesTheClosedFormAndEndsExactlyAtEndLr) {
  const auto options = LRFinderOptions().start_lr(1e-7).end_lr(10).num_iter(100);
  for (int64_t i = 0; i < 100; ++i) {
    const double expected = 1e-7 * std::pow(10 / 1e-7, static_cast<double>(i) / 99);
    EXPECT_DOUBLE_EQ(range_test_lrs(options, 1, i)[0], expected) << i;
  }
  EXPECT_EQ(range_test_lrs(options, 1, 99)[0], 10.0);
  EXPECT_EQ(range_test_lrs(options, 1, 0)[0], 1e-7);
}

TEST(RangeTestLrs, LinearMatchesTheClosedForm) {
  const auto options = LRFinderOptions().start_lr(0.01).end_lr(1).num_iter(5).mode(RangeMode::Linear);
  const std::vector<double> expected = {0.01, 0.2575, 0.505, 0.7525, 1.0};
  for (int64_t i = 0; i < 5; ++i) EXPECT_DOUBLE_EQ(range_test_lrs(options, 1, i)[0], expected[i]);
  EXPECT_EQ(range_test_lrs(options, 1, 4)[0], 1.0);
}

TEST(RangeTestLrs, PerGroupStartsKeepTheirRatiosAndTheLastGroupReachesEndLr) {
  const auto options = LRFinderOptions().group_start_lrs({1e-9, 1e-8, 1e-7}).end_lr(1).num_iter(50);
  for (int64_t i = 0; i < 50; ++i) {
    const auto lrs = range_test_lrs(options, 3, i);
    EXPECT_NEAR(lrs[0] / lrs[2], 0.01, 1e-15);
    EXPECT_NEAR(lrs[1] / lrs[2], 0.1, 1e-15);
  }
  EXPECT_EQ(range_test_lrs(options, 3, 49)[2], 1.0);
}

TEST(LRFinder, RecordsTheClosedFormLrsAndTheSmoothedLossFormula) {
  const auto losses = diverging_losses();
  const LRCurve curve = scripted_range_test(losses, quiet().diverge_factor(std::nullopt));
  ASSERT_EQ(curve.size(), losses.size());
  EXPECT_EQ(curve.stop_reason(), StopReason::Completed);
  EXPECT_EQ(curve.lrs().back(), 10.0);
  const auto smoothed = ema_smooth(curve.losses(), 0.98);
  for (std::size_t i = 0; i < curve.size(); ++i) {
    EXPECT_DOUBLE_EQ(curve.lrs()[i], range_test_lrs(quiet().num_iter(100), 1, static_cast<int64_t>(i))[0]);
    EXPECT_EQ(curve.losses()[i], static_cast<double>(static_cast<float>(losses[i])));  // recorded as the tensor held it
    EXPECT_EQ(curve.smoothed_losses()[i], smoothed[i]);
  }
}

TEST(LRFinder, StopsWhereTheDivergenceRuleSays) {
  const auto losses = diverging_losses();
  std::vector<double> as_float;
  for (double l : losses) as_float.push_back(static_cast<float>(l));
  for (double factor : {4.0, 2.0, 10.0}) {
    const LRCurve curve = scripted_range_test(losses, quiet().diverge_factor(factor));
    EXPECT_EQ(curve.size(), expected_stop(as_float, 0.98, factor) + 1) << factor;
    EXPECT_EQ(curve.stop_reason(), StopReason::Diverged);
  }
}

TEST(LRFinder, ReadingLossesBackLateStopsAtTheSameStep) {
  const auto losses = diverging_losses();
  const LRCurve every_step = scripted_range_test(losses, quiet().readback_every(1));
  const LRCurve every_seventh = scripted_range_test(losses, quiet().readback_every(7));
  EXPECT_EQ(every_step.losses(), every_seventh.losses());
  EXPECT_EQ(every_step.stop_reason(), every_seventh.stop_reason());
}

TEST(LRFinder, StopsAtTheFirstNonFiniteLossAndKeepsIt) {
  std::vector<double> losses(30, 1.0);
  losses[12] = std::numeric_limits<double>::quiet_NaN();
  const LRCurve curve = scripted_range_test(losses, quiet());
  EXPECT_EQ(curve.size(), 13u);
  EXPECT_TRUE(std::isnan(curve.losses().back()));
  EXPECT_EQ(curve.stop_reason(), StopReason::NonFiniteLoss);
  const Suggestion s = suggest(curve, Method::Minimum, SuggestOptions().skip_start(0).skip_end(0));
  EXPECT_LT(*s.index, 12u) << "suggesters never read the NaN";

  losses[0] = std::numeric_limits<double>::infinity();
  EXPECT_EQ(scripted_range_test(losses, quiet()).size(), 1u) << "a non-finite first step stops at once";
}

// Any group may be empty; the range test used to read the first group's first
// parameter for the device, and crashed.
TEST(LRFinder, RangeTestRunsWhenTheFirstParamGroupIsEmpty) {
  torch::manual_seed(0);
  Classifier model;
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(std::vector<torch::Tensor>{});  // a frozen body's group, say
  groups.emplace_back(model->parameters());
  torch::optim::SGD optimizer(groups, torch::optim::SGDOptions(0.1));
  const Batch batch = test::classification_batches(1, 16)[0];
  const LRCurve curve = range_test(
      *model, optimizer,
      [&](int64_t) {
        optimizer.zero_grad();
        const torch::Tensor loss = test::cross_entropy(model->forward(batch.input), batch.target);
        loss.backward();
        optimizer.step();
        return loss.detach();
      },
      quiet().num_iter(5).diverge_factor(std::nullopt));
  EXPECT_EQ(curve.size(), 5u);
  EXPECT_EQ(curve.group_lrs().size(), 2u);
}

// fastai's 4x rule against a best of 0 or below holds at once: a loss with an
// offset used to "diverge" at step 0.
TEST(LRFinder, ALossBelowZeroDivergesWhenItRisesNotAtTheFirstStep) {
  std::vector<double> shifted;
  for (double l : diverging_losses()) shifted.push_back(static_cast<float>(l - 10));  // as the tensor holds it
  const LRCurve curve = scripted_range_test(shifted, quiet());
  // The rule for a best <= 0, written out: a rise above the best of 3 times
  // the descent from the first smoothed loss to the best.
  EmaSmoother smoother(0.98);
  double first = 0, best = 0;
  std::size_t stop = shifted.size() - 1;
  for (std::size_t i = 0; i < shifted.size(); ++i) {
    const double s = smoother.update(shifted[i]);
    first = i == 0 ? s : first;
    best = i == 0 ? s : std::min(best, s);
    if (first - best > 0 && s - best > 3 * (first - best)) {
      stop = i;
      break;
    }
  }
  EXPECT_EQ(curve.stop_reason(), StopReason::Diverged);
  EXPECT_EQ(curve.size(), stop + 1);
  EXPECT_GT(curve.size(), 60u) << "past the descent, in the blow-up";

  // A real one: mean squared error - 10.
  torch::manual_seed(0);
  torch::nn::Linear regression(8, 1);
  torch::optim::SGD sgd(regression->parameters(), 0.1);
  const torch::Tensor x = torch::randn({64, 8});
  const torch::Tensor y = x.sum(1, /*keepdim=*/true);
  const LRCurve real = range_test(
      *regression, sgd,
      [&](int64_t) {
        sgd.zero_grad();
        const torch::Tensor loss = torch::mse_loss(regression->forward(x), y) - 10;
        loss.backward();
        sgd.step();
        return loss.detach();
      },
      quiet().end_lr(100));
  EXPECT_GT(real.size(), 20u) << "not at the first step";
  EXPECT_NE(real.stop_reason(), StopReason::Completed) << "the blow-up at large LRs ends it";
  EXPECT_LT(*std::min_element(real.losses().begin(), real.losses().end()), 0.0);
}

TEST(LRFinder, TrainerRangeTestRestartsDataThatRunsOutAndKeepsThePlan) {
  torch::manual_seed(0);
  Classifier model;
  torch::optim::SGD optimizer(model->parameters(), torch::optim::SGDOptions(0.1).momentum(0.9));
  Trainer trainer(model, optimizer, test::cross_entropy, batches(test::classification_batches(3, 16)),
                  TrainerOptions().progress(false));
  const LRCurve curve = lr_find(trainer, quiet().num_iter(20).end_lr(1e-3).diverge_factor(std::nullopt));
  EXPECT_EQ(curve.size(), 20u) << "3 batches, 20 steps: the data restarts";
  EXPECT_EQ(curve.planned_steps(), 20u);
  EXPECT_EQ(curve.stop_reason(), StopReason::Completed);
  EXPECT_EQ(curve.smoothing_source(), SmoothingSource::Recorded);
}

TEST(LRFinder, DivergesOnARealModelWithSgd) {
  torch::manual_seed(0);
  Classifier model;
  torch::optim::SGD optimizer(model->parameters(), torch::optim::SGDOptions(0.1).momentum(0.9));
  Trainer trainer(model, optimizer, test::cross_entropy, batches(test::classification_batches(10, 32)),
                  TrainerOptions().progress(false));
  const LRCurve curve = lr_find(trainer, quiet().end_lr(1e4));
  EXPECT_LT(curve.size(), 100u);
  EXPECT_TRUE(curve.stop_reason() == StopReason::Diverged || curve.stop_reason() == StopReason::NonFiniteLoss);
}

TEST(LRFinder, AccumulationRecordsTheMeanOfEachStepsBatchesAndStepsOncePerGroup) {
  torch::manual_seed(0);
  Classifier model;
  torch::optim::SGD optimizer(model->parameters(), 0.1);
  std::vector<double> batch_losses;
  Trainer trainer(
      model, optimizer,
      [&](const torch::Tensor& out, const torch::Tensor& target) {
        auto loss = test::cross_entropy(out, target);
        batch_losses.push_back(loss.item<double>());
        return loss;
      },
      batches(test::classification_batches(4, 8)), TrainerOptions().progress(false));
  const LRCurve curve = lr_find(trainer, quiet().num_iter(6).accumulation_steps(3).diverge_factor(std::nullopt));
  ASSERT_EQ(curve.size(), 6u);
  ASSERT_EQ(batch_losses.size(), 18u);
  for (std::size_t step = 0; step < 6; ++step) {
    // The sum is taken in double of the float losses, as the recording does.
    const double mean = (batch_losses[3 * step] + batch_losses[3 * step + 1] + batch_losses[3 * step + 2]) / 3;
    EXPECT_DOUBLE_EQ(curve.losses()[step], mean) << step;
  }
}

TEST(LRFinder, SetsEveryGroupsLrAndRecordsThem) {
  torch::manual_seed(0);
  Classifier model;
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(model->hidden->parameters());
  groups.emplace_back(model->head->parameters());
  torch::optim::SGD optimizer(groups, torch::optim::SGDOptions(0.1));
  std::vector<std::pair<double, double>> seen;
  Trainer trainer(
      model.ptr(),
      [&](const Batch& b) {
        seen.emplace_back(optimizer.param_groups()[0].options().get_lr(),
                          optimizer.param_groups()[1].options().get_lr());
        return model->forward(b.input);
      },
      optimizer, [](const torch::Tensor& o, const Batch& b) { return test::cross_entropy(o, b.target); },
      batches(test::classification_batches(2, 8)), TrainerOptions().progress(false));
  const LRCurve curve = lr_find(trainer, quiet().num_iter(10).group_start_lrs({1e-6, 1e-5}).end_lr(0.1));
  ASSERT_EQ(curve.group_lrs().size(), 2u);
  ASSERT_EQ(seen.size(), curve.size());
  for (std::size_t i = 0; i < curve.size(); ++i) {
    EXPECT_EQ(seen[i].first, curve.group_lrs()[0][i]);
    EXPECT_EQ(seen[i].second, curve.group_lrs()[1][i]);
    EXPECT_EQ(curve.lrs()[i], curve.group_lrs()[1][i]);
  }
  EXPECT_EQ(optimizer.param_groups()[0].options().get_lr(), 0.1) << "restored";
}

TEST(LRFinder, ValidationLossPerStepIsRecordedInsteadOfTheTrainingLoss) {
  torch::manual_seed(0);
  torch::nn::Linear model(8, 3);  // no BatchNorm: its running statistics move whatever the LR
  torch::optim::SGD optimizer(model->parameters(), 0.1);
  Trainer trainer(model, optimizer, test::cross_entropy, batches(test::classification_batches(4, 16)),
                  TrainerOptions().progress(false));
  EXPECT_THROW_WITH(lr_find(trainer, quiet().use_validation(true)), InvalidArgument, "use_validation = true");
  auto validation = batches(test::classification_batches(2, 32, 8, 3, /*seed=*/3));
  trainer.set_validation_data(validation);
  const double before = trainer.evaluate(*validation).loss;
  // LRs far too small to move the model: the validation loss stays put,
  // while the training loss of each batch differs.
  const LRCurve curve = lr_find(trainer, quiet().num_iter(5).start_lr(1e-12).end_lr(1e-11).use_validation(true));
  ASSERT_EQ(curve.size(), 5u);
  for (double loss : curve.losses()) EXPECT_NEAR(loss, before, 1e-6);
  const LRCurve training = lr_find(trainer, quiet().num_iter(5).start_lr(1e-12).end_lr(1e-11).use_validation(false));
  EXPECT_GT(std::abs(training.losses()[1] - before), 1e-4);
}

TEST(LRFinder, AsACallbackInFitStopsItselfAndSuggestsWithFastaiTrimming) {
  torch::manual_seed(0);
  Classifier model;
  torch::optim::SGD optimizer(model->parameters(), torch::optim::SGDOptions(0.1).momentum(0.9));
  LRFinder finder(quiet().end_lr(100));
  Trainer trainer(model, optimizer, test::cross_entropy, batches(test::classification_batches(10, 32)),
                  TrainerOptions().progress(false));
  trainer.fit(1000, {&finder});
  const LRCurve& curve = finder.curve();
  ASSERT_GT(curve.size(), 20u);
  EXPECT_LE(trainer.history().size(), 10u) << "the finder ended the fit";
  const Suggestion s = finder.suggest(Method::Valley);
  const Suggestion trimmed = suggest(curve, Method::Valley, SuggestOptions().skip_start(10).skip_end(5));
  EXPECT_EQ(finder.suggest().method, kDefaultMethod);
  EXPECT_EQ(s.index, trimmed.index);
  EXPECT_EQ(s.lr, trimmed.lr);
}

}  // namespace
}  // namespace autolr
