// Run records (autolr/record.h), auto_fit writing them, and `autolr report`
// (autolr/report.h): the file format, the ordering, escaping, bad inputs, and
// the page in a real browser.

#include "autolr/report.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <torch/torch.h>
#include <torch/version.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "autolr/auto_fit.h"
#include "autolr/curve_csv.h"
#include "autolr/error.h"
#include "autolr/record.h"
#include "autolr/trainer.h"
#include "core/svg_canvas.h"
#include "test_support.h"
#include "torch_support.h"

namespace autolr {
namespace {

namespace fs = std::filesystem;

std::string quoted(const std::string& text) { return "'" + text + "'"; }

uint64_t bits(double value) {
  uint64_t b = 0;
  std::memcpy(&b, &value, sizeof b);
  return b;
}

// Bit for bit, except that any NaN equals any NaN (JSON keeps no NaN payload).
::testing::AssertionResult same_doubles(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() != b.size()) return ::testing::AssertionFailure() << "sizes " << a.size() << " and " << b.size();
  for (std::size_t i = 0; i < a.size(); ++i) {
    const bool same = std::isnan(a[i]) ? std::isnan(b[i]) : bits(a[i]) == bits(b[i]);
    if (!same) return ::testing::AssertionFailure() << "[" << i << "]: " << a[i] << " and " << b[i];
  }
  return ::testing::AssertionSuccess();
}
::testing::AssertionResult same_double(double a, double b) { return same_doubles({a}, {b}); }
::testing::AssertionResult same_double(const std::optional<double>& a, const std::optional<double>& b) {
  if (a.has_value() != b.has_value()) return ::testing::AssertionFailure() << "one of them is unset";
  return a ? same_doubles({*a}, {*b}) : ::testing::AssertionSuccess();
}

// A record as auto_fit writes one, from a real curve and its real
// suggestions; the fit's epochs are made up, with the validation losses
// given. Auto's confidence is set here, as the report reads it: these tests
// are about the report, not about the suggester.
RunRecord record_of(const std::string& name, const std::string& curve_name, Method method = Method::Auto,
                    const std::vector<double>& valid_losses = {0.9, 0.7, 0.6}) {
  RunRecord r;
  r.name = name;
  r.tags = {"curve=" + curve_name};
  r.created = "2024-05-01T12:00:00Z";
  r.libtorch_version = "test";
  r.curve = read_curve_csv(test::curve_path(curve_name));
  r.suggestions = suggest_all(r.curve);
  r.suggestions.push_back(suggest(r.curve, Method::DescentStart));
  for (Suggestion& s : r.suggestions) {
    if (s.method == Method::Auto && s.lr) s.confidence = 0.9;
  }
  r.chosen_method = method;
  const Suggestion* chosen = r.chosen();
  r.trained = chosen && chosen->lr;
  r.decision = r.trained ? "max lr from " + to_string(method) : "no answer; not training";
  if (r.trained) {
    r.group_max_lrs = {*chosen->lr};
    r.schedule = OneCycleOptions(*chosen->lr).total_steps(300);
    for (std::size_t e = 0; e < valid_losses.size(); ++e) {
      r.epochs.push_back({static_cast<int64_t>(e), 100, valid_losses[e] + 0.1, valid_losses[e], 0.8, 1.5});
    }
  }
  r.optimizer = "SGD";
  r.optimizer_options = {{"lr", "0.1"}, {"momentum", "0.9"}};
  r.parameter_count = 1234;
  r.wall_seconds = 12.5;
  return r;
}

std::vector<std::string> files_in(const std::string& folder) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(folder)) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

// ---------------------------------------------------------------------------
// The record file
// ---------------------------------------------------------------------------

TEST(RunRecordFile, RoundTripGivesTheSameValuesBitForBit) {
  std::mt19937_64 random(7);
  const auto any_double = [&] {
    for (;;) {
      const uint64_t b = random();
      double v = 0;
      std::memcpy(&v, &b, sizeof v);
      if (std::isfinite(v)) return v;
    }
  };
  const LRCurve csv = read_curve_csv(test::curve_path("clean_valley"));
  std::vector<double> losses(csv.size()), smoothed(csv.size());
  for (std::size_t i = 0; i < csv.size(); ++i) losses[i] = any_double(), smoothed[i] = any_double();
  const double specials[] = {-0.0,
                             std::numeric_limits<double>::denorm_min(),
                             std::numeric_limits<double>::min(),
                             std::numeric_limits<double>::max(),
                             -std::numeric_limits<double>::max(),
                             0.1,
                             1.0 / 3,
                             std::numeric_limits<double>::infinity(),
                             -std::numeric_limits<double>::infinity(),
                             std::nan("")};
  std::copy(std::begin(specials), std::end(specials), losses.end() - std::size(specials));

  RunRecord r = record_of("ünïcode \"run\" <1>", "clean_valley");
  r.curve = LRCurve(csv.lrs(), losses, smoothed);
  r.curve.set_stop_reason(StopReason::NonFiniteLoss);
  r.curve.set_planned_steps(120);
  std::vector<double> first_group = csv.lrs();
  for (double& lr : first_group) lr /= 3;
  r.curve.set_group_lrs({first_group, csv.lrs()});
  r.tags = {"seed=1", "", "tab\there", "日本語"};
  r.decision = "line one\nline two & more";
  r.suggestions[0].evidence = Span{3, 9};
  r.suggestions[1].warnings.push_back({WarningKind::NonFiniteLeftOut, "a \"quoted\" message"});
  r.suggestions[2].lr = any_double();
  r.group_max_lrs = {1.0 / 3, 0.1, 2e-308};
  OneCycleOptions schedule({1e-3, 0.1 / 3});
  schedule.total_steps(777).steps_per_epoch(7).pct_start(0.25).anneal(Anneal::Linear).cycle_momentum(false);
  schedule.base_momentum(0.8).max_momentum(0.9).div_factor(10).final_div_factor(4000).three_phase(true);
  r.schedule = schedule;
  r.epochs = {{0, 10, any_double(), std::nullopt, std::nullopt, 0.1},
              {1, 11, std::nan(""), any_double(), std::numeric_limits<double>::infinity(), any_double()}};
  r.probes = {{-0.5, {1.0 / 3, 0.1}, any_double(), false, 12, any_double()},
              {0.5, {3e-3, 2e-308}, std::numeric_limits<double>::infinity(), true, 3, 0.25}};
  r.optimizer = "AdamW";
  r.optimizer_options = {{"lr", "0.001"}, {"betas", "0.9, 0.999"}, {"clé", "välue"}};
  r.parameter_count = (int64_t{1} << 53) + 1;  // past what a double holds exactly
  r.wall_seconds = any_double();

  test::TempDir dir;
  const std::string path = dir.file("run.json");
  write_run_record(r, path);
  const RunRecord back = read_run_record(path);

  EXPECT_EQ(back.name, r.name);
  EXPECT_EQ(back.tags, r.tags);
  EXPECT_EQ(back.created, r.created);
  EXPECT_EQ(back.autolr_version, kAutolrVersion);
  EXPECT_EQ(back.libtorch_version, r.libtorch_version);
  EXPECT_TRUE(same_doubles(back.curve.lrs(), r.curve.lrs()));
  EXPECT_TRUE(same_doubles(back.curve.losses(), r.curve.losses()));
  EXPECT_TRUE(same_doubles(back.curve.smoothed_losses(), r.curve.smoothed_losses()));
  EXPECT_EQ(back.curve.smoothing_source(), SmoothingSource::Recorded);
  EXPECT_EQ(back.curve.stop_reason(), StopReason::NonFiniteLoss);
  EXPECT_EQ(back.curve.planned_steps(), std::optional<std::size_t>(120));
  ASSERT_EQ(back.curve.group_lrs().size(), 2u);
  EXPECT_TRUE(same_doubles(back.curve.group_lrs()[0], first_group));
  ASSERT_EQ(back.suggestions.size(), r.suggestions.size());
  for (std::size_t i = 0; i < r.suggestions.size(); ++i) {
    SCOPED_TRACE(to_string(r.suggestions[i].method));
    const Suggestion& a = r.suggestions[i];
    const Suggestion& b = back.suggestions[i];
    EXPECT_EQ(b.method, a.method);
    EXPECT_TRUE(same_double(b.lr, a.lr));
    EXPECT_EQ(b.index, a.index);
    EXPECT_EQ(b.evidence.has_value(), a.evidence.has_value());
    if (a.evidence && b.evidence) {
      EXPECT_EQ(std::make_pair(b.evidence->first, b.evidence->last),
                std::make_pair(a.evidence->first, a.evidence->last));
    }
    EXPECT_TRUE(same_double(b.confidence, a.confidence));
    ASSERT_EQ(b.warnings.size(), a.warnings.size());
    for (std::size_t w = 0; w < a.warnings.size(); ++w) {
      EXPECT_EQ(b.warnings[w].kind, a.warnings[w].kind);
      EXPECT_EQ(b.warnings[w].message, a.warnings[w].message);
    }
  }
  EXPECT_EQ(back.chosen_method, r.chosen_method);
  EXPECT_EQ(back.decision, r.decision);
  EXPECT_TRUE(same_doubles(back.group_max_lrs, r.group_max_lrs));
  EXPECT_EQ(back.trained, r.trained);
  ASSERT_TRUE(back.schedule);
  EXPECT_TRUE(same_doubles(back.schedule->max_lr(), schedule.max_lr()));
  EXPECT_EQ(back.schedule->total_steps(), schedule.total_steps());
  EXPECT_EQ(back.schedule->epochs(), schedule.epochs());
  EXPECT_EQ(back.schedule->steps_per_epoch(), schedule.steps_per_epoch());
  EXPECT_TRUE(same_double(back.schedule->pct_start(), schedule.pct_start()));
  EXPECT_EQ(back.schedule->anneal(), Anneal::Linear);
  EXPECT_EQ(back.schedule->cycle_momentum(), false);
  EXPECT_TRUE(same_double(back.schedule->base_momentum(), schedule.base_momentum()));
  EXPECT_TRUE(same_double(back.schedule->max_momentum(), schedule.max_momentum()));
  EXPECT_TRUE(same_double(back.schedule->div_factor(), schedule.div_factor()));
  EXPECT_TRUE(same_double(back.schedule->final_div_factor(), schedule.final_div_factor()));
  EXPECT_EQ(back.schedule->three_phase(), true);
  ASSERT_EQ(back.epochs.size(), r.epochs.size());
  for (std::size_t e = 0; e < r.epochs.size(); ++e) {
    EXPECT_EQ(back.epochs[e].epoch, r.epochs[e].epoch);
    EXPECT_EQ(back.epochs[e].steps, r.epochs[e].steps);
    EXPECT_TRUE(same_double(back.epochs[e].train_loss, r.epochs[e].train_loss));
    EXPECT_TRUE(same_double(back.epochs[e].valid_loss, r.epochs[e].valid_loss));
    EXPECT_TRUE(same_double(back.epochs[e].metric, r.epochs[e].metric));
    EXPECT_TRUE(same_double(back.epochs[e].seconds, r.epochs[e].seconds));
  }
  ASSERT_EQ(back.probes.size(), r.probes.size());
  for (std::size_t i = 0; i < r.probes.size(); ++i) {
    EXPECT_TRUE(same_double(back.probes[i].offset, r.probes[i].offset));
    EXPECT_TRUE(same_doubles(back.probes[i].group_max_lrs, r.probes[i].group_max_lrs));
    EXPECT_TRUE(same_double(back.probes[i].loss, r.probes[i].loss));
    EXPECT_EQ(back.probes[i].diverged, r.probes[i].diverged);
    EXPECT_EQ(back.probes[i].steps, r.probes[i].steps);
    EXPECT_TRUE(same_double(back.probes[i].seconds, r.probes[i].seconds));
  }
  EXPECT_EQ(back.optimizer, r.optimizer);
  EXPECT_EQ(back.optimizer_options, r.optimizer_options);
  EXPECT_EQ(back.parameter_count, r.parameter_count);
  EXPECT_TRUE(same_double(back.wall_seconds, r.wall_seconds));
  EXPECT_EQ(run_record_json(back), run_record_json(r)) << "written again, the same text";
}

TEST(RunRecordFile, KeepsACurveWhoseSmoothingAutolrComputed) {
  RunRecord r = record_of("noisy", "noisy_small_batch");  // no smooth_loss column
  ASSERT_EQ(r.curve.smoothing_source(), SmoothingSource::Computed);
  const RunRecord back = parse_run_record(run_record_json(r), "noisy.json");
  EXPECT_EQ(back.curve.smoothing_source(), SmoothingSource::Computed);
  EXPECT_TRUE(same_doubles(back.curve.smoothed_losses(), r.curve.smoothed_losses()));
  // ... so a suggester reads the same series from the record as from the CSV.
  EXPECT_TRUE(same_double(suggest(back.curve, Method::Valley).lr, suggest(r.curve, Method::Valley).lr));
}

TEST(RunRecordFile, IsWrittenWholeOrNotAtAll) {
  test::TempDir dir;
  const std::string path = dir.file("run.json");
  write_run_record(record_of("first", "clean_valley"), path);
  write_run_record(record_of("second", "hairpin"), path);
  EXPECT_EQ(files_in(dir.path()), std::vector<std::string>{"run.json"}) << "no temporary file left";
  EXPECT_EQ(read_run_record(path).name, "second");

  // Into a folder that vanished: an error naming the file, and nothing written.
  const std::string gone = dir.file("gone");
  fs::create_directory(gone);
  fs::remove(gone);
  EXPECT_THROW_WITH(write_run_record(record_of("x", "clean_valley"), gone + "/run.json"), FormatError,
                    gone + "/run.json");
  EXPECT_FALSE(fs::exists(gone));

  // A run killed while writing (here by a file size limit: SIGXFSZ) leaves
  // the previous record whole; its temporary is not a .json file.
  const RunRecord big = record_of("killed", "long");
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    std::signal(SIGXFSZ, SIG_DFL);
    const rlimit no_core{0, 0}, small{4096, 4096};
    setrlimit(RLIMIT_CORE, &no_core);
    setrlimit(RLIMIT_FSIZE, &small);
    try {
      write_run_record(big, path);
    } catch (...) {
      _exit(3);
    }
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  // Killed by the signal, or (where SIGXFSZ cannot be delivered) the write failed: either way cut short.
  EXPECT_TRUE((WIFSIGNALED(status) && WTERMSIG(status) == SIGXFSZ) || (WIFEXITED(status) && WEXITSTATUS(status) == 3))
      << "status " << status;
  EXPECT_EQ(read_run_record(path).name, "second");
  const RunCollection runs = collect_run_records({dir.path()});
  EXPECT_EQ(runs.runs.size(), 1u);
  EXPECT_TRUE(runs.problems.empty()) << runs.problems.front();
}

TEST(RunRecordFile, BadFilesGiveOneClearMessageNamingTheFile) {
  test::TempDir dir;
  const std::string good = run_record_json(record_of("good", "clean_valley"));
  const auto with = [&](const std::string& from, const std::string& to) {
    std::string text = good;
    const auto at = text.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return text.replace(at, from.size(), to);
  };
  const auto expect_rejected = [&](const std::string& name, const std::string& content, const std::string& says) {
    SCOPED_TRACE(name);
    const std::string path = dir.write(name, content);
    EXPECT_THROW_WITH(read_run_record(path), FormatError, path + ": " + says);
  };
  expect_rejected("truncated.json", good.substr(0, good.size() / 2), "not a complete JSON document");
  expect_rejected("empty.json", "", "empty file");
  expect_rejected("text.json", "lr,loss\n1e-3,2.0\n", "not JSON");
  expect_rejected("array.json", "[1, 2]\n", "not an autolr run record");
  expect_rejected("other.json", R"({"name": "package", "version": "1.0"})", "not an autolr run record (no \"schema\"");
  expect_rejected("newer.json", with("autolr.run.v1", "autolr.run.v2"),
                  "schema \"autolr.run.v2\" is newer than the \"autolr.run.v1\" this autolr");
  expect_rejected("foreign.json", with("autolr.run.v1", "mlflow.run"), "unknown schema \"mlflow.run\"");
  expect_rejected("no-curve.json", with("\"curve\":", "\"kurve\":"), "missing field \"curve\"");
  expect_rejected("no-lr.json", with("\"curve\": {\"lr\":", "\"curve\": {\"learning_rate\":"),
                  "missing field \"curve.lr\"");
  expect_rejected("no-name.json", with("\"name\":", "\"title\":"), "missing field \"name\"");
  expect_rejected("bad-type.json", with("\"trained\": true", "\"trained\": \"yes\""),
                  "field \"trained\": expected true or false, got a string");
  expect_rejected("bad-method.json", with("\"chosen_method\": \"auto\"", "\"chosen_method\": \"magic\""),
                  "field \"chosen_method\"");
  expect_rejected("bad-curve.json", with("{\"lr\":[1e-07,", "{\"lr\":[1.0,"), "field \"curve\" is not a valid curve");
  // A probe is drawn at its LR: each must be one.
  expect_rejected("bad-probe-lr.json",
                  with("\"probes\": []",
                       R"("probes": [{"offset": 0, "group_max_lrs": [0.1, -1], "loss": 0.5, "diverged": false}])"),
                  "field \"probes[0].group_max_lrs[1]\": expected a finite LR > 0, got -1");
  expect_rejected(
      "no-probe-lr.json",
      with("\"probes\": []", R"("probes": [{"offset": 0, "group_max_lrs": [], "loss": 0.5, "diverged": false}])"),
      "field \"probes[0].group_max_lrs\": expected one max LR per param group, got []");
  expect_rejected("probe-no-loss.json",
                  with("\"probes\": []", R"("probes": [{"offset": 0, "group_max_lrs": [0.1], "diverged": false}])"),
                  "missing field \"probes[0].loss\"");
  EXPECT_THROW_WITH(read_run_record(dir.file("missing.json")), FormatError,
                    dir.file("missing.json") + ": cannot be read");
}

TEST(RunRecordFile, ReadersIgnoreFieldsTheyDoNotKnow) {
  std::string text = run_record_json(record_of("extended", "clean_valley"));
  text.replace(text.find("\"name\":"), 7, "\"added_later\": {\"x\": [1, 2]},\n  \"name\":");
  text.replace(text.find("\"curve\": {\"lr\":"), 15, "\"curve\": {\"gpu\": \"H100\", \"lr\":");
  EXPECT_EQ(parse_run_record(text, "extended.json").name, "extended");
}

TEST(RunRecordFile, NamesAreFileNames) {
  EXPECT_TRUE(valid_run_name("fmnist-seed1_auto.v2"));
  std::string why;
  for (const char* bad : {"", ".", "..", "a/b", "..\\x", "tab\tname"}) {
    EXPECT_FALSE(valid_run_name(bad, &why)) << bad;
    EXPECT_FALSE(why.empty());
  }
  const std::string a = unique_run_name(), b = unique_run_name();
  EXPECT_NE(a, b);
  EXPECT_TRUE(valid_run_name(a)) << a;
  EXPECT_TRUE(std::regex_match(utc_timestamp(), std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)")));
}

// ---------------------------------------------------------------------------
// auto_fit writes the record
// ---------------------------------------------------------------------------

struct SmallProblem {
  test::Classifier model;
  std::unique_ptr<torch::optim::Optimizer> optimizer;
  std::unique_ptr<Trainer> trainer;
  explicit SmallProblem(bool adamw = false) {
    torch::manual_seed(3);
    model = test::Classifier();
    if (adamw) {
      optimizer = std::make_unique<torch::optim::AdamW>(model->parameters(), torch::optim::AdamWOptions(1e-3));
    } else {
      optimizer = std::make_unique<torch::optim::SGD>(model->parameters(),
                                                      torch::optim::SGDOptions(0.1).momentum(0.9).weight_decay(1e-4));
    }
    trainer = std::make_unique<Trainer>(model, *optimizer, test::cross_entropy,
                                        batches(test::classification_batches(30, 32, 8, 3, 1)),
                                        TrainerOptions().progress(false));
    trainer->set_validation_data(batches(test::classification_batches(4, 128, 8, 3, 2)));
  }
};

std::string option(const RunRecord& r, const std::string& key) {
  for (const auto& [k, v] : r.optimizer_options) {
    if (k == key) return v;
  }
  return "(none)";
}

TEST(AutoFitRecord, WritesTheFitAsARecordThatReadsBack) {
  test::TempDir dir;
  SmallProblem p;
  const AutoFitReport report = auto_fit(*p.trainer, 2,
                                        AutoFitOptions()
                                            .print(false)
                                            .method(Method::Minimum)
                                            .record_dir(dir.path())
                                            .run_name("sgd-run")
                                            .tags({"seed=3", "small"}));
  ASSERT_TRUE(report.trained) << report.decision;
  EXPECT_EQ(report.record_path, dir.file("sgd-run.json"));
  EXPECT_NE(report.text().find("run record: " + dir.file("sgd-run.json")), std::string::npos);
  const RunRecord r = read_run_record(report.record_path);
  EXPECT_EQ(r.name, "sgd-run");
  EXPECT_EQ(r.tags, (std::vector<std::string>{"seed=3", "small"}));
  EXPECT_EQ(r.libtorch_version, TORCH_VERSION);
  EXPECT_EQ(r.autolr_version, kAutolrVersion);
  EXPECT_TRUE(std::regex_match(r.created, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)"))) << r.created;
  EXPECT_TRUE(same_doubles(r.curve.lrs(), report.curve.lrs()));
  EXPECT_TRUE(same_doubles(r.curve.losses(), report.curve.losses()));
  EXPECT_EQ(r.curve.stop_reason(), report.curve.stop_reason());
  ASSERT_EQ(r.suggestions.size(), all_methods().size() + 1);
  EXPECT_EQ(r.suggestions.back().method, Method::DescentStart);
  EXPECT_EQ(r.chosen_method, Method::Minimum);
  ASSERT_NE(r.chosen(), nullptr);
  EXPECT_TRUE(same_double(r.chosen()->lr, report.chosen.lr));
  EXPECT_EQ(r.decision, report.decision);
  EXPECT_TRUE(same_doubles(r.group_max_lrs, report.group_max_lrs));
  EXPECT_TRUE(r.trained);
  ASSERT_TRUE(r.schedule);
  EXPECT_EQ(r.schedule->total_steps(), 60);
  ASSERT_EQ(r.epochs.size(), 2u);
  for (std::size_t e = 0; e < 2; ++e) {
    EXPECT_TRUE(same_double(r.epochs[e].train_loss, report.history[e].train_loss));
    EXPECT_TRUE(same_double(r.epochs[e].valid_loss, report.history[e].valid_loss));
  }
  EXPECT_EQ(r.optimizer, "SGD");
  EXPECT_EQ(option(r, "lr"), "0.1") << "as configured, not as the schedule left it";
  EXPECT_EQ(option(r, "momentum"), "0.9");
  EXPECT_EQ(option(r, "weight_decay"), "0.0001");
  EXPECT_EQ(option(r, "param_groups"), "1");
  int64_t parameters = 0;
  for (const auto& t : p.model->parameters()) parameters += t.numel();
  EXPECT_EQ(r.parameter_count, parameters);
  EXPECT_GT(r.wall_seconds, 0);
  EXPECT_EQ(files_in(dir.path()), std::vector<std::string>{"sgd-run.json"});
}

TEST(AutoFitRecord, NamesAdamWAndItsBetasAndMakesUpAUniqueName) {
  test::TempDir dir;
  SmallProblem p(/*adamw=*/true);
  const AutoFitReport report = auto_fit(*p.trainer, 1, AutoFitOptions().print(false).record_dir(dir.path()));
  ASSERT_FALSE(report.record_path.empty()) << report.decision;
  const RunRecord r = read_run_record(report.record_path);
  EXPECT_EQ(r.optimizer, "AdamW");
  EXPECT_EQ(option(r, "betas"), "0.9, 0.999");
  EXPECT_EQ(option(r, "weight_decay"), "0.01");
  EXPECT_EQ(r.name.rfind("run-", 0), 0u) << r.name;
  EXPECT_EQ(fs::path(report.record_path).filename().string(), r.name + ".json");
}

TEST(AutoFitRecord, RejectsABadRecordDirOrNameBeforeAnythingRuns) {
  test::TempDir dir;
  SmallProblem p;
  EXPECT_THROW_WITH(auto_fit(*p.trainer, 1, AutoFitOptions().print(false).record_dir(dir.file("missing"))),
                    InvalidArgument, "record_dir");
  const std::string file = dir.write("a-file", "x");
  EXPECT_THROW_WITH(auto_fit(*p.trainer, 1, AutoFitOptions().print(false).record_dir(file)), InvalidArgument,
                    "an existing directory");
  EXPECT_THROW_WITH(auto_fit(*p.trainer, 1, AutoFitOptions().print(false).record_dir(dir.path()).run_name("../up")),
                    InvalidArgument, "run_name");
  EXPECT_TRUE(p.trainer->history().empty()) << "nothing ran";
}

TEST(AutoFitRecord, KeepsTheFinishedFitWhenTheRecordCannotBeWritten) {
  test::TempDir dir;
  const std::string records = dir.file("records");
  fs::create_directory(records);
  SmallProblem p;
  // The folder vanishes while the fit runs (a full disk would do the same).
  const AutoFitReport report = auto_fit(
      *p.trainer, 1,
      AutoFitOptions().print(false).method(Method::Minimum).record_dir(records).before_fit([&](const AutoFitReport&) {
        fs::remove(records);
      }));
  EXPECT_TRUE(report.trained);
  EXPECT_EQ(report.history.size(), 1u);
  EXPECT_TRUE(report.record_path.empty());
  EXPECT_NE(report.decision.find("run record not written: " + records), std::string::npos) << report.decision;
}

// ---------------------------------------------------------------------------
// The report
// ---------------------------------------------------------------------------

// Six runs: two that need no look, and one of each kind of doubt.
struct Runs {
  test::TempDir dir;
  Runs() {
    write("fine-a", record_of("fine-a", "clean_valley"));
    write("fine-b", record_of("fine-b", "hairpin", Method::Valley));
    write("no-answer", record_of("no-answer", "two_points_down"));
    RunRecord low = record_of("low-confidence", "clean_valley");
    for (Suggestion& s : low.suggestions) {
      if (s.method == Method::Auto) s.confidence = 0.2;
    }
    write("low-confidence", low);
    RunRecord diverged = record_of("diverged", "clean_valley");
    diverged.epochs[1].train_loss = std::nan("");
    write("diverged", diverged);
    write("got-worse", record_of("got-worse", "clean_valley", Method::Auto, {0.6, 0.5, 0.61}));
    // minimum answers a tenth of the lowest point, the first: below the range (auto answers nothing there).
    write("at-edge", record_of("at-edge", "only_rises", Method::Minimum));
    write("warned", record_of("warned", "noisy_small_batch", Method::Valley));
  }
  void write(const std::string& file, const RunRecord& r) const { write_run_record(r, dir.file(file + ".json")); }
};

const RunReview* find_row(const RunCollection& runs, const std::vector<RunReview>& rows, const std::string& name) {
  for (const auto& row : rows) {
    if (runs.runs[row.run].record.name == name) return &row;
  }
  return nullptr;
}

bool has_doubt(const RunReview& row, const std::string& kind) {
  return std::any_of(row.doubts.begin(), row.doubts.end(), [&](const Doubt& d) { return d.kind == kind; });
}

TEST(Report, PutsTheRunsThatNeedALookFirstAndSaysWhy) {
  const Runs fixture;
  const RunCollection runs = collect_run_records({fixture.dir.path()});
  ASSERT_EQ(runs.runs.size(), 8u);
  EXPECT_TRUE(runs.problems.empty());
  const std::vector<RunReview> rows = review_runs(runs);
  ASSERT_EQ(rows.size(), 8u);
  // Every doubtful row before every fine one; the fine ones by name.
  const auto first_fine = std::find_if(rows.begin(), rows.end(), [](const RunReview& r) { return !r.needs_look(); });
  EXPECT_EQ(first_fine - rows.begin(), 6);
  EXPECT_TRUE(std::all_of(first_fine, rows.end(), [](const RunReview& r) { return !r.needs_look(); }));
  EXPECT_EQ(runs.runs[rows[6].run].record.name, "fine-a");
  EXPECT_EQ(runs.runs[rows[7].run].record.name, "fine-b");
  for (std::size_t i = 1; i < rows.size(); ++i) EXPECT_GE(rows[i - 1].doubts.size(), rows[i].doubts.size());

  const std::vector<std::pair<const char*, const char*>> expected = {
      {"no-answer", "no_answer"}, {"low-confidence", "low_confidence"},
      {"diverged", "diverged"},   {"got-worse", "got_worse"},
      {"at-edge", "lr_at_edge"},  {"warned", "warnings"}};
  for (const auto& [name, kind] : expected) {
    const RunReview* row = find_row(runs, rows, name);
    ASSERT_NE(row, nullptr) << name;
    EXPECT_TRUE(has_doubt(*row, kind)) << name << " should say " << kind;
    for (const Doubt& d : row->doubts) EXPECT_FALSE(d.text.empty());
  }
  const RunReview* worse = find_row(runs, rows, "got-worse");
  EXPECT_TRUE(same_double(worse->first_valid_loss, 0.6));
  EXPECT_TRUE(same_double(worse->final_valid_loss, 0.61));
}

TEST(Report, SkipsWhatIsNotARecordWithOneLineEachAndReportsTheRest) {
  const Runs fixture;
  const test::TempDir& dir = fixture.dir;
  const std::string good = run_record_json(record_of("fine-a", "clean_valley"));
  dir.write("truncated.json", good.substr(0, good.size() / 3));
  std::string newer = good;
  newer.replace(newer.find("autolr.run.v1"), 13, "autolr.run.v9");
  dir.write("newer.json", newer);
  dir.write("package.json", R"({"name": "not a run"})");
  dir.write("notes.txt", "not json, not read");
  fs::create_symlink(dir.file("nowhere"), dir.file("dangling.json"));
  fs::create_directory(dir.file("more"));
  write_run_record(record_of("fine-a", "hairpin"), dir.file("more/fine-a-again.json"));  // the same name
  std::size_t unreadable = 0;
  if (geteuid() != 0) {  // root reads anything
    dir.write("private.json", good);
    fs::permissions(dir.file("private.json"), fs::perms::none);
    unreadable = 1;
  }

  const RunCollection runs = collect_run_records({dir.path(), dir.file("more")});  // "more" twice: read once
  EXPECT_EQ(runs.runs.size(), 9u);
  ASSERT_EQ(runs.problems.size(), 4u + unreadable);
  const auto problem = [&](const std::string& file) {
    for (const auto& p : runs.problems) {
      if (p.rfind(dir.file(file) + ": ", 0) == 0) return p;
    }
    return std::string("(no problem for " + file + ")");
  };
  EXPECT_NE(problem("truncated.json").find("not a complete JSON document"), std::string::npos);
  EXPECT_NE(problem("newer.json").find("autolr.run.v9"), std::string::npos);
  EXPECT_NE(problem("package.json").find("not an autolr run record"), std::string::npos);
  EXPECT_NE(problem("dangling.json").find("cannot be read"), std::string::npos);
  if (unreadable) {
    EXPECT_NE(problem("private.json").find("cannot be read"), std::string::npos);
  }
  for (const auto& p : runs.problems) EXPECT_EQ(p.find('\n'), std::string::npos) << p;

  const std::vector<RunReview> rows = review_runs(runs);
  std::size_t duplicates = 0;
  for (const auto& row : rows) {
    if (runs.runs[row.run].record.name == "fine-a") {
      EXPECT_TRUE(row.duplicate_name);
      EXPECT_TRUE(has_doubt(row, "duplicate_name"));
      ++duplicates;
    }
  }
  EXPECT_EQ(duplicates, 2u) << "both runs of the same name are kept";
  const std::string page = render_report_html(runs);
  for (const auto& p : runs.problems) EXPECT_NE(page.find(detail::escape_xml(p)), std::string::npos) << p;
}

TEST(Report, EscapesEveryTextFromARecord) {
  test::TempDir dir;
  RunRecord r = record_of("<script>alert(\"name\")</script>", "clean_valley");
  r.tags = {"<b>tag</b>"};
  r.decision = "</p><script>alert(2)</script> & co";
  r.suggestions[0].warnings.push_back({WarningKind::NoAnswer, "<img src=x onerror=alert(3)>"});
  r.optimizer = "<i>optimizer</i>";
  r.optimizer_options = {{"\"><svg onload=alert(4)>", "'x'"}};
  r.created = "<time>";
  r.libtorch_version = "<v>";
  write_run_record(r, dir.file("evil.json"));
  const RunCollection runs = collect_run_records({dir.path()});
  ASSERT_EQ(runs.runs.size(), 1u);

  const std::string page = render_report_html(runs, ReportOptions().title("<title>").sources({"<dir>"}));
  std::size_t scripts = 0;
  for (std::size_t at = page.find("<script"); at != std::string::npos; at = page.find("<script", at + 1)) ++scripts;
  EXPECT_EQ(scripts, 1u) << "the page's own script, and no other";
  for (const char* raw :
       {"<img", "<svg onload", "<b>tag", "<i>optimizer", "<time>", "<v>", "<dir>", "<title><title>"}) {
    EXPECT_EQ(page.find(raw), std::string::npos) << raw;
  }
  EXPECT_NE(page.find("&lt;script&gt;alert(&quot;name&quot;)&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(page.find("&lt;/p&gt;&lt;script&gt;alert(2)&lt;/script&gt; &amp; co"), std::string::npos);

  const std::string markdown = render_report_markdown(runs);
  EXPECT_EQ(markdown.find("<script>"), std::string::npos);
  EXPECT_NE(markdown.find("\\<script\\>"), std::string::npos);
  EXPECT_NE(render_report_json(runs).find(R"("name": "<script>alert(\"name\")</script>")"), std::string::npos)
      << "JSON keeps the text as it is";
}

TEST(Report, AVerifiedRunShowsItsProbesInThePlotAndATable) {
  RunRecord verified = record_of("verified", "clean_valley");
  const double lr = verified.group_max_lrs[0];
  verified.probes = {{-0.5, {lr / std::sqrt(10.0)}, 0.4125, false, 30, 1.5},
                     {0, {lr}, 0.3875, false, 30, 1.5},
                     {0.5, {lr * std::sqrt(10.0)}, 2.5, true, 30, 1.5}};
  RunCollection runs;
  runs.runs.push_back({"verified.json", verified});
  runs.runs.push_back({"plain.json", record_of("plain", "clean_valley")});
  const std::string page = render_report_html(runs);

  EXPECT_NE(page.find("probe -0.5: loss 0.4125"), std::string::npos);
  EXPECT_NE(page.find("probe +0.5: diverged"), std::string::npos);
  EXPECT_NE(page.find(fmt::format("trained: {:.3g}", lr)), std::string::npos) << "the LR the fit trained with";
  EXPECT_NE(page.find(fmt::format("<td class=\"n\">{:.3g}</td><td class=\"n\">30</td><td class=\"n\">2.5 "
                                  "(diverged)</td>",
                                  lr * std::sqrt(10.0))),
            std::string::npos);
  const auto tables = [&](const std::string& text) {
    std::size_t n = 0;
    for (auto at = text.find("Probe fits (verified mode)"); at != std::string::npos;
         at = text.find("Probe fits (verified mode)", at + 1))
      ++n;
    return n;
  };
  EXPECT_EQ(tables(page), 1u) << "a table for the verified run alone";
}

TEST(Report, MarkdownAndJsonHoldTheSameRowsInTheSameOrder) {
  const Runs fixture;
  const RunCollection runs = collect_run_records({fixture.dir.path()});
  const std::vector<RunReview> rows = review_runs(runs);
  const std::string markdown = render_report_markdown(runs);
  const std::string json = render_report_json(runs);
  EXPECT_NE(json.find("\"schema\": \"autolr.report.v1\""), std::string::npos);
  std::size_t in_markdown = 0, in_json = 0;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const std::string& name = runs.runs[rows[i].run].record.name;
    const std::size_t m = markdown.find("| " + std::to_string(i + 1) + " | " + name + " |");
    const std::size_t j = json.find("\"name\": \"" + name + "\"");
    ASSERT_NE(m, std::string::npos) << name;
    ASSERT_NE(j, std::string::npos) << name;
    EXPECT_GT(m, in_markdown);
    EXPECT_GT(j, in_json);
    in_markdown = m;
    in_json = j;
  }
}

// ---------------------------------------------------------------------------
// The command
// ---------------------------------------------------------------------------

std::size_t count_lines_starting(const std::string& text, const std::string& prefix) {
  std::size_t count = 0;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) count += line.rfind(prefix, 0) == 0;
  return count;
}

TEST(ReportCommand, WritesThePageTheMarkdownAndTheJson) {
  const Runs fixture;
  test::TempDir out;
  const auto page = test::run_cli("report " + quoted(fixture.dir.path()) + " --out " + quoted(out.file("r.html")));
  EXPECT_EQ(page.exit_code, 0) << page.err;
  EXPECT_NE(page.out.find("8 runs, 6 to look at"), std::string::npos) << page.out;
  EXPECT_EQ(test::read_file(out.file("r.html")).rfind("<!DOCTYPE html>", 0), 0u);

  const auto markdown = test::run_cli("report " + quoted(fixture.dir.path()) + " --markdown");
  EXPECT_EQ(markdown.exit_code, 0) << markdown.err;
  EXPECT_NE(markdown.out.find("| 1 | at-edge |"), std::string::npos) << markdown.out;

  const auto json =
      test::run_cli("report " + quoted(fixture.dir.path()) + " --json --out " + quoted(out.file("r.json")));
  EXPECT_EQ(json.exit_code, 0) << json.err;
  const std::string table = test::read_file(out.file("r.json"));
  EXPECT_LT(table.find("\"name\": \"at-edge\""), table.find("\"name\": \"fine-a\""));
}

TEST(ReportCommand, ExitsOneWhenNoRunCouldBeReportedWithEachProblemOnItsOwnLine) {
  test::TempDir dir, out;
  dir.write("cut.json", "{\"schema\": \"autolr.run.v1\", \"name\": ");
  dir.write("list.json", "[]");
  const auto r = test::run_cli("report " + quoted(dir.path()) + " --out " + quoted(out.file("r.html")));
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(count_lines_starting(r.err, "autolr report: skipped " + dir.path()), 2u) << r.err;
  EXPECT_NE(r.err.find("no run records in"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(out.file("r.html")));

  test::TempDir empty;
  EXPECT_EQ(test::run_cli("report " + quoted(empty.path())).exit_code, 1);
}

TEST(ReportCommand, BadOptionsExitTwoAndWriteNothing) {
  const Runs fixture;
  const std::string record = fixture.dir.file("fine-a.json");
  const std::string before = test::read_file(record);
  const auto over_a_record = test::run_cli("report " + quoted(fixture.dir.path()) + " --out " + quoted(record));
  EXPECT_EQ(over_a_record.exit_code, 2) << over_a_record.err;
  EXPECT_NE(over_a_record.err.find("--out"), std::string::npos) << over_a_record.err;
  EXPECT_EQ(test::read_file(record), before);
  EXPECT_EQ(test::run_cli("report " + quoted(record) + " --json --out " + quoted(record)).exit_code, 2);
  EXPECT_EQ(test::run_cli("report " + quoted(fixture.dir.path()) + " --markdown --json").exit_code, 2);
  EXPECT_EQ(test::run_cli("report " + quoted(fixture.dir.file("missing"))).exit_code, 2);
  EXPECT_EQ(test::run_cli("report " + quoted(fixture.dir.path()) + " --out " + quoted(fixture.dir.path())).exit_code,
            2);
  EXPECT_EQ(test::run_cli("report").exit_code, 2);
}

TEST(ReportCommand, ReportsARunTheDemoRecorded) {
  if (std::system("test -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz") != 0) {
    GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  }
  test::TempDir dir;
  const std::string records = dir.file("runs");  // the demo creates it, as --out-dir
  const auto demo = test::run_cli("demo --model mlp --epochs 1 --no-progress --threads 2 --seed 2 --out-dir " +
                                  quoted(dir.file("out")) + " --record-dir " + quoted(records) +
                                  " --run-name mlp-seed2 --tag seed=2 --tag model=mlp");
  ASSERT_EQ(demo.exit_code, 0) << demo.out << demo.err;
  EXPECT_NE(demo.out.find("wrote " + records + "/mlp-seed2.json"), std::string::npos) << demo.out;
  const RunRecord r = read_run_record(records + "/mlp-seed2.json");
  EXPECT_EQ(r.tags, (std::vector<std::string>{"seed=2", "model=mlp"}));
  EXPECT_EQ(r.optimizer, "SGD");
  EXPECT_EQ(r.epochs.size(), 1u);
  EXPECT_TRUE(r.trained);
  const auto report = test::run_cli("report " + quoted(records) + " --out " + quoted(dir.file("report.html")));
  EXPECT_EQ(report.exit_code, 0) << report.err;
  EXPECT_NE(report.out.find("1 run, "), std::string::npos) << report.out;
  EXPECT_NE(test::read_file(dir.file("report.html")).find("mlp-seed2"), std::string::npos);
}

TEST(ReportCommand, DemoRejectsABadRunNameOrRecordDirBeforeTraining) {
  test::TempDir dir;
  const std::string file = dir.write("file", "x");
  for (const auto& [arguments, message] : std::vector<std::pair<std::string, std::string>>{
           {"--run-name a/b", "--run-name = a/b: expected a name for a file"},
           {"--record-dir " + quoted(file), "--record-dir = " + file + ": expected a folder"}}) {
    const auto r = test::run_cli("demo --no-progress --out-dir " + quoted(dir.file("out")) + " " + arguments);
    EXPECT_EQ(r.exit_code, 2) << arguments << r.out;
    EXPECT_NE(r.err.find(message), std::string::npos) << arguments << ": " << r.err;
  }
}

// ---------------------------------------------------------------------------
// The page in a real browser
// ---------------------------------------------------------------------------

bool have_chromium() { return std::system("command -v chromium >/dev/null 2>&1") == 0; }

struct Page {
  int status = -1;
  std::string dom;  // what --dump-dom printed: the DOM after the page's script ran
  std::string log;  // stderr with --enable-logging: console messages, uncaught errors
};

// Headless Chromium on a file:// URL, with its own profile (so runs in
// parallel do not share one) and a timeout against a hung browser.
Page open_in_chromium(const std::string& url, const std::string& options, const test::TempDir& scratch) {
  const std::string command =
      "timeout 180 chromium --headless --no-sandbox --disable-gpu --no-first-run "
      "--user-data-dir=" +
      quoted(scratch.file("profile")) + " --enable-logging=stderr --v=0 " + options + " " + quoted(url) + " >" +
      quoted(scratch.file("dom.html")) + " 2>" + quoted(scratch.file("log.txt"));
  Page page;
  const int status = std::system(command.c_str());
  page.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  page.dom = test::read_file(scratch.file("dom.html"));
  page.log = test::read_file(scratch.file("log.txt"));
  return page;
}

std::string unescape(std::string text) {
  for (const auto& [entity, character] : std::vector<std::pair<std::string, std::string>>{
           {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&#39;", "'"}, {"&amp;", "&"}}) {
    for (std::size_t at = text.find(entity); at != std::string::npos; at = text.find(entity, at + 1)) {
      text.replace(at, entity.size(), character);
    }
  }
  return text;
}

// The value of attribute `name` in the first tag at or after `from` that has it, before `end`.
std::string attribute(const std::string& html, const std::string& name, std::size_t from, std::size_t end) {
  const std::string key = name + "=\"";
  const std::size_t at = html.find(key, from);
  if (at == std::string::npos || at >= end) return "";
  const std::size_t start = at + key.size();
  return unescape(html.substr(start, html.find('"', start) - start));
}

struct Row {
  std::string name, lr;
  bool look = false;
};

// The summary table's rows in the order the DOM holds them.
std::vector<Row> rows_of(const std::string& dom) {
  std::vector<Row> rows;
  for (std::size_t at = dom.find("<tr id=\"row-"); at != std::string::npos; at = dom.find("<tr id=\"row-", at + 1)) {
    const std::size_t end = dom.find("</tr>", at);
    const std::string tag = dom.substr(at, dom.find('>', at) - at);
    Row row;
    row.look = tag.find("class=\"look\"") != std::string::npos;
    row.name = attribute(dom, "data-v", dom.find("data-k=\"name\"", at), end);
    row.lr = attribute(dom, "data-v", dom.find("data-k=\"lr\"", at), end);
    rows.push_back(row);
  }
  return rows;
}

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

TEST(ReportInBrowser, ShowsEveryRunTheDoubtfulFirstAndSortsWithoutErrors) {
  if (!have_chromium()) GTEST_SKIP() << "chromium not installed (apt-get install chromium; tools/install-deps)";
  const Runs fixture;
  fixture.write("evil", record_of("<script>document.title='pwned'</script>", "hairpin"));
  const RunCollection runs = collect_run_records({fixture.dir.path()});
  ASSERT_EQ(runs.runs.size(), 9u);
  const std::vector<RunReview> reviewed = review_runs(runs);

  // The page and its screenshot stay in the build folder to be looked at.
  const fs::path artifacts = fs::path(AUTOLR_BUILD_DIR) / "test-artifacts";
  fs::create_directories(artifacts);
  const std::string page_path = (artifacts / "report.html").string();
  write_report(page_path, runs, ReportFormat::Html, ReportOptions().sources({fixture.dir.path()}));
  const std::string url = "file://" + page_path;
  test::TempDir scratch;

  const Page as_written = open_in_chromium(url, "--dump-dom", scratch);
  ASSERT_EQ(as_written.status, 0) << as_written.log.substr(0, 4000);
  EXPECT_NE(as_written.dom.find("data-ready=\"true\""), std::string::npos)
      << "the page's script did not run to its end";
  for (const char* error : {"Uncaught", "SyntaxError"}) {
    EXPECT_EQ(as_written.log.find(error), std::string::npos) << as_written.log.substr(0, 4000);
  }
  const std::size_t title = as_written.dom.find("<title>");
  EXPECT_EQ(as_written.dom.substr(title, as_written.dom.find("</title>") - title).find("pwned"), std::string::npos)
      << "the script in the run's name ran";
  EXPECT_EQ(as_written.dom.find("<script>document.title"), std::string::npos);
  const std::vector<Row> rows = rows_of(as_written.dom);
  ASSERT_EQ(rows.size(), reviewed.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(rows[i].name, runs.runs[reviewed[i].run].record.name) << "row " << i;
    EXPECT_EQ(rows[i].look, reviewed[i].needs_look()) << rows[i].name;
    if (i > 0) {
      EXPECT_FALSE(rows[i].look && !rows[i - 1].look) << "a doubtful run after a fine one: " << rows[i].name;
    }
  }
  for (const auto& run : runs.runs) {
    EXPECT_NE(as_written.dom.find("id=\"run-"), std::string::npos);
    EXPECT_TRUE(std::any_of(rows.begin(), rows.end(), [&](const Row& r) { return r.name == run.record.name; }))
        << run.record.name;
  }

  // The script sorts by the fragment: by name, then by chosen LR descending (no LR last).
  const Page by_name = open_in_chromium(url + "#sort=name", "--dump-dom", scratch);
  EXPECT_NE(by_name.dom.find("data-sorted=\"name\""), std::string::npos);
  const std::vector<Row> named = rows_of(by_name.dom);
  ASSERT_EQ(named.size(), rows.size());
  EXPECT_TRUE(std::is_sorted(named.begin(), named.end(),
                             [](const Row& a, const Row& b) { return lower(a.name) < lower(b.name); }));
  const Page by_lr = open_in_chromium(url + "#sort=-lr", "--dump-dom", scratch);
  EXPECT_NE(by_lr.dom.find("data-sorted=\"-lr\""), std::string::npos);
  const std::vector<Row> by_rate = rows_of(by_lr.dom);
  ASSERT_EQ(by_rate.size(), rows.size());
  std::vector<double> lrs;
  for (const Row& r : by_rate) lrs.push_back(r.lr.empty() ? -1.0 : std::stod(r.lr));
  EXPECT_TRUE(std::is_sorted(lrs.rbegin(), lrs.rend())) << "descending, runs without an LR last";
  EXPECT_EQ(lrs.back(), -1.0) << "no-answer has no LR";
  for (const Page* page : {&by_name, &by_lr}) {
    EXPECT_EQ(page->log.find("Uncaught"), std::string::npos) << page->log.substr(0, 4000);
  }

  const std::string screenshot = (artifacts / "report.png").string();
  fs::remove(screenshot);
  const Page shot = open_in_chromium(url, "--screenshot=" + quoted(screenshot) + " --window-size=1280,1600", scratch);
  EXPECT_EQ(shot.status, 0);
  ASSERT_TRUE(fs::exists(screenshot));
  EXPECT_EQ(test::read_file(screenshot).substr(1, 3), "PNG");
  EXPECT_GT(fs::file_size(screenshot), 20000u) << "more than a blank page";
}

}  // namespace
}  // namespace autolr
