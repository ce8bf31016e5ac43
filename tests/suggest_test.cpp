#include "autolr/suggest.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "autolr/curve_csv.h"
#include "autolr/error.h"
#include "test_support.h"

namespace autolr {
namespace {

LRCurve curve_named(const std::string& name) { return read_curve_csv(test::curve_path(name)); }

std::vector<double> exponential_lrs(std::size_t n) {
  if (n == 1) return {1e-7};
  std::vector<double> lrs(n);
  for (std::size_t i = 0; i < n; ++i)
    lrs[i] = 1e-7 * std::pow(1e8, static_cast<double>(i) / static_cast<double>(n - 1));
  return lrs;
}

// fastai's valley as written there, O(n^2), to check the O(n log n) version
// on many random curves, ties included.
std::size_t quadratic_valley_index(const std::vector<double>& losses) {
  const long n = static_cast<long>(losses.size());
  long max_start = 0, max_end = 0;
  std::vector<long> lds(losses.size(), 1);
  for (long i = 1; i < n; ++i) {
    for (long j = 0; j < i; ++j) {
      if (losses[i] < losses[j] && lds[i] < lds[j] + 1) lds[i] = lds[j] + 1;
      if (lds[max_end] < lds[i]) {
        max_end = i;
        max_start = max_end - lds[max_end];
      }
    }
  }
  const double sections = static_cast<double>(max_end - max_start) / 3;
  const long idx = max_start + static_cast<long>(sections) + static_cast<long>(sections / 2);
  return static_cast<std::size_t>(idx < 0 ? idx + n : idx);
}

TEST(Valley, PatienceSortingMatchesFastaisQuadraticLoopOnRandomCurves) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 300; ++trial) {
    const std::size_t n = 1 + rng() % 120;
    std::uniform_int_distribution<int> level(0, trial % 2 == 0 ? 5 : 1000);  // few levels: many ties
    std::vector<double> losses(n);
    for (auto& loss : losses) loss = level(rng) * 0.1;
    const Suggestion s = suggest_valley(exponential_lrs(n), losses);
    EXPECT_EQ(*s.index, quadratic_valley_index(losses)) << "trial " << trial << ", n " << n;
  }
}

TEST(Valley, TwoDescendingPointsWrapToTheLastPointLikePythonAndSaySo) {
  const Suggestion s = suggest_valley({1e-3, 1e-2}, {2.0, 1.5});
  EXPECT_EQ(s.index, 1u);
  EXPECT_EQ(s.lr, 1e-2);
  EXPECT_TRUE(s.has_warning(WarningKind::IndexWrapped));
}

TEST(Valley, EvidenceIsTheLongestDescendingRun) {
  const Suggestion s = suggest_valley(exponential_lrs(8), {5, 4, 6, 3, 2, 1, 7, 8});
  ASSERT_TRUE(s.evidence);
  EXPECT_EQ(s.evidence->last, 5u);   // run 5,4,3,2,1 ends at index 5
  EXPECT_EQ(s.evidence->first, 1u);  // it is 5 long
}

TEST(Minimum, IsATenthOfTheLrAtTheFirstLowestLoss) {
  const Suggestion s = suggest_minimum({1e-3, 1e-2, 1e-1, 1.0}, {3, 1, 1, 2});
  EXPECT_EQ(s.index, 1u);
  EXPECT_DOUBLE_EQ(*s.lr, 1e-3);
}

TEST(Steep, UsesTheSlopeAgainstLogLrNotAgainstTheIndex) {
  // Equal loss drops per index, but the third segment spans less ln(lr): steepest there.
  const Suggestion s = suggest_steep({1e-3, 1e-2, 1e-1, 2e-1}, {4, 3, 2, 1});
  EXPECT_EQ(s.index, 2u);
  EXPECT_EQ(s.lr, 1e-1);
  EXPECT_EQ(s.evidence->first, 2u);
  EXPECT_EQ(s.evidence->last, 3u);
}

TEST(Slide, FastaiAnswersTheFirstWindowWhenItAlreadyMeetsTheThreshold) {
  const LRCurve plateau = curve_named("plateau");
  const Suggestion s = suggest(plateau, Method::Slide);
  ASSERT_TRUE(s.lr);
  EXPECT_TRUE(s.has_warning(WarningKind::FirstWindowMet));
  EXPECT_EQ(*s.index, plateau.size() - 5 - 1 - 15);
}

TEST(SlideForum, HasNoAnswerWhereTheOriginalCrashedAndSaysWhy) {
  const Suggestion s = suggest(curve_named("plateau"), Method::SlideForum);
  EXPECT_FALSE(s.lr);
  ASSERT_TRUE(s.has_warning(WarningKind::NoAnswer));
  EXPECT_NE(s.warnings[0].message.find("no answer; lower loss_threshold or lr_diff"), std::string::npos);
}

TEST(SlideForum, ReadsTheWholeUntrimmedCurve) {
  const LRCurve curve = curve_named("clean_valley");
  const Suggestion forum = suggest(curve, Method::SlideForum);
  const auto& losses = curve.smoothed_losses();
  const Suggestion direct = suggest_slide_forum(curve.lrs(), losses);
  EXPECT_EQ(forum.index, direct.index);
  EXPECT_EQ(forum.lr, direct.lr);
}

TEST(Slide, EveryWindowDifferingAnswersTheFirstPointAndWarns) {
  std::vector<double> losses(40);
  for (std::size_t i = 0; i < losses.size(); ++i) losses[i] = static_cast<double>(i * i);  // gradient keeps growing
  const Suggestion s = suggest_slide(exponential_lrs(40), losses, SlideOptions().lr_diff(5).threshold(0.1));
  EXPECT_EQ(s.index, 0u);
  EXPECT_TRUE(s.has_warning(WarningKind::NoWindowMet));
}

TEST(Slide, AdjustValueScalesTheAnswer) {
  const LRCurve curve = curve_named("clean_valley");
  const Suggestion plain = suggest(curve, Method::Slide);
  const Suggestion half = suggest(curve, Method::Slide, SuggestOptions().slide(SlideOptions().adjust_value(0.5)));
  EXPECT_EQ(half.index, plain.index);
  EXPECT_DOUBLE_EQ(*half.lr, *plain.lr * 0.5);
}

TEST(Suggest, TooFewPointsSaysHowManyAreNeeded) {
  const Suggestion s = suggest(curve_named("very_short"), Method::Slide);
  EXPECT_FALSE(s.lr);
  ASSERT_TRUE(s.has_warning(WarningKind::TooFewPoints));
  EXPECT_NE(s.warnings[0].message.find("slide needs at least 16 points after trimming, the curve has 6"),
            std::string::npos)
      << s.warnings[0].message;
}

TEST(Suggest, SeesOnlyFinitePointsBeforeTheFirstNanOrInf) {
  for (const char* name : {"nan_tail", "inf_tail"}) {
    const LRCurve curve = curve_named(name);
    const auto first_bad = static_cast<std::size_t>(
        std::find_if(curve.losses().begin(), curve.losses().end(), [](double x) { return !std::isfinite(x); }) -
        curve.losses().begin());
    for (const Suggestion& s : suggest_all(curve, SuggestOptions().skip_end(0))) {
      SCOPED_TRACE(std::string(name) + " " + to_string(s.method));
      ASSERT_TRUE(s.index);
      EXPECT_LT(*s.index, first_bad);
      EXPECT_FALSE(s.has_warning(WarningKind::NoDivergence)) << "a NaN tail is a divergence";
    }
  }
}

// A NaN or inf with finite losses after it is a bad batch, not the end of the
// curve; a non-finite tail is a divergence, as before.
TEST(Suggest, NonFiniteLossesBeforeTheEndAreLeftOutAndNamedTheTailIsADivergence) {
  const LRCurve clean = curve_named("noisy_small_batch");  // no smooth_loss column: the smoothing is computed
  std::vector<double> losses = clean.losses();
  losses[31] = std::nan("");
  losses[40] = std::numeric_limits<double>::infinity();
  const LRCurve curve(clean.lrs(), losses);
  for (Method m : all_methods()) {
    SCOPED_TRACE(to_string(m));
    const Suggestion s = suggest(curve, m, SuggestOptions().loss_series(LossSeries::Raw));
    ASSERT_TRUE(s.has_warning(WarningKind::NonFiniteLeftOut));
    const auto w = std::find_if(s.warnings.begin(), s.warnings.end(),
                                [](const Warning& w) { return w.kind == WarningKind::NonFiniteLeftOut; });
    EXPECT_EQ(w->message,
              "loss[31] = nan, loss[40] = inf: non-finite losses before the end, read as bad batches "
              "and left out");
    if (s.index) EXPECT_TRUE(*s.index != 31 && *s.index != 40);
    EXPECT_FALSE(s.has_warning(WarningKind::NoDivergence)) << "the points after the bad batches are still read";
  }
  // The computed smoothing leaves them out too, so the smoothed series goes on after them.
  EXPECT_TRUE(std::isfinite(curve.smoothed_losses()[41]));
  const Suggestion smoothed = suggest(curve, Method::Valley, SuggestOptions().loss_series(LossSeries::Smoothed));
  const Suggestion clean_smoothed = suggest(clean, Method::Valley, SuggestOptions().loss_series(LossSeries::Smoothed));
  EXPECT_NEAR(std::log10(*smoothed.lr), std::log10(*clean_smoothed.lr), 0.2);
  EXPECT_NE(smoothed.warnings.at(0).message.find("smooth_loss[31] = nan, smooth_loss[40] = inf"), std::string::npos);

  for (const char* tail : {"nan_tail", "inf_tail"}) {
    EXPECT_FALSE(suggest(curve_named(tail), Method::Auto).has_warning(WarningKind::NonFiniteLeftOut)) << tail;
  }
}

TEST(Suggest, RejectsAnAbsurdAdjustValue) {
  const LRCurve curve = curve_named("clean_valley");
  EXPECT_THROW_WITH(suggest(curve, Method::Slide, SuggestOptions().slide(SlideOptions().adjust_value(1e308))),
                    InvalidArgument, "suggest_slide: adjust_value = 1e+308, expected a finite value > 0, at most 1e6");
  EXPECT_TRUE(suggest(curve, Method::Slide, SuggestOptions().slide(SlideOptions().adjust_value(kMaxAdjustValue))).lr);
}

TEST(Suggest, WarnsWhenTheLossNeverRose) {
  for (Method m : all_methods()) {
    EXPECT_TRUE(suggest(curve_named("no_blowup"), m).has_warning(WarningKind::NoDivergence)) << to_string(m);
    EXPECT_FALSE(suggest(curve_named("clean_valley"), m).has_warning(WarningKind::NoDivergence)) << to_string(m);
  }
}

TEST(Suggest, NoDivergenceIsJudgedOnTheWholeCurveNotTheTrimmedOne) {
  // The blow-up of a 4x-stopped test sits in the 5 points fastai trims off.
  std::vector<double> lrs = exponential_lrs(50), losses(50);
  for (std::size_t i = 0; i < 50; ++i) losses[i] = i < 45 ? 2.0 - 0.03 * static_cast<double>(i) : 4.0;
  const Suggestion s = suggest(LRCurve(lrs, losses, losses), Method::Valley);
  EXPECT_FALSE(s.has_warning(WarningKind::NoDivergence));
}

TEST(Suggest, WarnsOnFlatAndOnNoisyCurves) {
  EXPECT_TRUE(suggest(curve_named("plateau"), Method::Valley).has_warning(WarningKind::FlatCurve));
  EXPECT_TRUE(suggest(curve_named("noisy_small_batch"), Method::Valley).has_warning(WarningKind::NoisyCurve));
  const Suggestion clean = suggest(curve_named("clean_valley"), Method::Valley);
  EXPECT_TRUE(clean.warnings.empty()) << clean.warnings[0].message;
}

TEST(Suggest, SlideWarnsWhenGradientNoiseExceedsItsThreshold) {
  const Suggestion s = suggest(curve_named("noisy_small_batch"), Method::Slide);
  ASSERT_TRUE(s.has_warning(WarningKind::NoisyCurve));
}

TEST(Suggest, AutoUsesRecordedSmoothingAndOtherwiseTheLossAsGiven) {
  const LRCurve smoothed = curve_named("clean_valley");
  EXPECT_EQ(&select_losses(smoothed, LossSeries::Auto), &smoothed.smoothed_losses());
  const LRCurve raw_only = curve_named("noisy_small_batch");
  EXPECT_EQ(&select_losses(raw_only, LossSeries::Auto), &raw_only.losses());
  EXPECT_EQ(&select_losses(raw_only, LossSeries::Smoothed), &raw_only.smoothed_losses());
}

TEST(Suggest, DefaultTrimUsesPlannedStepsWhenKnown) {
  LRCurve curve = curve_named("clean_valley");  // 100 points
  curve.set_planned_steps(300);                 // stopped early: fastai skips num_it // 10 = 30
  const Suggestion s = suggest(curve, Method::Minimum, SuggestOptions().skip_end(0));
  const Suggestion explicit_skip = suggest(curve, Method::Minimum, SuggestOptions().skip_start(30).skip_end(0));
  EXPECT_EQ(s.index, explicit_skip.index);
  EXPECT_GE(*s.index, 30u);
}

TEST(Suggest, TrimmingEverythingAwayGivesNoAnswerNotACrash) {
  const LRCurve curve = curve_named("very_short");
  for (Method m : all_methods()) {
    const Suggestion s = suggest(curve, m, SuggestOptions().skip_start(10).skip_end(10));
    EXPECT_FALSE(s.lr) << to_string(m);
    EXPECT_TRUE(s.has_warning(WarningKind::TooFewPoints)) << to_string(m);
  }
}

TEST(Suggest, RejectsBadMethodOptionsNamingThem) {
  const LRCurve curve = curve_named("clean_valley");
  EXPECT_THROW_WITH(suggest(curve, Method::Slide, SuggestOptions().slide(SlideOptions().lr_diff(0))), InvalidArgument,
                    "suggest_slide: lr_diff = 0, expected at least 1");
  EXPECT_THROW_WITH(suggest(curve, Method::Slide, SuggestOptions().slide(SlideOptions().threshold(-0.1))),
                    InvalidArgument, "threshold = -0.1, expected a value >= 0");
  EXPECT_THROW_WITH(suggest(curve, Method::SlideForum,
                            SuggestOptions().slide_forum(SlideForumOptions().loss_threshold(std::nan("")))),
                    InvalidArgument, "suggest_slide_forum: loss_threshold = nan");
  EXPECT_THROW_WITH(suggest(curve, Method::Slide, SuggestOptions().slide(SlideOptions().adjust_value(0))),
                    InvalidArgument, "adjust_value = 0, expected a finite value > 0");
}

TEST(Suggest, PureFunctionsRejectUnpreparedPoints) {
  EXPECT_THROW_WITH(suggest_valley({1e-3, 1e-2}, {1.0, std::nan("")}), InvalidArgument,
                    "suggest_valley: losses[1] = nan, expected a finite loss");
  EXPECT_THROW_WITH(suggest_steep({1e-2, 1e-3}, {1.0, 2.0}), InvalidArgument, "suggest_steep: lrs[1] = 0.001");
  EXPECT_THROW_WITH(suggest_minimum({1e-3}, {1.0, 2.0}), InvalidArgument, "losses.size() = 2, expected 1");
}

TEST(Suggest, EmptyPointsGiveNoAnswer) {
  for (const Suggestion& s : {suggest_minimum({}, {}), suggest_valley({}, {}), suggest_steep({}, {})}) {
    EXPECT_FALSE(s.lr);
    EXPECT_TRUE(s.has_warning(WarningKind::TooFewPoints));
  }
}

TEST(Method, NamesRoundTripAndUnknownNamesAreRejected) {
  for (Method m : all_methods()) EXPECT_EQ(method_from_string(to_string(m)), m);
  EXPECT_THROW_WITH(method_from_string("best"), InvalidArgument, "method = \"best\", expected one of minimum");
}

}  // namespace
}  // namespace autolr
