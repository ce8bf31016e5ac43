#include "autolr/probe.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <limits>
#include <stdexcept>

#include "autolr/auto_fit.h"
#include "autolr/error.h"
#include "autolr/record.h"
#include "autolr/trainer.h"
#include "test_support.h"
#include "torch_support.h"

namespace autolr {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// A classifier with Dropout (so the RNG matters) trained by SGD with
// momentum; validation data unless asked otherwise. `fail_after` makes the
// loss throw at that call, to see what a probe that throws leaves.
struct Problem {
  test::Classifier model;
  std::unique_ptr<torch::optim::SGD> optimizer;
  std::unique_ptr<Trainer> trainer;
  int64_t loss_calls = 0;
  int64_t fail_after = -1;
  explicit Problem(bool validation = true) {
    torch::manual_seed(5);
    model = test::Classifier();
    optimizer = std::make_unique<torch::optim::SGD>(model->parameters(), torch::optim::SGDOptions(0.1).momentum(0.9));
    trainer = std::make_unique<Trainer>(
        model, *optimizer,
        [this](const torch::Tensor& output, const torch::Tensor& target) {
          if (loss_calls++ == fail_after) throw std::runtime_error("loss failed");
          return test::cross_entropy(output, target);
        },
        batches(test::classification_batches(20, 32, 8, 3, 1)), TrainerOptions().progress(false));
    if (validation) trainer->set_validation_data(batches(test::classification_batches(4, 128, 8, 3, 2)));
  }
};

torch::Tensor rng_state() { return at::detail::getDefaultCPUGenerator().get_state(); }

ProbeFit fit_at(double offset, double loss, bool diverged = false) {
  ProbeFit f;
  f.offset = offset;
  f.loss = loss;
  f.diverged = diverged || !std::isfinite(loss);
  return f;
}

TEST(ProbeChoice, TakesTheVertexOfTheParabolaThroughTheLowestLossAndItsNeighbours) {
  // Losses of (x - 0.2)^2 + 1 at -0.5, 0, 0.5, given out of order: the vertex is 0.2.
  const auto y = [](double x) { return (x - 0.2) * (x - 0.2) + 1; };
  const auto choice = probe_choice({fit_at(0.5, y(0.5)), fit_at(-0.5, y(-0.5)), fit_at(0, y(0))}, 0);
  ASSERT_TRUE(choice);
  EXPECT_NEAR(*choice, 0.2, 1e-12);
  // The correction is added to it.
  EXPECT_NEAR(*probe_choice({fit_at(-0.5, y(-0.5)), fit_at(0, y(0)), fit_at(0.5, y(0.5))}, -0.25), -0.05, 1e-12);
}

TEST(ProbeChoice, TakesAnEndCandidateAsItIsAndIgnoresDivergedOnes) {
  EXPECT_EQ(probe_choice({fit_at(-0.5, 1.0), fit_at(0, 2.0), fit_at(0.5, 3.0)}, 0), -0.5);
  // The lowest finite loss has a diverged neighbour: no parabola through it.
  EXPECT_EQ(probe_choice({fit_at(-0.5, 2.0), fit_at(0, 1.0), fit_at(0.5, kInf)}, 0), 0.0);
  // A finite loss above where the probe started is no candidate either.
  EXPECT_EQ(probe_choice({fit_at(-0.5, 3.0), fit_at(0, 2.0, /*diverged=*/true)}, 0), -0.5);
  EXPECT_EQ(probe_choice({fit_at(-0.5, kInf), fit_at(0.5, 5.0, true)}, 0), std::nullopt);
  EXPECT_THROW_WITH(probe_choice({fit_at(0, 1.0)}, std::nan("")), InvalidArgument, "horizon_correction = nan");
}

TEST(ProbeFits, PutBackModelOptimizerAndRngBitForBit) {
  Problem p;
  p.trainer->fit(1);  // a real optimizer state (momentum buffers) to keep
  const auto before = test::capture(*p.model, *p.optimizer);
  const torch::Tensor rng = rng_state();
  const ProbeResult result = probe_fits(*p.trainer, {0.1}, 200, OneCycleOptions(1.0), ProbeOptions());
  EXPECT_TRUE(test::identical(before, test::capture(*p.model, *p.optimizer)));
  EXPECT_TRUE(torch::equal(rng, rng_state()));
  ASSERT_EQ(result.fits.size(), 3u);
  EXPECT_EQ(result.steps_per_probe, 20);  // 0.1 of 200 fit steps
  EXPECT_TRUE(result.validation);
  for (const ProbeFit& f : result.fits) {
    EXPECT_EQ(f.steps, 20);
    EXPECT_FALSE(f.diverged) << result.text();
    ASSERT_EQ(f.group_max_lrs.size(), 1u);
    EXPECT_DOUBLE_EQ(f.group_max_lrs[0], 0.1 * std::pow(10.0, f.offset));
  }
  EXPECT_EQ(result.chosen_offset, probe_choice(result.fits, ProbeOptions().horizon_correction()));
}

TEST(ProbeFits, EveryProbeStartsFromTheSameStateAndDataOrder) {
  // A probe gives the same loss, to the bit, first or after another probe.
  Problem first;
  const ProbeResult alone = probe_fits(*first.trainer, {0.1}, 100, OneCycleOptions(1.0), ProbeOptions().offsets({0}));
  Problem second;
  const ProbeResult after =
      probe_fits(*second.trainer, {0.1}, 100, OneCycleOptions(1.0), ProbeOptions().offsets({-1, 0}));
  EXPECT_EQ(alone.fits[0].loss, after.fits[1].loss);
  EXPECT_NE(after.fits[0].loss, after.fits[1].loss);
}

TEST(ProbeFits, ADivergingProbeStopsThereAndLoses) {
  Problem p;
  const ProbeResult result =
      probe_fits(*p.trainer, {0.1}, 300, OneCycleOptions(1.0), ProbeOptions().offsets({0, 4}).horizon_correction(0));
  EXPECT_FALSE(result.fits[0].diverged);
  EXPECT_LT(result.fits[0].loss, result.start_loss);
  EXPECT_TRUE(result.fits[1].diverged) << "max lr 1000 with SGD: " << result.text();
  EXPECT_EQ(result.chosen_offset, 0.0);
  EXPECT_NE(result.text().find("diverged"), std::string::npos) << result.text();
  EXPECT_EQ(result.lowered_by, 0.0) << "one probe did not diverge";
}

TEST(ProbeFits, WhenEveryProbeDivergesTheyRunOnceMoreLowered) {
  Problem p;
  const ProbeResult result =
      probe_fits(*p.trainer, {0.1}, 300, OneCycleOptions(1.0), ProbeOptions().offsets({4, 8}).horizon_correction(0));
  EXPECT_EQ(result.lowered_by, 8.0) << "the span, 4, and one gap, 4";
  ASSERT_EQ(result.fits.size(), 4u);
  EXPECT_TRUE(result.fits[0].diverged && result.fits[1].diverged) << result.text();
  EXPECT_EQ(result.fits[2].offset, -4.0);
  EXPECT_EQ(result.fits[3].offset, 0.0);
  EXPECT_FALSE(result.fits[3].diverged) << result.text();
  EXPECT_EQ(result.chosen_offset, 0.0) << result.text();
  EXPECT_NE(result.text().find("lowered 8 decades"), std::string::npos) << result.text();
  const ProbeResult once = probe_fits(*p.trainer, {0.1}, 300, OneCycleOptions(1.0),
                                      ProbeOptions().offsets({4, 8}).lower_when_all_diverge(false));
  EXPECT_EQ(once.fits.size(), 2u);
  EXPECT_EQ(once.chosen_offset, std::nullopt);
}

TEST(ProbeFits, WithoutValidationDataTheLateTrainingLossDecides) {
  Problem p(/*validation=*/false);
  const ProbeResult result = probe_fits(*p.trainer, {0.1}, 100, OneCycleOptions(1.0), ProbeOptions());
  EXPECT_FALSE(result.validation);
  for (const ProbeFit& f : result.fits)
    EXPECT_TRUE(std::isfinite(f.loss) && f.loss > 0 && !f.diverged) << result.text();
  EXPECT_NE(result.text().find("training loss"), std::string::npos);
}

TEST(ProbeFits, AProbeThatThrowsLeavesEverythingAsItWas) {
  Problem p;
  p.trainer->fit(1);
  const auto before = test::capture(*p.model, *p.optimizer);
  const torch::Tensor rng = rng_state();
  p.fail_after = p.loss_calls + 25;  // in the second probe
  EXPECT_THROW_WITH(probe_fits(*p.trainer, {0.1}, 200, OneCycleOptions(1.0), ProbeOptions()), std::runtime_error,
                    "loss failed");
  EXPECT_TRUE(test::identical(before, test::capture(*p.model, *p.optimizer)));
  EXPECT_TRUE(torch::equal(rng, rng_state()));
}

TEST(ProbeFits, BadInputsAreNamedAndChangeNothing) {
  Problem p;
  const auto before = test::capture(*p.model, *p.optimizer);
  const auto probe = [&](std::vector<double> lrs, int64_t steps, ProbeOptions options) {
    return probe_fits(*p.trainer, lrs, steps, OneCycleOptions(1.0), options);
  };
  EXPECT_THROW_WITH(probe({0.1}, 100, ProbeOptions().offsets({})), InvalidArgument, "options.offsets = empty");
  EXPECT_THROW_WITH(probe({0.1}, 100, ProbeOptions().offsets({0, INFINITY})), InvalidArgument,
                    "options.offsets[1] = inf");
  EXPECT_THROW_WITH(probe({0.1}, 100, ProbeOptions().offsets({0, 0.5, 0})), InvalidArgument, "options.offsets[2] = 0");
  EXPECT_THROW_WITH(probe({0.1}, 100, ProbeOptions().fraction(0)), InvalidArgument, "options.fraction = 0");
  EXPECT_THROW_WITH(probe({0.1}, 100, ProbeOptions().fraction(1.5)), InvalidArgument, "in (0, 1]");
  EXPECT_THROW_WITH(probe({0.1}, 100, ProbeOptions().horizon_correction(NAN)), InvalidArgument,
                    "options.horizon_correction = nan");
  EXPECT_THROW_WITH(probe({0.1}, 0, ProbeOptions()), InvalidArgument, "fit_steps = 0");
  EXPECT_THROW_WITH(probe({0.1, 0.2}, 100, ProbeOptions()), InvalidArgument, "one max LR per param group (1)");
  EXPECT_THROW_WITH(probe({-0.1}, 100, ProbeOptions()), InvalidArgument, "group_max_lrs[0] = -0.1");
  EXPECT_TRUE(test::identical(before, test::capture(*p.model, *p.optimizer)));
  EXPECT_TRUE(p.trainer->history().empty());
}

TEST(AutoFitProbe, TrainsWithTheProbedLrAndSaysWhy) {
  Problem p;
  test::TempDir records;
  const AutoFitReport report =
      auto_fit(*p.trainer, 2,
               AutoFitOptions().print(false).probe(ProbeOptions().horizon_correction(0.1)).record_dir(records.path()));
  ASSERT_TRUE(report.trained) << report.decision;
  ASSERT_TRUE(report.probe && report.probe->chosen_offset);
  EXPECT_EQ(report.probe->steps_per_probe, 4);  // 0.1 of 2 epochs of 20 batches
  EXPECT_NEAR(report.group_max_lrs[0], *report.chosen.lr * std::pow(10.0, *report.probe->chosen_offset), 1e-12);
  EXPECT_NEAR(*report.probe->chosen_offset, *probe_choice(report.probe->fits, 0) + 0.1, 1e-12);
  EXPECT_EQ(report.history.size(), 2u) << "the probes add no epochs";
  EXPECT_NE(report.decision.find("probes of 4 steps"), std::string::npos) << report.decision;
  EXPECT_NE(report.text().find("probes: 4 steps each"), std::string::npos) << report.text();

  // The picture shows what decided: every probe in range, and the LR trained with.
  const std::string svg = render_svg(report);
  EXPECT_NE(svg.find(fmt::format("trained: {:.3g}", report.group_max_lrs.back())), std::string::npos);
  EXPECT_NE(svg.find("3 probe fits"), std::string::npos);
  for (const ProbeFit& fit : report.probe->fits) {
    if (fit.group_max_lrs.back() > report.curve.lrs().back()) continue;
    EXPECT_NE(svg.find(fmt::format("probe {:+.3g}: ", fit.offset)), std::string::npos) << fit.offset;
  }
  EXPECT_NE(svg.find("descent-start: "), std::string::npos) << "the slice's lower end is marked too";

  // The run record keeps every probe, so the review page can show them.
  const RunRecord record = read_run_record(report.record_path);
  ASSERT_EQ(record.probes.size(), report.probe->fits.size());
  for (std::size_t i = 0; i < record.probes.size(); ++i) {
    EXPECT_EQ(record.probes[i].offset, report.probe->fits[i].offset);
    EXPECT_EQ(record.probes[i].group_max_lrs, report.probe->fits[i].group_max_lrs);
    EXPECT_EQ(record.probes[i].loss, report.probe->fits[i].loss);
    EXPECT_EQ(record.probes[i].diverged, report.probe->fits[i].diverged);
    EXPECT_EQ(record.probes[i].steps, 4);
  }
}

TEST(AutoFitProbe, DoesNotTrainWhenEveryProbeDiverges) {
  Problem p;
  const auto before = test::capture(*p.model, *p.optimizer);
  const AutoFitReport report = auto_fit(
      *p.trainer, 2, AutoFitOptions().print(false).probe(ProbeOptions().offsets({4, 5}).lower_when_all_diverge(false)));
  EXPECT_FALSE(report.trained);
  EXPECT_TRUE(report.group_max_lrs.empty());
  EXPECT_NE(report.decision.find("every probe of 4 steps diverged"), std::string::npos) << report.decision;
  EXPECT_TRUE(test::identical(before, test::capture(*p.model, *p.optimizer)));
}

TEST(AutoFitProbe, ProbesByDefaultAndTrainsAtTheCurvesAnswerWhenTurnedOff) {
  Problem p;
  const AutoFitReport verified = auto_fit(*p.trainer, 2, AutoFitOptions().print(false));
  ASSERT_TRUE(verified.probe.has_value()) << "the verified mode is auto_fit's default";
  EXPECT_EQ(verified.probe->fits.size(), ProbeOptions().offsets().size());
  ASSERT_TRUE(verified.trained && verified.probe->chosen_offset) << verified.decision;
  EXPECT_NEAR(verified.group_max_lrs[0], *verified.chosen.lr * std::pow(10.0, *verified.probe->chosen_offset), 1e-12);

  Problem q;
  const AutoFitReport curve_only = auto_fit(*q.trainer, 2, AutoFitOptions().print(false).probe(std::nullopt));
  EXPECT_FALSE(curve_only.probe.has_value());
  ASSERT_TRUE(curve_only.trained) << curve_only.decision;
  EXPECT_EQ(curve_only.group_max_lrs[0], *curve_only.chosen.lr);
  EXPECT_EQ(curve_only.decision.find("probe"), std::string::npos) << curve_only.decision;
}

TEST(AutoFitProbe, RefusesBadProbeOptionsAndUnsizedDataBeforeAnythingRuns) {
  Problem p;
  EXPECT_THROW_WITH(auto_fit(*p.trainer, 2, AutoFitOptions().print(false).probe(ProbeOptions().fraction(-1))),
                    InvalidArgument, "options.fraction = -1");
  struct Unsized : BatchSource {
    std::shared_ptr<BatchSource> inner = batches(test::classification_batches(4, 16));
    void begin_epoch() override { inner->begin_epoch(); }
    std::optional<Batch> next() override { return inner->next(); }
  };
  Trainer unsized(p.model, *p.optimizer, test::cross_entropy, std::make_shared<Unsized>(),
                  TrainerOptions().progress(false));
  const auto before = test::capture(*p.model, *p.optimizer);
  EXPECT_THROW_WITH(auto_fit(unsized, 2, AutoFitOptions().print(false)), InvalidArgument,
                    "auto_fit: probe = on (the default), expected a fit whose step count is known");
  EXPECT_TRUE(test::identical(before, test::capture(*p.model, *p.optimizer)));
  EXPECT_TRUE(unsized.history().empty());

  // One cycle's epochs and steps_per_epoch size the probes as they size the fit.
  const AutoFitReport report = auto_fit(unsized, 2,
                                        AutoFitOptions()
                                            .print(false)
                                            .probe(ProbeOptions().min_steps(1))
                                            .one_cycle(OneCycleOptions(1.0).epochs(2).steps_per_epoch(4)));
  ASSERT_TRUE(report.probe.has_value()) << report.decision;
  EXPECT_EQ(report.fit.fit_steps(), 8);
  EXPECT_EQ(report.probe->steps_per_probe, 1);  // round(0.1 x 8), at least one
}

TEST(AutoFitProbe, AFitTooShortForProbesOfMinStepsIsDecidedByTheCurveAndSaysSo) {
  Problem p;  // 2 epochs of 20 batches: probes of 4 steps
  const AutoFitReport report =
      auto_fit(*p.trainer, 2, AutoFitOptions().print(false).probe(ProbeOptions().min_steps(5)));
  EXPECT_FALSE(report.probe.has_value());
  ASSERT_TRUE(report.trained) << report.decision;
  EXPECT_EQ(report.group_max_lrs[0], *report.chosen.lr);
  EXPECT_NE(report.decision.find("no probe fits: each would have 4 of the fit's 40 steps, fewer than min_steps (5)"),
            std::string::npos)
      << report.decision;
  EXPECT_THROW_WITH(auto_fit(*p.trainer, 2, AutoFitOptions().print(false).probe(ProbeOptions().min_steps(0))),
                    InvalidArgument, "options.min_steps = 0");
}

}  // namespace
}  // namespace autolr
