#include "autolr/curve.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "autolr/curve_csv.h"
#include "autolr/error.h"
#include "test_support.h"

namespace autolr {
namespace {

TEST(EmaSmoother, MatchesBiasCorrectedFormula) {
  const std::vector<double> losses = {2.0, 1.5, 3.0, 0.25, 1.0};
  const double beta = 0.9;
  double average = 0;
  EmaSmoother smoother(beta);
  for (std::size_t t = 1; t <= losses.size(); ++t) {
    average = beta * average + (1 - beta) * losses[t - 1];
    EXPECT_DOUBLE_EQ(smoother.update(losses[t - 1]), average / (1 - std::pow(beta, static_cast<double>(t))));
  }
}

TEST(EmaSmoother, FirstValueIsTheFirstLoss) {
  // Bias correction makes the first smoothed value the loss itself, not 2% of it.
  EmaSmoother smoother(0.98);
  EXPECT_DOUBLE_EQ(smoother.update(2.5), 2.5);
}

TEST(EmaSmoother, BetaZeroIsNoSmoothing) {
  EXPECT_EQ(ema_smooth({1.0, 5.0, 2.0}, 0.0), (std::vector<double>{1.0, 5.0, 2.0}));
}

TEST(EmaSmoother, RejectsBetaOutsideZeroOne) {
  EXPECT_THROW_WITH(EmaSmoother(1.0), InvalidArgument, "beta = 1, expected a value in [0, 1)");
  EXPECT_THROW_WITH(EmaSmoother(-0.1), InvalidArgument, "beta = -0.1");
  EXPECT_THROW_WITH(EmaSmoother(std::nan("")), InvalidArgument, "beta = nan");
}

TEST(EmaSmoother, MatchesTheSmoothedColumnWrittenByNumpy) {
  // tools/make_suggester_vectors.py smooths with the same formula in Python.
  const LRCurve recorded = read_curve_csv(test::curve_path("clean_valley"));
  const auto computed = ema_smooth(recorded.losses(), 0.98);
  ASSERT_EQ(computed.size(), recorded.size());
  for (std::size_t i = 0; i < computed.size(); ++i) {
    EXPECT_NEAR(computed[i], recorded.smoothed_losses()[i], 1e-12 * std::abs(computed[i])) << "step " << i;
  }
}

TEST(LRCurve, ComputesSmoothingWhenNotGiven) {
  const LRCurve curve({1e-3, 1e-2, 1e-1}, {2.0, 1.0, 4.0});
  EXPECT_EQ(curve.smoothing_source(), SmoothingSource::Computed);
  EXPECT_EQ(curve.smoothed_losses(), ema_smooth({2.0, 1.0, 4.0}, 0.98));
}

TEST(LRCurve, KeepsGivenSmoothing) {
  const LRCurve curve({1e-3, 1e-2}, {2.0, 1.0}, std::vector<double>{2.0, 1.9});
  EXPECT_EQ(curve.smoothing_source(), SmoothingSource::Recorded);
  EXPECT_EQ(curve.smoothed_losses(), (std::vector<double>{2.0, 1.9}));
}

TEST(LRCurve, AcceptsNonFiniteLossesAsADivergedTail) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const LRCurve curve({1e-3, 1e-2, 1e-1}, {2.0, 1.0, nan});
  EXPECT_TRUE(std::isnan(curve.losses()[2]));
}

TEST(LRCurve, RejectsBadLearningRatesNamingTheElement) {
  EXPECT_THROW_WITH(LRCurve({1e-3, 1e-3}, {1.0, 1.0}), InvalidArgument,
                    "lrs[1] = 0.001, expected greater than lrs[0] = 0.001");
  EXPECT_THROW_WITH(LRCurve({0.0, 1e-3}, {1.0, 1.0}), InvalidArgument,
                    "lrs[0] = 0, expected a finite learning rate > 0");
  EXPECT_THROW_WITH(LRCurve({1e-3, std::nan("")}, {1.0, 1.0}), InvalidArgument, "lrs[1] = nan");
  EXPECT_THROW_WITH(LRCurve({1e-3, 1e-2}, {1.0}), InvalidArgument, "losses.size() = 1, expected 2");
  EXPECT_THROW_WITH(LRCurve({1e-3, 1e-2}, {1.0, 2.0}, std::vector<double>{1.0}), InvalidArgument,
                    "smoothed_losses.size() = 1");
  EXPECT_THROW_WITH(LRCurve({1e-3, 1e-2}, {1.0, 2.0}, 1.5), InvalidArgument, "beta = 1.5");
}

TEST(LRCurve, PlannedStepsCannotBeFewerThanRecorded) {
  LRCurve curve({1e-3, 1e-2, 1e-1}, {2.0, 1.0, 4.0});
  EXPECT_THROW_WITH(curve.set_planned_steps(2), InvalidArgument, "planned_steps = 2, expected at least the 3");
  EXPECT_FALSE(curve.planned_steps().has_value());
  curve.set_planned_steps(100);
  EXPECT_EQ(curve.planned_steps(), 100u);
}

TEST(StopReason, RoundTripsThroughText) {
  for (StopReason reason : {StopReason::Completed, StopReason::Diverged, StopReason::NonFiniteLoss, StopReason::Stopped,
                            StopReason::Unknown}) {
    EXPECT_EQ(stop_reason_from_string(to_string(reason)), reason);
  }
  EXPECT_THROW_WITH(stop_reason_from_string("exploded"), InvalidArgument, "\"exploded\"");
}

TEST(Error, EveryAutolrErrorIsCatchableAsErrorAndAsItsStandardBase) {
  try {
    EmaSmoother bad(2.0);
    FAIL() << "no throw";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("beta"), std::string::npos);
  }
  EXPECT_THROW(read_curve_csv("/nonexistent/curve.csv"), std::runtime_error);
  EXPECT_THROW(EmaSmoother(2.0), std::invalid_argument);
}

TEST(CombineCurves, IsTheMeanRawLossOverTheStepsBothReached) {
  LRCurve first({1e-3, 1e-2, 1e-1, 1.0}, {2.0, 1.0, 0.5, 9.0});
  first.set_stop_reason(StopReason::Completed);
  first.set_planned_steps(4);
  LRCurve second({1e-3, 1e-2, 1e-1}, {3.0, 2.0, 0.25});
  second.set_stop_reason(StopReason::Diverged);
  const LRCurve both = combine_curves(first, second);
  EXPECT_EQ(both.lrs(), (std::vector<double>{1e-3, 1e-2, 1e-1}));
  EXPECT_EQ(both.losses(), (std::vector<double>{2.5, 1.5, 0.375}));
  EXPECT_EQ(both.smoothed_losses(), ema_smooth(both.losses()));
  EXPECT_EQ(both.stop_reason(), StopReason::Diverged) << "the one that stopped first";
  EXPECT_EQ(both.planned_steps(), 4u);
}

TEST(CombineCurves, RefusesCurvesOfAnotherScheduleOrEmpty) {
  const LRCurve first({1e-3, 1e-2}, {2.0, 1.0});
  EXPECT_THROW_WITH(combine_curves(first, LRCurve({1e-3, 2e-2}, {2.0, 1.0})), InvalidArgument,
                    "second.lrs[1] = 0.02, expected the first curve's lr at that step, 0.01");
  EXPECT_THROW_WITH(combine_curves(first, LRCurve()), InvalidArgument, "second = an empty curve");
  EXPECT_THROW_WITH(combine_curves(LRCurve(), first), InvalidArgument, "first = an empty curve");
}

}  // namespace
}  // namespace autolr
