// The quality benchmark's scoring (bench/quality): the regret arithmetic, the
// record files, and that the committed results are what the committed
// recordings and today's suggesters give.

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "autolr/error.h"
#include "autolr/probe.h"
#include "lr_free_record.h"
#include "lr_free_score.h"
#include "probe_score.h"
#include "score.h"
#include "task_record.h"
#include "test_support.h"

namespace autolr::quality {
namespace {

TaskRecord three_fits() {
  TaskRecord r;
  r.name = "t";
  r.half = "design";
  r.description = "three fits, one diverged";
  r.initial_valid_loss = 2.0;
  r.planned_steps = 100;
  r.stop_reason = "diverged";
  r.grid = {{1e-3, 1.0, 0.5, 1}, {1e-2, 0.5, 0.8, 1}, {1e-1, std::nan(""), std::nan(""), 1}};
  return r;
}

TEST(QualityScore, LossIsInterpolatedInLogLrAndADivergedFitCountsAsNoTraining) {
  const TaskRecord r = three_fits();
  EXPECT_EQ(scored_loss(r, r.grid[2]), 2.0);  // NaN -> the untrained loss
  EXPECT_EQ(best_loss(r), 0.5);
  EXPECT_NEAR(loss_at(r, std::sqrt(1e-3 * 1e-2)), 0.75, 1e-12);  // halfway in log LR
  EXPECT_NEAR(loss_at(r, std::sqrt(1e-2 * 1e-1)), 1.25, 1e-12);
  EXPECT_EQ(loss_at(r, 1e-6), 1.0);  // beyond the grid: its end value
  EXPECT_EQ(loss_at(r, 10.0), 2.0);
}

TEST(QualityScore, RecordsRoundTripAndBadFilesAreNamed) {
  test::TempDir dir;
  const TaskRecord r = three_fits();
  write_task_record(r, dir.file("t.grid.csv"));
  const TaskRecord back = read_task_record(dir.file("t.grid.csv"));
  EXPECT_EQ(back.description, r.description);
  EXPECT_EQ(back.initial_valid_loss, 2.0);
  ASSERT_EQ(back.grid.size(), 3u);
  EXPECT_EQ(back.grid[1].valid_loss, 0.5);
  EXPECT_TRUE(std::isnan(back.grid[2].valid_loss));
  EXPECT_THROW_WITH(read_task_record(dir.file("missing.grid.csv")), FormatError, "missing.grid.csv");
  const std::string bad = dir.write("bad.grid.csv", "# name: t\nmax_lr,valid_loss,metric,seconds\n0.1,x,0,0\n");
  EXPECT_THROW_WITH(read_task_record(bad), FormatError, "line 3: 'x' is not a number");
}

// The recorded tasks' names: order 1's grid files (the other orders are read with them).
std::vector<std::string> recorded_names(const std::string& data) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(data)) {
    const std::string file = entry.path().filename().string();
    const auto suffix = file.find(".grid.csv");
    if (suffix != std::string::npos && file.find(".order") == std::string::npos)
      names.push_back(file.substr(0, suffix));
  }
  return names;
}

TEST(QualityScore, TheCorpusHasEveryTaskInThreeDataOrdersAndAHeldOutThird) {
  const std::string data = AUTOLR_SOURCE_DIR "/bench/quality/data";
  int held_out = 0;
  const auto names = recorded_names(data);
  for (const RecordedTask& task : read_recorded_tasks(data, names)) {
    const std::string& name = task.record.name;
    EXPECT_EQ(task.orders, kDataOrders) << name;
    EXPECT_EQ(task.curves.size(), static_cast<std::size_t>(kDataOrders)) << name;
    EXPECT_TRUE(task.fit.optimizer()) << name << " has no fit facts in fit_facts.csv";
    held_out += task.record.half == "second-held-out";
  }
  EXPECT_GE(names.size(), 60u);
  EXPECT_GE(3 * held_out, static_cast<int>(names.size()));
}

TEST(QualityScore, AGridIsScoredByTheMeanOverItsDataOrders) {
  test::TempDir dir;
  TaskRecord first = three_fits(), second = three_fits();
  second.grid[0].valid_loss = 3.0;  // above the untrained loss: scored as 2
  second.grid[1].valid_loss = 0.25;
  write_task_record(first, dir.file("t.grid.csv"));
  write_task_record(second, dir.file("t" + order_suffix(2) + ".grid.csv"));
  const std::string curve = "lr,loss\n0.001,2\n0.01,1\n0.1,3\n";
  dir.write("t.curve.csv", curve);
  dir.write("t.order2.curve.csv", curve);
  const RecordedTask task = read_recorded_task(dir.path(), "t");
  EXPECT_EQ(task.orders, 2);
  EXPECT_EQ(task.curves.size(), 2u);
  EXPECT_EQ(task.record.grid[0].valid_loss, 1.5);
  EXPECT_EQ(task.record.grid[1].valid_loss, 0.375);
  EXPECT_EQ(task.record.grid[2].valid_loss, 2.0);
  second.grid[1].max_lr = 0.02;
  write_task_record(second, dir.file("t.order2.grid.csv"));
  EXPECT_THROW_WITH(read_recorded_task(dir.path(), "t"), FormatError, "fit 2 at max_lr 0.02, order 1's at 0.01");
}

TEST(QualityScore, FitFactsRoundTrip) {
  test::TempDir dir;
  write_fit_facts({{"a", FitFacts().optimizer(OptimizerFamily::RMSprop).fit_steps(94)}, {"b", FitFacts()}}, dir.path());
  const auto back = read_fit_facts(dir.path());
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back.at("a").optimizer(), OptimizerFamily::RMSprop);
  EXPECT_EQ(back.at("a").fit_steps(), 94);
  EXPECT_FALSE(back.at("b").optimizer());
  EXPECT_FALSE(back.at("b").fit_steps());
  dir.write("fit_facts.csv", "name,optimizer,fit_steps\nc,lamb,3\n");
  EXPECT_THROW_WITH(read_fit_facts(dir.path()), FormatError, "line 2: optimizer = \"lamb\"");
}

TEST(QualityScore, TheCommittedResultsAreWhatTheRecordingsGiveToday) {
  const std::string directory = AUTOLR_SOURCE_DIR "/bench/quality";
  const std::vector<RecordedTask> tasks = read_recorded_tasks(directory + "/data", recorded_names(directory + "/data"));
  ASSERT_GE(tasks.size(), 20u);
  const std::string committed = test::read_file(directory + "/results.md");
  // Every committed row must be what scoring gives now (the file lists the tasks in the benchmark's order).
  for (const RecordedTask& task : tasks) {
    const std::vector<Score> scores = score_task(task, all_methods());
    const Score& automatic = scores.back();
    ASSERT_EQ(automatic.method, Method::Auto);
    ASSERT_TRUE(automatic.lr) << task.record.name;
    const std::string cell =
        fmt::format(" {:.2e} ({:.3f}){} |\n", *automatic.lr, automatic.regret, automatic.second_range_test ? " *" : "");
    const std::string row_start = "| " + task.record.name + " | ";
    const auto row = committed.find(row_start);
    ASSERT_NE(row, std::string::npos) << task.record.name << " is not in results.md";
    EXPECT_EQ(committed.substr(row, committed.find('\n', row) + 1 - row).find(cell) != std::string::npos, true)
        << task.record.name << ": auto now gives" << cell << "re-run build/bench/quality_bench";
  }
}

TEST(QualityScore, TheCommittedLrFreeRowsAreWhatTheirRecordingsGiveToday) {
  const std::string directory = AUTOLR_SOURCE_DIR "/bench/quality";
  const std::string committed = test::read_file(directory + "/results.md");
  std::vector<RecordedTask> tasks;
  std::vector<std::vector<LrFreeFit>> fits;
  std::vector<std::vector<Score>> scores;
  // In the benchmark's order, as results.md lists them: the order of the task rows there.
  std::vector<std::pair<std::size_t, std::string>> names;
  for (const std::string& name : recorded_names(directory + "/data"))
    names.emplace_back(committed.find("| " + name + " | "), name);
  std::sort(names.begin(), names.end());
  for (const auto& [at, name] : names) {
    tasks.push_back(read_recorded_task(directory + "/data", name));
    fits.push_back(read_lr_free_fits_over_orders(directory + "/data", name, tasks.back().record.initial_valid_loss));
    ASSERT_FALSE(fits.back().empty()) << name << " has no LR-free recording";
    scores.push_back(score_task(tasks.back(), all_methods()));
  }
  const std::vector<std::string> methods = {"schedule-free-adamw", "schedule-free-sgd", "prodigy",
                                            "range-test+schedule-free-adamw"};
  const std::string section = lr_free_markdown(tasks, fits, scores, methods);
  EXPECT_NE(committed.find(section), std::string::npos) << "re-run build/bench/quality_bench; today it gives:\n"
                                                        << section;
}

TEST(QualityScore, LrFreeFitsRoundTripAndADivergedOneCountsAsNoTraining) {
  test::TempDir dir;
  const std::vector<LrFreeFit> fits = {{"prodigy", 1.0, 0.25, 0.9, 1.5},
                                       {"schedule-free-adamw", 0.0025, std::nan(""), std::nan(""), 2.0}};
  write_lr_free_fits(fits, dir.path() + "/t.lrfree.csv");
  const std::vector<LrFreeFit> back = read_lr_free_fits(dir.path() + "/t.lrfree.csv");
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[0].method, "prodigy");
  EXPECT_EQ(back[0].valid_loss, 0.25);
  EXPECT_TRUE(std::isnan(back[1].valid_loss));
  TaskRecord record;
  record.initial_valid_loss = 2.0;
  record.grid = {GridFit{0.01, 0.5, 0, 0}, GridFit{0.1, 0.4, 0, 0}};
  EXPECT_DOUBLE_EQ(lr_free_regret(record, back[0]), 0.25 / 0.4);  // beats the grid
  EXPECT_DOUBLE_EQ(lr_free_regret(record, back[1]), 2.0 / 0.4);   // diverged: the untrained loss
  EXPECT_THROW_WITH(read_lr_free_fits(dir.path() + "/missing.csv"), FormatError, "missing.csv: cannot open");
}

// Probes around 1e-2 on three_fits(): losses whose parabola has its vertex at
// `vertex` decades, or the given losses.
ProbeRecord probes_around_1e2(std::vector<double> losses) {
  ProbeRecord p;
  p.center_lr = 1e-2;
  p.fit_steps = 100;
  p.steps_per_probe = 10;
  p.start_loss = 2.0;
  const double offsets[] = {-0.5, 0.0, 0.5};
  for (std::size_t i = 0; i < losses.size(); ++i) {
    ProbeFit f;
    f.offset = offsets[i];
    f.group_max_lrs = {1e-2 * std::pow(10.0, offsets[i])};
    f.loss = losses[i];
    f.diverged = !std::isfinite(losses[i]) || losses[i] > p.start_loss;
    f.steps = 10;
    f.seconds = 0.5;
    p.fits.push_back(f);
  }
  return p;
}

TEST(QualityScore, ProbeRecordsRoundTripAndBadFilesAreNamed) {
  test::TempDir dir;
  const ProbeRecord p = probes_around_1e2({1.0, 0.8, INFINITY});
  write_probe_record(p, dir.file("t.probe.csv"));
  const ProbeRecord back = read_probe_record(dir.file("t.probe.csv"));
  EXPECT_EQ(back.center_lr, 1e-2);
  EXPECT_EQ(back.steps_per_probe, 10);
  ASSERT_EQ(back.fits.size(), 3u);
  EXPECT_EQ(back.fits[1].loss, 0.8);
  EXPECT_EQ(back.fits[2].loss, INFINITY);
  EXPECT_TRUE(back.fits[2].diverged);
  EXPECT_EQ(back.fits[0].group_max_lrs, p.fits[0].group_max_lrs);
  const std::string bad =
      dir.write("bad.probe.csv", "# center_lr: 0.1\noffset,max_lr,loss,diverged,steps,seconds\n0,1\n");
  EXPECT_THROW_WITH(read_probe_record(bad), FormatError, "line 3: 2 fields, expected 6");
}

TEST(QualityScore, ProbesAreScoredWhereTheyPointWithTheCorrectionAndTheirCost) {
  RecordedTask task;
  task.record = three_fits();
  // Symmetric losses: the probes point at 1e-2, the grid's best.
  const std::vector<ProbeRecord> probes = {probes_around_1e2({1.0, 0.8, 1.0})};
  const ProbeScore at_best = score_probes(task, probes, 0.0);
  EXPECT_DOUBLE_EQ(at_best.regret, 1.0);
  EXPECT_NEAR(at_best.cost_steps, 0.3, 1e-12);    // 3 x 10 steps of 100
  EXPECT_NEAR(at_best.cost_seconds, 1.5, 1e-12);  // 3 x 0.5 s over the 1 s grid fit
  // One decade up lands on the diverged fit: the untrained loss, 2 / 0.5.
  EXPECT_DOUBLE_EQ(score_probes(task, probes, 1.0).regret, 4.0);
  EXPECT_EQ(fit_horizon_correction({task}, {probes}), 0.0);
  // Every probe diverged: no answer.
  EXPECT_TRUE(std::isnan(score_probes(task, {probes_around_1e2({INFINITY, 3.0, INFINITY})}, 0.0).regret));
}

TEST(QualityScore, TheCommittedProbeSectionIsWhatTheRecordingsGiveToday) {
  const std::string directory = AUTOLR_SOURCE_DIR "/bench/quality";
  const std::string committed = test::read_file(directory + "/results.md");
  std::vector<std::pair<std::size_t, std::string>> names;
  for (const std::string& name : recorded_names(directory + "/data"))
    names.emplace_back(committed.find("| " + name + " | "), name);
  std::sort(names.begin(), names.end());
  std::vector<RecordedTask> tasks;
  std::vector<std::vector<ProbeRecord>> probes;
  std::vector<Score> curve_only;
  for (const auto& [at, name] : names) {
    tasks.push_back(read_recorded_task(directory + "/data", name));
    curve_only.push_back(score_task(tasks.back(), {Method::Auto}).front());
    probes.push_back(read_probe_records(directory + "/data", name));
    ASSERT_EQ(probes.back().size(), static_cast<std::size_t>(tasks.back().orders)) << name << " lacks probes";
  }
  const double correction = fit_horizon_correction(tasks, probes);
  EXPECT_EQ(ProbeOptions().horizon_correction(), correction) << "the default is what the design part gives";
  const std::string section = probe_markdown(tasks, probes, curve_only, correction);
  EXPECT_NE(committed.find(section), std::string::npos) << "re-run build/bench/quality_bench; today it gives:\n"
                                                        << section;
}

}  // namespace
}  // namespace autolr::quality
