#include "autolr/auto_fit.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "autolr/error.h"
#include "autolr/trainer.h"
#include "test_support.h"
#include "torch_support.h"

namespace autolr {
namespace {

constexpr int64_t kEpochs = 3;

// One fresh setup per fit, from the same seed: the same initial weights for
// the grid and for auto_fit.
struct Problem {
  test::Classifier model;
  std::unique_ptr<torch::optim::SGD> optimizer;
  std::unique_ptr<Trainer> trainer;
  Problem() {
    torch::manual_seed(3);
    model = test::Classifier();
    optimizer = std::make_unique<torch::optim::SGD>(model->parameters(), torch::optim::SGDOptions(0.1).momentum(0.9));
    trainer = std::make_unique<Trainer>(model, *optimizer, test::cross_entropy,
                                        batches(test::classification_batches(30, 32, 8, 3, 1)),
                                        TrainerOptions().progress(false));
    trainer->set_validation_data(batches(test::classification_batches(4, 128, 8, 3, 2)));
  }
};

// Regret = final validation loss at a suggester's LR (no probes) / the best
// of a one-cycle grid (4 LRs per decade) from the same initial weights.
// Measured here: minimum 1.00, valley 1.16: valley is conservative here.
TEST(AutoFit, LandsWithinAFewPercentOfTheBestFinalLossOfAnLrGrid) {
  double best = INFINITY, best_lr = 0;
  for (int i = 0; i <= 16; ++i) {  // 1e-3 .. 10
    const double lr = 1e-3 * std::pow(10.0, i / 4.0);
    Problem p;
    fit_one_cycle(*p.trainer, kEpochs, lr);
    const double loss = *p.trainer->history().back().valid_loss;
    if (std::isfinite(loss) && loss < best) {
      best = loss;
      best_lr = lr;
    }
  }
  const auto regret = [&](Method method) {
    Problem p;
    const AutoFitReport report =
        auto_fit(*p.trainer, kEpochs, AutoFitOptions().print(false).method(method).probe(std::nullopt));
    EXPECT_TRUE(report.trained) << report.decision;
    const double loss = report.trained ? *report.history.back().valid_loss : INFINITY;
    std::printf("%s: lr %.4g, final valid loss %.4f, regret %.4f (grid best lr %.4g, loss %.4f)\n",
                to_string(method).c_str(), report.chosen.lr.value_or(0), loss, loss / best, best_lr, best);
    return loss / best;
  };
  EXPECT_LE(regret(Method::Minimum), 1.05);
  EXPECT_LE(regret(Method::Valley), 1.25);
}

TEST(AutoFit, ReportsEverySuggestionTheScheduleAndTheEpochs) {
  Problem p;
  const AutoFitReport report =
      auto_fit(*p.trainer, 2, AutoFitOptions().print(false).method(Method::Minimum).probe(std::nullopt));
  ASSERT_TRUE(report.trained);
  EXPECT_EQ(report.suggestions.size(), all_methods().size());
  EXPECT_EQ(report.chosen.method, Method::Minimum);
  EXPECT_EQ(report.group_max_lrs, std::vector<double>{*report.chosen.lr});
  ASSERT_TRUE(report.schedule);
  EXPECT_EQ(report.schedule->total_steps(), 60);
  EXPECT_EQ(report.history.size(), 2u);
  const std::string text = report.text();
  for (const char* part :
       {"range test:", "valley", "slide-forum", "descent-start", "decision: max lr", "one cycle:", "epoch 2:"}) {
    EXPECT_NE(text.find(part), std::string::npos) << part << "\n" << text;
  }
}

TEST(AutoFit, DoesNotTrainWhenTheSuggestionHasNoAnswer) {
  Problem p;
  const auto before = test::capture(*p.model, *p.optimizer);
  // Three steps: after fastai's trimming nothing is left to suggest on.
  const AutoFitReport report =
      auto_fit(*p.trainer, 2, AutoFitOptions().print(false).range_test(LRFinderOptions().num_iter(3).progress(false)));
  EXPECT_FALSE(report.trained);
  EXPECT_NE(report.decision.find("has no answer"), std::string::npos) << report.decision;
  EXPECT_TRUE(report.history.empty());
  EXPECT_TRUE(test::identical(before, test::capture(*p.model, *p.optimizer))) << "nothing trained";
}

TEST(AutoFit, SpreadsDiscriminativeLrsGeometricallyOverGroups) {
  const auto lrs = discriminative_lrs(1e-2, 100, 3);
  ASSERT_EQ(lrs.size(), 3u);
  EXPECT_DOUBLE_EQ(lrs[0], 1e-4);
  EXPECT_DOUBLE_EQ(lrs[1], 1e-3);
  EXPECT_EQ(lrs[2], 1e-2);
  EXPECT_EQ(discriminative_lrs(0.1, 10, 1), std::vector<double>{0.1});
  EXPECT_THROW_WITH(discriminative_lrs(0.1, 0.5, 2), InvalidArgument, "ratio = 0.5, expected a finite value >= 1");
  Problem p;
  EXPECT_THROW_WITH(auto_fit(*p.trainer, 1, AutoFitOptions().print(false).group_ratio(0)), InvalidArgument,
                    "ratio = 0");
}

TEST(AutoFit, TakesTheSlicesLowerEndFromTheCurveCappedAtMaxGroupRatio) {
  torch::manual_seed(3);
  test::Classifier model;
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(model->hidden->parameters());
  groups.emplace_back(model->head->parameters());
  torch::optim::SGD optimizer(groups, torch::optim::SGDOptions(0.1).momentum(0.9));
  Trainer trainer(model, optimizer, test::cross_entropy, batches(test::classification_batches(30, 32)),
                  TrainerOptions().progress(false));
  for (double cap : {1e9, 10.0}) {
    const AutoFitReport report = auto_fit(
        trainer, 1, AutoFitOptions().print(false).lower_end_from_curve(true).max_group_ratio(cap).probe(std::nullopt));
    ASSERT_TRUE(report.trained && report.descent_start.lr);
    ASSERT_EQ(report.group_max_lrs.size(), 2u);
    EXPECT_EQ(report.group_max_lrs[1], *report.chosen.lr);
    const double hi = *report.chosen.lr, lo = *report.descent_start.lr;
    const double expected = lo < hi ? std::max(lo, hi / cap) : hi;  // no slice when the descent starts above hi
    EXPECT_NEAR(report.group_max_lrs[0], expected, 1e-12 * expected) << report.decision;
    if (cap == 10.0) EXPECT_LT(report.group_max_lrs[0], hi) << "this curve descends from its start: a slice";
  }
}

TEST(DescentStart, IsWhereTheLossIsTenPercentOfTheWayDown) {
  const std::vector<double> lrs = {1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1};
  const Suggestion s = suggest_descent_start(lrs, {2.0, 1.99, 1.85, 1.2, 1.0, 3.0});
  EXPECT_EQ(s.index, 2u);  // 2.0 - 0.1 * (2.0 - 1.0) = 1.9: first at or below is 1.85
  EXPECT_EQ(s.lr, 1e-3);
  EXPECT_FALSE(suggest_descent_start(lrs, {1, 2, 3, 4, 5, 6}).lr);
}

TEST(AutoFit, TellsAutoTheOptimizersFamilyAndTheFitsSteps) {
  Problem p;
  const AutoFitReport report = auto_fit(*p.trainer, 2, AutoFitOptions().print(false));
  ASSERT_TRUE(report.trained) << report.decision;
  EXPECT_EQ(report.fit.optimizer(), OptimizerFamily::Sgd);
  EXPECT_EQ(report.fit.fit_steps(), 60);
  EXPECT_NE(report.decision.find("told sgd, 60 fit steps: 0.625 decades below the blow-up"), std::string::npos)
      << report.decision;
  // The same curve read without the facts: one decade below the blow-up, 0.375 decades lower.
  const Suggestion untold = suggest(report.curve, Method::Auto);
  EXPECT_NEAR(std::log10(*report.chosen.lr) - std::log10(*untold.lr), 0.375, 1e-9);
  // Facts the caller gives win, and use_fit_facts(false) tells nothing.
  Problem q;
  const auto given = AutoFitOptions().print(false).suggest(
      SuggestOptions().auto_rule(AutoSuggestOptions().fit(FitFacts().optimizer(OptimizerFamily::Adam))));
  EXPECT_EQ(auto_fit(*q.trainer, 2, given).fit.optimizer(), OptimizerFamily::Adam);
  Problem r;
  const AutoFitReport none = auto_fit(*r.trainer, 2, AutoFitOptions().print(false).use_fit_facts(false));
  EXPECT_FALSE(none.fit.optimizer());
  EXPECT_FALSE(none.fit.fit_steps());
}

TEST(AutoFit, KnowsTheOptimizerFamilyByExactType) {
  auto parameters = torch::nn::Linear(2, 2)->parameters();
  EXPECT_EQ(optimizer_family(torch::optim::SGD(parameters, torch::optim::SGDOptions(0.1).momentum(0.9))),
            OptimizerFamily::Sgd);
  EXPECT_EQ(optimizer_family(torch::optim::SGD(parameters, torch::optim::SGDOptions(0.1))),
            OptimizerFamily::SgdNoMomentum);
  EXPECT_EQ(optimizer_family(torch::optim::Adam(parameters)), OptimizerFamily::Adam);
  EXPECT_EQ(optimizer_family(torch::optim::AdamW(parameters)), OptimizerFamily::AdamW);
  EXPECT_EQ(optimizer_family(torch::optim::RMSprop(parameters, torch::optim::RMSpropOptions(0.01))),
            OptimizerFamily::RMSprop);
  EXPECT_EQ(optimizer_family(torch::optim::Adagrad(parameters)), OptimizerFamily::Adagrad);
  struct MySgd : torch::optim::SGD {
    using SGD::SGD;
  };
  EXPECT_FALSE(optimizer_family(MySgd(parameters, torch::optim::SGDOptions(0.1))));
  EXPECT_FALSE(optimizer_family(torch::optim::LBFGS(parameters)));
}

// Shuffled batches, so that another data order is another curve.
struct ShuffledProblem {
  test::Classifier model;
  std::unique_ptr<torch::optim::SGD> optimizer;
  std::unique_ptr<Trainer> trainer;
  ShuffledProblem() {
    torch::manual_seed(5);
    model = test::Classifier();
    optimizer = std::make_unique<torch::optim::SGD>(model->parameters(), torch::optim::SGDOptions(0.1).momentum(0.9));
    const auto x = torch::randn({640, 8});
    const auto y = x.slice(1, 0, 3).argmax(1);
    trainer = std::make_unique<Trainer>(model, *optimizer, test::cross_entropy,
                                        std::make_shared<ShuffledBatches>(x, y, 32), TrainerOptions().progress(false));
  }
};

// A range ending before the blow-up gives at most half the confidence: with a
// floor of 0.9 the curve is never clear enough.
AutoFitOptions unclear_options() {
  return AutoFitOptions()
      .print(false)
      .range_test(LRFinderOptions().end_lr(1e-4).num_iter(30).progress(false))
      .suggest(SuggestOptions().auto_rule(AutoSuggestOptions().min_confidence(0.9)));
}

TEST(AutoFit, AnUnclearCurveGetsASecondRangeTestInAnotherOrderThenNoFit) {
  ShuffledProblem p;
  const auto before = test::capture(*p.model, *p.optimizer);
  torch::manual_seed(11);
  const AutoFitReport report = auto_fit(*p.trainer, 2, unclear_options());
  const auto drawn_after = torch::rand({4});
  ASSERT_EQ(report.range_tests.size(), 2u);
  const LRCurve& first = report.range_tests[0];
  const LRCurve& second = report.range_tests[1];
  EXPECT_EQ(first.lrs(), second.lrs());
  EXPECT_NE(first.losses(), second.losses()) << "another data order";
  ASSERT_EQ(report.curve.size(), first.size());
  for (std::size_t i = 0; i < first.size(); ++i)
    EXPECT_DOUBLE_EQ(report.curve.losses()[i], 0.5 * (first.losses()[i] + second.losses()[i]));
  EXPECT_FALSE(report.trained);
  EXPECT_NE(report.decision.find("the mean of two range tests in other data orders"), std::string::npos)
      << report.decision;
  EXPECT_NE(report.decision.find("not training with a guessed LR"), std::string::npos) << report.decision;
  EXPECT_TRUE(test::identical(before, test::capture(*p.model, *p.optimizer)));
  // The RNG is where it was: both range tests put it back.
  torch::manual_seed(11);
  EXPECT_TRUE(torch::equal(drawn_after, torch::rand({4})));
}

TEST(AutoFit, RefusePolicyRunsOneRangeTestAndDoesNotTrain) {
  ShuffledProblem p;
  const AutoFitReport report = auto_fit(*p.trainer, 2, unclear_options().low_confidence(LowConfidencePolicy::Refuse));
  EXPECT_EQ(report.range_tests.size(), 1u);
  EXPECT_FALSE(report.trained);
  EXPECT_NE(report.decision.find("below min_confidence 0.9"), std::string::npos) << report.decision;
}

}  // namespace
}  // namespace autolr
