// OneCycleLR against PyTorch's own OneCycleLR (tools/make_one_cycle_vectors.py,
// 17 configurations), the momentum it writes into each optimizer, and its errors.

#include "autolr/one_cycle.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <fstream>
#include <map>
#include <sstream>

#include "autolr/error.h"
#include "autolr/trainer.h"
#include "test_support.h"
#include "torch_support.h"

namespace autolr {
namespace {

struct Row {
  int64_t step;
  int64_t group;
  std::string lr, momentum;
};

struct Config {
  std::string optimizer;
  std::vector<double> max_lr;
  int64_t total_steps;
  double pct_start;
  std::string anneal;
  bool three_phase;
  double div_factor, final_div_factor, base_momentum, max_momentum;
  std::vector<Row> rows;

  OneCycleOptions options() const {
    return OneCycleOptions(max_lr)
        .total_steps(total_steps)
        .pct_start(pct_start)
        .anneal(anneal == "cos" ? Anneal::Cos : Anneal::Linear)
        .three_phase(three_phase)
        .div_factor(div_factor)
        .final_div_factor(final_div_factor)
        .base_momentum(base_momentum)
        .max_momentum(max_momentum);
  }
};

std::vector<std::string> split(const std::string& line, char separator) {
  std::vector<std::string> fields;
  std::stringstream stream(line);
  std::string field;
  while (std::getline(stream, field, separator)) fields.push_back(field);
  return fields;
}

// `file`: one_cycle_vectors.csv (recorded with torch 1.13) or
// one_cycle_vectors_torch2.csv (torch 2.15); the same script made both.
std::map<std::string, Config> load_configs(const std::string& file) {
  std::ifstream in(test::data_path(file));
  std::string line;
  std::getline(in, line);
  std::map<std::string, Config> configs;
  while (std::getline(in, line)) {
    const auto f = split(line, ',');
    Config& c = configs[f.at(0)];
    if (c.rows.empty()) {
      c.optimizer = f[1];
      for (const auto& lr : split(f[2], ';')) c.max_lr.push_back(std::stod(lr));
      c.total_steps = std::stoll(f[3]);
      c.pct_start = std::stod(f[4]);
      c.anneal = f[5];
      c.three_phase = f[6] == "1";
      c.div_factor = std::stod(f[7]);
      c.final_div_factor = std::stod(f[8]);
      c.base_momentum = std::stod(f[9]);
      c.max_momentum = std::stod(f[10]);
    }
    c.rows.push_back({std::stoll(f[11]), std::stoll(f[12]), f[13], f[14]});
  }
  return configs;
}

std::unique_ptr<torch::optim::Optimizer> optimizer_for(const std::string& kind, std::size_t groups,
                                                       std::vector<torch::Tensor>& keep) {
  std::vector<torch::optim::OptimizerParamGroup> param_groups;
  for (std::size_t g = 0; g < groups; ++g) {
    keep.push_back(torch::zeros({1}, torch::requires_grad()));
    param_groups.emplace_back(std::vector<torch::Tensor>{keep.back()});
  }
  using namespace torch::optim;
  if (kind == "sgd") return std::make_unique<SGD>(param_groups, SGDOptions(0.1).momentum(0.9));
  if (kind == "adam") return std::make_unique<Adam>(param_groups, AdamOptions(0.1));
  if (kind == "adamw") return std::make_unique<AdamW>(param_groups, AdamWOptions(0.1));
  return std::make_unique<RMSprop>(param_groups, RMSpropOptions(0.1).momentum(0.9));
}

::testing::AssertionResult close(double actual, const std::string& expected_text) {
  const double expected = std::stod(expected_text);
  if (std::abs(actual - expected) <= 1e-12 * std::abs(expected)) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "got " << actual << ", PyTorch " << expected_text;
}

class OneCycleAgainst : public ::testing::TestWithParam<std::string> {};

TEST_P(OneCycleAgainst, PyTorchAtEveryStepOfEveryConfiguration) {
  const auto configs = load_configs(GetParam());
  ASSERT_GE(configs.size(), 15u);
  std::size_t checked = 0;
  for (const auto& [name, config] : configs) {
    SCOPED_TRACE(name);
    std::vector<torch::Tensor> parameters;
    auto optimizer = optimizer_for(config.optimizer, config.max_lr.size(), parameters);
    OneCycleLR scheduler(*optimizer, config.options());
    EXPECT_EQ(scheduler.schedule().total_steps(), config.total_steps);
    int64_t at = 0;
    bool errored = false;
    for (const Row& row : config.rows) {
      if (row.step != at) {
        if (row.lr == "error") {
          EXPECT_THROW_WITH(scheduler.step(), InvalidArgument, "falls in a phase of zero steps");
          errored = true;
          break;
        }
        scheduler.step();
        at = row.step;
      }
      const auto& group = optimizer->param_groups()[static_cast<std::size_t>(row.group)];
      EXPECT_TRUE(close(group.options().get_lr(), row.lr)) << "lr at step " << row.step << " group " << row.group;
      EXPECT_TRUE(close(get_momentum(group), row.momentum)) << "momentum at step " << row.step;
      ++checked;
    }
    if (!errored) {
      const double lr_before = optimizer->param_groups()[0].options().get_lr();
      EXPECT_THROW_WITH(scheduler.step(), InvalidArgument,
                        "Tried to step " + std::to_string(config.total_steps + 2) +
                            " times. The specified number of total steps is " + std::to_string(config.total_steps));
      EXPECT_EQ(optimizer->param_groups()[0].options().get_lr(), lr_before) << "a refused step changes nothing";
    }
  }
  EXPECT_GE(checked, 1500u);
}
INSTANTIATE_TEST_SUITE_P(RecordedWith, OneCycleAgainst,
                         ::testing::Values("one_cycle_vectors.csv", "one_cycle_vectors_torch2.csv"),
                         [](const auto& info) { return info.index == 0 ? std::string("Torch113") : "Torch215"; });

TEST(OneCycleLR, WritesMomentumOrBeta1IntoEachSupportedOptimizer) {
  for (const std::string kind : {"sgd", "rmsprop", "adam", "adamw"}) {
    SCOPED_TRACE(kind);
    std::vector<torch::Tensor> parameters;
    auto optimizer = optimizer_for(kind, 1, parameters);
    OneCycleLR scheduler(*optimizer, OneCycleOptions(0.1).total_steps(20));
    for (int64_t step = 0; step <= 20; ++step) {
      if (step > 0) scheduler.step();
      EXPECT_DOUBLE_EQ(get_momentum(optimizer->param_groups()[0]), scheduler.schedule().momentum(step));
    }
    if (auto* adam = dynamic_cast<torch::optim::AdamOptions*>(&optimizer->param_groups()[0].options())) {
      EXPECT_EQ(std::get<1>(adam->betas()), 0.999) << "beta2 untouched";
    }
  }
}

TEST(OneCycleLR, RefusesAdagradWithCycleMomentumLikePyTorch) {
  torch::Tensor p = torch::zeros({1}, torch::requires_grad());
  torch::optim::Adagrad adagrad({p}, 0.1);
  EXPECT_THROW_WITH(OneCycleLR(adagrad, OneCycleOptions(0.1).total_steps(10)), InvalidArgument,
                    "optimizer must support momentum with `cycle_momentum` option enabled");
  OneCycleLR without(adagrad, OneCycleOptions(0.1).total_steps(10).cycle_momentum(false));
  EXPECT_DOUBLE_EQ(adagrad.param_groups()[0].options().get_lr(), 0.1 / 25);
}

struct BadOneCycle {
  const char* name;
  OneCycleOptions options;
  const char* message;
};
void PrintTo(const BadOneCycle& b, std::ostream* os) { *os << b.name; }

class OneCycleRejects : public ::testing::TestWithParam<BadOneCycle> {};

TEST_P(OneCycleRejects, NamingTheOption) {
  EXPECT_THROW_WITH(OneCycleSchedule(GetParam().options, 2), InvalidArgument, GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    BadInputs, OneCycleRejects,
    ::testing::Values(
        BadOneCycle{"NoStepCount", OneCycleOptions(0.1), "total_steps = unset, expected either total_steps or (epochs"},
        BadOneCycle{"ZeroTotal", OneCycleOptions(0.1).total_steps(0), "total_steps = 0, expected a positive integer"},
        BadOneCycle{"ZeroEpochs", OneCycleOptions(0.1).epochs(0).steps_per_epoch(5), "epochs = 0"},
        BadOneCycle{"ZeroStepsPerEpoch", OneCycleOptions(0.1).epochs(2).steps_per_epoch(0), "steps_per_epoch = 0"},
        BadOneCycle{"EpochsTimesStepsOverflow", OneCycleOptions(0.1).epochs(4611686018427387905).steps_per_epoch(4),
                    "epochs * steps_per_epoch = 4611686018427387905 * 4, expected a product of at most "
                    "9223372036854775807"},
        BadOneCycle{"PctAboveOne", OneCycleOptions(0.1).total_steps(10).pct_start(1.5),
                    "pct_start = 1.5, expected a value in [0, 1]"},
        BadOneCycle{"PctNegative", OneCycleOptions(0.1).total_steps(10).pct_start(-0.1), "pct_start = -0.1"},
        BadOneCycle{"ZeroMaxLr", OneCycleOptions(0.0).total_steps(10), "max_lr[0] = 0, expected a finite value > 0"},
        BadOneCycle{"NegativeGroupLr", OneCycleOptions(std::vector<double>{0.1, -1}).total_steps(10), "max_lr[1] = -1"},
        BadOneCycle{"WrongGroupCount", OneCycleOptions(std::vector<double>{0.1, 0.2, 0.3}).total_steps(10),
                    "max_lr.size() = 3, expected 1 or 2 (one per param group"},
        BadOneCycle{"ZeroDiv", OneCycleOptions(0.1).total_steps(10).div_factor(0), "div_factor = 0"},
        BadOneCycle{"MomentumAboveOne", OneCycleOptions(0.1).total_steps(10).max_momentum(1.5), "max_momentum = 1.5"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(OneCycleOptions, FastaiPresetWarmsUpAQuarterAndEndsAtMaxOver1e5) {
  const OneCycleSchedule s(OneCycleOptions::fastai({0.01}).total_steps(1000));
  const auto near = [](double actual, double expected) { return std::abs(actual - expected) <= 1e-12 * expected; };
  EXPECT_TRUE(near(s.lr(0), 0.01 / 25)) << s.lr(0);
  EXPECT_TRUE(near(s.lr(249), 0.01)) << "peak at the end of the first 25%: " << s.lr(249);
  EXPECT_TRUE(near(s.lr(999), 0.01 / 1e5)) << s.lr(999);
  EXPECT_TRUE(near(s.momentum(0), 0.95));
  EXPECT_TRUE(near(s.momentum(249), 0.85));
  EXPECT_TRUE(near(s.momentum(999), 0.95));
}

TEST(Trainer, FitOneCycleRejectsEpochsWhoseStepCountOverflows) {
  test::Classifier model;
  torch::optim::SGD optimizer(model->parameters(), 0.1);
  Trainer trainer(model, optimizer, test::cross_entropy, batches(test::classification_batches(5, 8)),
                  TrainerOptions().progress(false));
  EXPECT_THROW_WITH(fit_one_cycle(trainer, int64_t{1} << 61, 0.05), InvalidArgument,
                    "fit_one_cycle: epochs = 2305843009213693952, expected at most 1844674407370955161 (epochs * 5 "
                    "batches must fit in an int64_t)");
  EXPECT_TRUE(trainer.history().empty()) << "nothing trained";
}

TEST(Trainer, FitOneCycleStepsTheScheduleOncePerOptimizerStep) {
  torch::manual_seed(0);
  test::Classifier model;
  torch::optim::SGD optimizer(model->parameters(), torch::optim::SGDOptions(0.1).momentum(0.9));
  std::vector<double> lrs;
  struct LrLog : Callback {
    std::vector<double>& lrs;
    explicit LrLog(std::vector<double>& lrs) : lrs(lrs) {}
    void on_batch_begin(FitContext& c) override { lrs.push_back(c.optimizer.param_groups()[0].options().get_lr()); }
  };
  Trainer trainer(model, optimizer, test::cross_entropy, batches(test::classification_batches(5, 8)),
                  TrainerOptions().progress(false));
  trainer.add_callback(std::make_shared<LrLog>(lrs));
  fit_one_cycle(trainer, 3, 0.05);
  const OneCycleSchedule schedule(OneCycleOptions(0.05).total_steps(15));
  ASSERT_EQ(lrs.size(), 15u);
  for (int64_t step = 0; step < 15; ++step) EXPECT_DOUBLE_EQ(lrs[static_cast<std::size_t>(step)], schedule.lr(step));
}

}  // namespace
}  // namespace autolr
