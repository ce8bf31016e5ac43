// Method::Auto, autolr's own suggester: what its rule promises on curves of
// known shape (the benchmark in bench/quality measures how good it is).

#include <gtest/gtest.h>

#include <cmath>
#include <optional>
#include <random>
#include <vector>

#include "autolr/curve.h"
#include "autolr/curve_csv.h"
#include "autolr/error.h"
#include "autolr/suggest.h"
#include "test_support.h"

namespace autolr {
namespace {

std::vector<double> lrs_between(double first, double last, std::size_t n) {
  std::vector<double> lrs(n);
  for (std::size_t i = 0; i < n; ++i)
    lrs[i] = first * std::pow(last / first, static_cast<double>(i) / static_cast<double>(n - 1));
  return lrs;
}

// Loss 2 at small LRs, down to 0.5 around 1e-2, back above 2 from 10^-0.5 = 0.316 on.
double valley_loss(double lr) {
  const double x = std::log10(lr);
  if (x < -4) return 2.0;
  if (x < -2) return 2.0 - 1.5 * (x + 4) / 2;
  return 0.5 + 1.5 * std::pow((x + 2) / 1.5, 2);
}

std::vector<double> losses_of(const std::vector<double>& lrs, double (*shape)(double), double noise = 0,
                              unsigned seed = 1) {
  std::mt19937 random(seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::vector<double> out;
  for (double lr : lrs) out.push_back(shape(lr) + noise * normal(random));
  return out;
}

TEST(SuggestAuto, AnswersOneDecadeBelowWhereTheLossClimbsBackAboveItsStart) {
  const auto lrs = lrs_between(1e-7, 10, 200);
  const Suggestion s = suggest_auto(lrs, losses_of(lrs, valley_loss));
  ASSERT_TRUE(s.lr);
  // The blow-up is at 10^-0.5; the smoothing moves it by less than a window.
  EXPECT_NEAR(std::log10(*s.lr), -1.5, 0.1);
  EXPECT_LE(lrs[*s.index], *s.lr);
  EXPECT_GT(lrs[*s.index + 1], *s.lr);
  EXPECT_NEAR(*s.confidence, 1.0, 1e-12);
}

TEST(SuggestAuto, TheWindowIsInDecadesSoTheAnswerDoesNotDependOnTheNumberOfSteps) {
  for (std::size_t n : {100, 400, 2000}) {
    const auto lrs = lrs_between(1e-7, 10, n);
    const Suggestion s = suggest_auto(lrs, losses_of(lrs, valley_loss));
    EXPECT_NEAR(std::log10(*s.lr), -1.5, 0.1) << n << " steps";
  }
  // fastai's slide rule, whose window is in points, moves with the step count.
  const auto few = lrs_between(1e-7, 10, 100), many = lrs_between(1e-7, 10, 2000);
  const double slide_few = *suggest_slide(few, losses_of(few, valley_loss)).lr;
  const double slide_many = *suggest_slide(many, losses_of(many, valley_loss)).lr;
  EXPECT_GT(std::abs(std::log10(slide_few / slide_many)), 0.3);
}

TEST(SuggestAuto, ThresholdsAreRelativeSoTheLossScaleDoesNotMatter) {
  const auto lrs = lrs_between(1e-7, 10, 150);
  auto losses = losses_of(lrs, valley_loss, 0.05);
  const Suggestion plain = suggest_auto(lrs, losses);
  for (double& l : losses) l = 1000 * l + 7;
  const Suggestion scaled = suggest_auto(lrs, losses);
  EXPECT_EQ(plain.index, scaled.index);
  EXPECT_NEAR(*plain.lr, *scaled.lr, 1e-12 * *plain.lr);
}

TEST(SuggestAuto, NoBlowUpGivesTheRangesEndAsALowerBoundWithHalfTheConfidence) {
  const auto lrs = lrs_between(1e-7, 1e-2, 100);  // ends before the loss climbs back
  const LRCurve curve(lrs, losses_of(lrs, valley_loss));
  const Suggestion s = suggest(curve, Method::Auto);
  EXPECT_EQ(*s.lr, lrs.back());
  EXPECT_TRUE(s.has_warning(WarningKind::NoDivergence));
  EXPECT_LE(*s.confidence, 0.5);
}

// Adam's range test often ends without the 4x stop: the net dies and the loss
// sits at the level of guessing, no higher than where it began.
double dies_at_guessing(double lr) {
  const double x = std::log10(lr);
  if (x < -1) return valley_loss(lr);
  if (x < -0.8) return 6.0;  // the spike
  return 2.0;                // guessing, as at the start
}

TEST(SuggestAuto, ASpikeThatSettlesAtTheStartingLossIsTheBlowUpNotADescent) {
  const auto lrs = lrs_between(1e-7, 10, 120);
  const Suggestion s = suggest_auto(lrs, losses_of(lrs, dies_at_guessing));
  EXPECT_LT(*s.lr, 0.03);  // below the spike at 0.1, not on the "descent" after it
  EXPECT_GT(*s.lr, 1e-3);
}

TEST(SuggestAuto, ConfidenceFallsWithNoiseAndOnAFlatCurve) {
  const auto lrs = lrs_between(1e-7, 10, 100);
  const double clean = *suggest_auto(lrs, losses_of(lrs, valley_loss)).confidence;
  const double noisy = *suggest_auto(lrs, losses_of(lrs, valley_loss, 0.5)).confidence;
  EXPECT_LT(noisy, 0.5 * clean);
  const std::vector<double> flat(lrs.size(), 2.0);
  EXPECT_EQ(*suggest_auto(lrs, flat).confidence, 0.0);
}

TEST(SuggestAuto, IsConfidentOnRealCurvesWithAClearValleyAndBlowUp) {
  // Real range tests (Fashion-MNIST, an MLP with SGD and a CNN with Adam): a
  // clean descent and blow-up must not read as noise; the blow-up's misfit
  // to the smoothing once did, and every auto run was flagged for a human.
  for (const char* file : {"fashion_mnist_mlp_sgd.csv", "fashion_mnist_cnn_adam.csv"}) {
    const LRCurve curve = read_curve_csv(std::string(AUTOLR_SOURCE_DIR) + "/examples/curves/" + file);
    const Suggestion s = suggest(curve, Method::Auto);
    ASSERT_TRUE(s.confidence) << file;
    EXPECT_GE(*s.confidence, 0.5) << file;
  }
}

TEST(SuggestAuto, SmoothingInLogLrHasNoLag) {
  // A centred window reproduces a straight line exactly away from the ends,
  // where an EMA would trail it by ~1/(1-beta) points.
  const auto lrs = lrs_between(1e-6, 1, 121);  // 20 points a decade
  std::vector<double> line;
  for (double lr : lrs) line.push_back(3 * std::log10(lr));
  const auto smooth = smooth_in_log_lr(lrs, line, 0.27);  // 5 points each side, no boundary ties
  for (std::size_t i = 12; i + 12 < lrs.size(); ++i) EXPECT_NEAR(smooth[i], line[i], 1e-9) << i;
}

TEST(SuggestAuto, BadOptionsAreNamed) {
  const auto lrs = lrs_between(1e-7, 10, 50);
  const auto losses = losses_of(lrs, valley_loss);
  EXPECT_THROW_WITH(suggest_auto(lrs, losses, AutoSuggestOptions().window_decades(0)), InvalidArgument,
                    "window_decades = 0, expected a finite value > 0");
  EXPECT_THROW_WITH(suggest_auto(lrs, losses, AutoSuggestOptions().decades_below_blowup(-1)), InvalidArgument,
                    "decades_below_blowup = -1, expected a finite value >= 0");
  EXPECT_THROW_WITH(
      suggest(LRCurve(lrs, losses), Method::Auto, SuggestOptions().auto_rule(AutoSuggestOptions().window_decades(NAN))),
      InvalidArgument, "window_decades = nan");
  const Suggestion few = suggest_auto({1e-3, 1e-2}, {1.0, 0.5});
  EXPECT_FALSE(few.lr);
  EXPECT_TRUE(few.has_warning(WarningKind::TooFewPoints));
}

TEST(SuggestAuto, ReadsTheRawLossesOfARecordedCurveNotTheLaggingEma) {
  const auto lrs = lrs_between(1e-7, 10, 100);
  const auto raw = losses_of(lrs, valley_loss);
  const LRCurve curve(lrs, raw, ema_smooth(raw));  // as a range test records it
  EXPECT_EQ(suggest(curve, Method::Auto).lr, suggest_auto(lrs, raw).lr);
  EXPECT_NE(suggest(curve, Method::Auto).lr, suggest_auto(lrs, curve.smoothed_losses()).lr);
}

// A NaN in the middle of a range test (one bad batch) used to end the curve
// there: auto answered from the first 31 points, far below the blow-up.
TEST(SuggestAuto, ABadBatchInTheMiddleIsLeftOutAndTheRestOfTheCurveRead) {
  const auto lrs = lrs_between(1e-7, 10, 100);
  const auto losses = losses_of(lrs, valley_loss);
  auto with_nan = losses;
  with_nan[31] = NAN;
  const Suggestion clean = suggest(LRCurve(lrs, losses), Method::Auto);
  const Suggestion s = suggest(LRCurve(lrs, with_nan), Method::Auto);
  ASSERT_TRUE(s.lr);
  EXPECT_NEAR(std::log10(*s.lr), std::log10(*clean.lr), 0.05) << "the blow-up after the NaN is still read";
  ASSERT_TRUE(s.has_warning(WarningKind::NonFiniteLeftOut));
  EXPECT_EQ(s.warnings[0].message,
            "loss[31] = nan: a non-finite loss before the end, read as a bad batch and left out");
}

TEST(SuggestAuto, TheOptimizerFamilyMovesTheAnswerBelowTheBlowUp) {
  const auto lrs = lrs_between(1e-7, 10, 200);
  const auto losses = losses_of(lrs, valley_loss);
  const double blowup = std::log10(*suggest_auto(lrs, losses, AutoSuggestOptions().decades_below_blowup(0)).lr);
  EXPECT_NEAR(blowup, -0.5, 0.1);
  const auto answer = [&](std::optional<OptimizerFamily> family) {
    return std::log10(*suggest_auto(lrs, losses, AutoSuggestOptions().fit(FitFacts().optimizer(family))).lr);
  };
  EXPECT_NEAR(answer(std::nullopt), blowup - 1.0, 1e-9);
  EXPECT_NEAR(answer(OptimizerFamily::Sgd), blowup - 0.625, 1e-9);
  EXPECT_NEAR(answer(OptimizerFamily::SgdNoMomentum), blowup - 0.25, 1e-9);
  EXPECT_NEAR(answer(OptimizerFamily::RMSprop), blowup - 0.25, 1e-9);
  EXPECT_NEAR(answer(OptimizerFamily::Adagrad), blowup - 0.625, 1e-9);
  EXPECT_NEAR(answer(OptimizerFamily::Adam), blowup - 1.125, 1e-9);
  EXPECT_NEAR(answer(OptimizerFamily::AdamW), blowup - 1.125, 1e-9);
  // An explicit offset wins over the facts.
  const auto explicit_offset = AutoSuggestOptions().decades_below_blowup(0.3).fit(FitFacts().optimizer(OptimizerFamily::Adam));
  EXPECT_NEAR(std::log10(*suggest_auto(lrs, losses, explicit_offset).lr), blowup - 0.3, 1e-9);
  // The fit's steps are taken and, as the design found, do not move the answer.
  const auto with_steps = AutoSuggestOptions().fit(FitFacts().optimizer(OptimizerFamily::Sgd).fit_steps(50000));
  EXPECT_NEAR(std::log10(*suggest_auto(lrs, losses, with_steps).lr), blowup - 0.625, 1e-9);
}

// Flat, a small dip at the very start, then a climb: the "blow-up" comes before any descent.
double climbs_at_once(double lr) {
  const double x = std::log10(lr);
  if (x < -6.8) return 2.0 - 0.3 * (x + 7) / 0.2;
  return 1.7 + 0.8 * (x + 6.8);
}

TEST(SuggestAuto, AnAnswerAmongTheCurvesFirstPointsIsNoAnswer) {
  const auto lrs = lrs_between(1e-7, 10, 100);
  const Suggestion s = suggest_auto(lrs, losses_of(lrs, climbs_at_once));
  EXPECT_FALSE(s.lr);
  EXPECT_FALSE(s.index);
  EXPECT_EQ(s.confidence, 0.0);
  ASSERT_TRUE(s.has_warning(WarningKind::LowConfidence));
  EXPECT_NE(s.warnings.back().message.find("lies among the curve's first 5 points"), std::string::npos)
      << s.warnings.back().message;
}

TEST(SuggestAuto, BelowMinConfidenceThereIsNoAnswerAndTheWarningSaysWhy) {
  const auto lrs = lrs_between(1e-7, 10, 100);
  const auto noisy = losses_of(lrs, valley_loss, 0.5);
  const Suggestion answered = suggest_auto(lrs, noisy, AutoSuggestOptions().min_confidence(0));
  ASSERT_TRUE(answered.lr);
  ASSERT_LT(*answered.confidence, 0.9);
  const Suggestion refused = suggest_auto(lrs, noisy, AutoSuggestOptions().min_confidence(0.9));
  EXPECT_FALSE(refused.lr);
  EXPECT_EQ(refused.confidence, answered.confidence);
  ASSERT_TRUE(refused.has_warning(WarningKind::LowConfidence));
  EXPECT_NE(refused.warnings.back().message.find("is below min_confidence 0.9: no answer"), std::string::npos)
      << refused.warnings.back().message;
  // Through suggest(), the warning and the missing answer stay.
  const Suggestion whole = suggest(LRCurve(lrs, noisy), Method::Auto,
                                   SuggestOptions().auto_rule(AutoSuggestOptions().min_confidence(0.9)));
  EXPECT_FALSE(whole.lr);
  EXPECT_TRUE(whole.has_warning(WarningKind::LowConfidence));
}

TEST(SuggestAuto, BadFitFactsAndFloorsAreNamed) {
  const auto lrs = lrs_between(1e-7, 10, 50);
  const auto losses = losses_of(lrs, valley_loss);
  EXPECT_THROW_WITH(suggest_auto(lrs, losses, AutoSuggestOptions().min_confidence(1.5)), InvalidArgument,
                    "min_confidence = 1.5, expected a value from 0 to 1");
  EXPECT_THROW_WITH(suggest_auto(lrs, losses, AutoSuggestOptions().min_confidence(NAN)), InvalidArgument,
                    "min_confidence = nan");
  EXPECT_THROW_WITH(suggest_auto(lrs, losses, AutoSuggestOptions().fit(FitFacts().fit_steps(0))), InvalidArgument,
                    "fit_steps = 0, expected at least 1");
  EXPECT_THROW_WITH(optimizer_family_from_string("lamb"), InvalidArgument,
                    "optimizer = \"lamb\", expected one of sgd, sgd-nomomentum, adam, adamw, rmsprop, adagrad");
  for (OptimizerFamily f : {OptimizerFamily::Sgd, OptimizerFamily::SgdNoMomentum, OptimizerFamily::Adam,
                            OptimizerFamily::AdamW, OptimizerFamily::RMSprop, OptimizerFamily::Adagrad})
    EXPECT_EQ(optimizer_family_from_string(to_string(f)), f);
}

}  // namespace
}  // namespace autolr
