#include "autolr/trainer.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <string>
#include <vector>

#include "autolr/error.h"
#include "autolr/lr_finder.h"
#include "autolr/optim.h"
#include "test_support.h"
#include "torch_support.h"

namespace autolr {
namespace {

using test::Classifier;

// Records which hooks fired, in order, as "<name>:<hook>".
class HookRecorder : public Callback {
 public:
  HookRecorder(std::string name, std::vector<std::string>& log) : name_(std::move(name)), log_(log) {}
  void on_fit_begin(FitContext&) override { add("fit_begin"); }
  void on_epoch_begin(FitContext& c) override { add("epoch_begin " + std::to_string(c.epoch)); }
  void on_batch_begin(FitContext& c) override { add("batch_begin " + std::to_string(c.batch)); }
  void on_after_loss(FitContext& c) override { add(c.loss.defined() ? "after_loss" : "after_loss (no loss)"); }
  void on_after_backward(FitContext&) override { add("after_backward"); }
  void on_after_step(FitContext& c) override { add("after_step " + std::to_string(c.step)); }
  void on_batch_end(FitContext&) override { add("batch_end"); }
  void on_epoch_end(FitContext&) override { add("epoch_end"); }
  void on_fit_end(FitContext& c) override { add(c.error ? "fit_end (error)" : "fit_end"); }

 private:
  void add(const std::string& hook) { log_.push_back(name_ + ":" + hook); }
  std::string name_;
  std::vector<std::string>& log_;
};

struct Fixture {
  Classifier model;
  std::unique_ptr<torch::optim::Optimizer> optimizer;
  std::unique_ptr<Trainer> trainer;

  explicit Fixture(int64_t batches = 2, TrainerOptions options = TrainerOptions().progress(false)) {
    torch::manual_seed(0);
    optimizer = test::make_optimizer(test::OptimizerKind::Sgd, model->parameters());
    trainer = std::make_unique<Trainer>(model, *optimizer, test::cross_entropy,
                                        batches_of(test::classification_batches(batches, 16)), options);
  }
  static std::shared_ptr<BatchSource> batches_of(std::vector<Batch> b) { return autolr::batches(std::move(b)); }
};

TEST(Trainer, HooksFireInOrderForEveryCallbackInTheOrderAdded) {
  Fixture f;
  std::vector<std::string> log;
  f.trainer->add_callback(std::make_shared<HookRecorder>("a", log));
  HookRecorder b("b", log);
  f.trainer->fit(2, {&b});
  std::vector<std::string> expected = {"a:fit_begin", "b:fit_begin"};
  int64_t step = 0;
  for (int epoch = 0; epoch < 2; ++epoch) {
    for (const char* who : {"a", "b"}) expected.push_back(std::string(who) + ":epoch_begin " + std::to_string(epoch));
    for (int batch = 0; batch < 2; ++batch) {
      ++step;
      for (const std::string hook :
           {"batch_begin " + std::to_string(batch), std::string("after_loss"), std::string("after_backward"),
            "after_step " + std::to_string(step), std::string("batch_end")}) {
        for (const char* who : {"a", "b"}) expected.push_back(std::string(who) + ":" + hook);
      }
    }
    for (const char* who : {"a", "b"}) expected.push_back(std::string(who) + ":epoch_end");
  }
  for (const char* who : {"a", "b"}) expected.push_back(std::string(who) + ":fit_end");
  EXPECT_EQ(log, expected);
}

TEST(Trainer, WithGradientAccumulationStepsOnlyEveryNthBatch) {
  Fixture f(4, TrainerOptions().progress(false).accumulation_steps(2));
  std::vector<std::string> log;
  HookRecorder r("r", log);
  f.trainer->fit(1, {&r});
  EXPECT_EQ(std::count(log.begin(), log.end(), "r:after_backward"), 4);
  EXPECT_EQ(std::count(log.begin(), log.end(), "r:after_step 1"), 1);
  EXPECT_EQ(std::count(log.begin(), log.end(), "r:after_step 2"), 1);
  EXPECT_EQ(f.trainer->history().at(0).steps, 2);
}

TEST(Trainer, FitEndRunsWithTheErrorAndTheErrorReachesTheCaller) {
  Fixture f;
  std::vector<std::string> log;
  HookRecorder r("r", log);
  struct Thrower : Callback {
    void on_after_backward(FitContext& c) override {
      if (c.step == 1) throw std::runtime_error("boom at step 1");
    }
  } thrower;
  EXPECT_THROW_WITH(f.trainer->fit(1, {&r, &thrower}), std::runtime_error, "boom at step 1");
  EXPECT_EQ(log.back(), "r:fit_end (error)");
}

TEST(Trainer, StopRequestEndsTheFitAfterTheBatch) {
  Fixture f(5);
  struct Stopper : Callback {
    void on_batch_end(FitContext& c) override {
      if (c.batch == 2) c.request_stop("enough");
    }
  } stopper;
  std::vector<std::string> log;
  HookRecorder r("r", log);
  f.trainer->fit(3, {&stopper, &r});
  EXPECT_EQ(std::count(log.begin(), log.end(), "r:batch_end"), 3);
  EXPECT_EQ(f.trainer->history().size(), 1u);
}

TEST(Trainer, HistoryHasTrainAndValidationLossAndAccuracyThatLearns) {
  torch::manual_seed(0);
  Classifier model;
  torch::optim::Adam optimizer(model->parameters(), torch::optim::AdamOptions(1e-2));
  Trainer trainer(model, optimizer, test::cross_entropy, batches(test::classification_batches(20, 32)),
                  TrainerOptions().progress(false));
  trainer.set_validation_data(batches(test::classification_batches(5, 64, 8, 3, /*seed=*/2)));
  trainer.set_metric(accuracy());
  trainer.fit(4);
  ASSERT_EQ(trainer.history().size(), 4u);
  for (const auto& epoch : trainer.history()) {
    EXPECT_GT(epoch.train_loss, 0);
    ASSERT_TRUE(epoch.valid_loss && epoch.metric);
    EXPECT_GE(*epoch.metric, 0);
    EXPECT_LE(*epoch.metric, 1);
    EXPECT_EQ(epoch.steps, 20);
  }
  EXPECT_LT(trainer.history().back().train_loss, trainer.history().front().train_loss);
  EXPECT_GT(*trainer.history().back().metric, 0.7) << "a learnable linear problem";
}

TEST(Trainer, CustomForwardAndLossForBatchesThatAreNotPairs) {
  torch::manual_seed(0);
  torch::nn::EmbeddingBag bag(torch::nn::EmbeddingBagOptions(50, 4).mode(torch::kMean));
  torch::nn::Linear head(4, 2);
  torch::nn::Sequential model(bag, head);
  std::vector<torch::Tensor> parameters = bag->parameters();
  for (const auto& p : head->parameters()) parameters.push_back(p);
  torch::optim::SGD optimizer(parameters, 0.1);
  std::vector<Batch> data;
  for (int i = 0; i < 3; ++i) {
    Batch b;
    b.inputs["tokens"] = torch::randint(0, 50, {12}, torch::kLong);
    b.inputs["offsets"] = torch::tensor({0, 4, 8}, torch::kLong);
    b.target = torch::randint(0, 2, {3}, torch::kLong);
    data.push_back(b);
  }
  Trainer trainer(
      model.ptr(), [&](const Batch& b) { return head(bag(b.inputs.at("tokens"), b.inputs.at("offsets"))); }, optimizer,
      [](const torch::Tensor& out, const Batch& b) { return test::cross_entropy(out, b.target); }, batches(data),
      TrainerOptions().progress(false));
  trainer.fit(2);
  EXPECT_EQ(trainer.history().size(), 2u);
}

TEST(Trainer, RejectsEmptyDataNonScalarLossesAndBadArguments) {
  torch::manual_seed(0);
  Classifier model;
  torch::optim::SGD optimizer(model->parameters(), 0.1);
  Trainer empty(model, optimizer, test::cross_entropy, batches({}), TrainerOptions().progress(false));
  EXPECT_THROW_WITH(empty.fit(1), InvalidArgument, "Trainer: train_data = empty in epoch 0, expected at least one");

  Trainer vector_loss(
      model, optimizer,
      [](const torch::Tensor& out, const torch::Tensor& t) {
        return torch::nn::functional::cross_entropy(
            out, t, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kNone));
      },
      batches(test::classification_batches(1, 4)), TrainerOptions().progress(false));
  EXPECT_THROW_WITH(vector_loss.fit(1), InvalidArgument,
                    "loss = a float tensor of shape [4], expected a floating-point scalar");
  EXPECT_THROW_WITH(vector_loss.fit(0), InvalidArgument, "Trainer::fit: epochs = 0, expected at least 1");
  EXPECT_THROW_WITH(Trainer(model, optimizer, test::cross_entropy, nullptr), InvalidArgument, "train_data = null");
  EXPECT_THROW_WITH(Trainer(model, optimizer, test::cross_entropy, batches({}), TrainerOptions().accumulation_steps(0)),
                    InvalidArgument, "accumulation_steps = 0, expected at least 1");
}

// A map-style dataset of (input, target) examples, as LibTorch users write them.
struct PairDataset : torch::data::datasets::Dataset<PairDataset> {
  torch::Tensor x, y;
  PairDataset(torch::Tensor x, torch::Tensor y) : x(std::move(x)), y(std::move(y)) {}
  torch::data::Example<> get(size_t i) override { return {x[static_cast<int64_t>(i)], y[static_cast<int64_t>(i)]}; }
  torch::optional<size_t> size() const override { return static_cast<size_t>(x.size(0)); }
};

TEST(Trainer, TrainsFromLibTorchDataLoadersStackedOrNot) {
  torch::manual_seed(0);
  const auto data = test::classification_batches(1, 96);
  Classifier model;
  torch::optim::SGD optimizer(model->parameters(), 0.05);
  auto stacked = torch::data::make_data_loader<torch::data::samplers::SequentialSampler>(
      PairDataset(data[0].input, data[0].target).map(torch::data::transforms::Stack<>()), 32);
  Trainer trainer(model, optimizer, test::cross_entropy, batches(std::move(stacked)), TrainerOptions().progress(false));
  trainer.fit(2);
  ASSERT_EQ(trainer.history().size(), 2u);
  EXPECT_EQ(trainer.history()[1].steps, 3) << "96 examples in batches of 32";

  auto unstacked =
      torch::data::make_data_loader(PairDataset(data[0].input, data[0].target), torch::data::DataLoaderOptions(40));
  Trainer second(model, optimizer, test::cross_entropy, batches(std::move(unstacked)),
                 TrainerOptions().progress(false));
  const LRCurve curve = lr_find(second, LRFinderOptions().num_iter(7).progress(false).diverge_factor(std::nullopt));
  EXPECT_EQ(curve.size(), 7u) << "3 batches (40, 40, 16), restarted: the loader is re-iterated";
}

TEST(Trainer, EvaluatePutsEveryModulesTrainFlagBack) {
  Fixture f;
  f.model->norm->eval();  // a frozen BatchNorm, in eval while the rest trains
  f.trainer->evaluate(*batches(test::classification_batches(1, 8)));
  EXPECT_TRUE(f.model->is_training());
  EXPECT_FALSE(f.model->norm->is_training());
}

TEST(Trainer, EvaluatesAScheduleFreeOptimizerAtItsAverageAndTrainsOnAtY) {
  torch::manual_seed(0);
  Classifier model;
  optim::ScheduleFreeAdamW optimizer(model->parameters(), optim::ScheduleFreeAdamWOptions(1e-2));
  const auto data = batches(test::classification_batches(6, 16));
  Trainer trainer(model, optimizer, test::cross_entropy, data, TrainerOptions().progress(false));
  trainer.fit(2);  // the Trainer put the optimizer in train mode itself
  ASSERT_TRUE(optimizer.is_training());
  std::vector<torch::Tensor> y;
  for (const auto& p : model->parameters()) y.push_back(p.detach().clone());

  const double through_trainer = trainer.evaluate(*data).loss;
  for (std::size_t i = 0; i < y.size(); ++i)
    EXPECT_TRUE(torch::equal(model->parameters()[i], y[i])) << "back at y, bit for bit, after evaluating";
  EXPECT_TRUE(optimizer.is_training());

  optimizer.eval();  // by hand, as the reference's users do
  optimizer.eval();  // (idempotent)
  const double at_x = trainer.evaluate(*data).loss;
  optimizer.train();
  EXPECT_DOUBLE_EQ(through_trainer, at_x) << "the Trainer evaluates at x";
  bool moved = false;
  optimizer.eval();
  for (std::size_t i = 0; i < y.size(); ++i) moved = moved || !torch::equal(model->parameters()[i], y[i]);
  optimizer.train();
  EXPECT_TRUE(moved) << "x differs from y after training, so the check above means something";
}

}  // namespace
}  // namespace autolr
