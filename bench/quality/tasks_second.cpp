// The second corpus: the optimizers (plain SGD, RMSprop, Adagrad), models
// (residual nets, recurrent nets, a recurrent language model fine-tuned in
// two stages with discriminative LRs), batch sizes and budgets the first
// corpus lacked. Written and recorded whole, held-out part included, before
// the fit-aware default was designed; other seeds than the first corpus.

#include <cmath>

#include "task_parts.h"

namespace autolr::quality {
namespace {

namespace nn = torch::nn;

OptimizerFactory sgd_without_momentum() {
  return [](std::vector<torch::Tensor> p) {
    return std::make_unique<torch::optim::SGD>(p, torch::optim::SGDOptions(1e-3));
  };
}
OptimizerFactory rmsprop() {
  return [](std::vector<torch::Tensor> p) {
    return std::make_unique<torch::optim::RMSprop>(p, torch::optim::RMSpropOptions(1e-3));
  };
}
OptimizerFactory adagrad() {
  return [](std::vector<torch::Tensor> p) {
    return std::make_unique<torch::optim::Adagrad>(p, torch::optim::AdagradOptions(1e-2));
  };
}

// One-cycle would add a momentum the optimizer does not have (PyTorch's
// OneCycleLR cycles SGD's and RMSprop's momentum from 0.85 even when it is 0):
// a user of these optimizers turns the cycling off.
Task without_momentum_cycling(Task task) {
  task.cycle_momentum = false;
  return task;
}

// Pre-norm residual blocks on a linear stem; without norm, each block's output
// is scaled by 1/sqrt(blocks) so a deep stack starts well-conditioned.
struct ResidualMlp : nn::Module {
  ResidualMlp(int64_t inputs, int64_t width, int64_t outputs, int blocks, bool layer_norm)
      : stem(register_module("stem", nn::Linear(inputs, width))),
        head(register_module("head", nn::Linear(width, outputs))),
        scale(layer_norm ? 1.0 : 1.0 / std::sqrt(static_cast<double>(blocks))) {
    for (int b = 0; b < blocks; ++b) {
      nn::Sequential block;
      if (layer_norm) block->push_back(nn::LayerNorm(nn::LayerNormOptions({width})));
      block->push_back(nn::Linear(width, width));
      block->push_back(nn::ReLU());
      block->push_back(nn::Linear(width, width));
      this->blocks.push_back(register_module("block" + std::to_string(b), block));
    }
  }
  torch::Tensor forward(const torch::Tensor& input) {
    auto x = torch::relu(stem->forward(input.flatten(1)));
    for (auto& block : blocks) x = x + scale * block->forward(x);
    return head->forward(x);
  }
  nn::Linear stem, head;
  std::vector<nn::Sequential> blocks;
  double scale;
};

// A stem conv and one residual block of two convs with BatchNorm, then pooling and a linear head.
struct ResidualCnn : nn::Module {
  explicit ResidualCnn(int64_t channels)
      : stem(register_module("stem", nn::Sequential(nn::Conv2d(nn::Conv2dOptions(1, channels, 3).padding(1)),
                                                    nn::BatchNorm2d(channels), nn::ReLU(), nn::MaxPool2d(2)))),
        block(register_module(
            "block", nn::Sequential(nn::Conv2d(nn::Conv2dOptions(channels, channels, 3).padding(1)),
                                    nn::BatchNorm2d(channels), nn::ReLU(),
                                    nn::Conv2d(nn::Conv2dOptions(channels, channels, 3).padding(1)),
                                    nn::BatchNorm2d(channels)))),
        head(register_module("head", nn::Linear(channels * 7 * 7, 10))) {}
  torch::Tensor forward(const torch::Tensor& input) {
    auto x = stem->forward(input);
    x = torch::max_pool2d(torch::relu(x + block->forward(x)), 2);
    return head->forward(x.flatten(1));
  }
  nn::Sequential stem, block;
  nn::Linear head;
};

// Two convs without normalisation.
nn::Sequential plain_cnn(int64_t c1, int64_t c2) {
  return nn::Sequential(nn::Conv2d(nn::Conv2dOptions(1, c1, 3).padding(1)), nn::ReLU(), nn::MaxPool2d(2),
                        nn::Conv2d(nn::Conv2dOptions(c1, c2, 3).padding(1)), nn::ReLU(), nn::MaxPool2d(2),
                        nn::Flatten(), nn::Linear(c2 * 7 * 7, 10));
}

// An image read as a sequence of its 28 rows by a GRU or an LSTM; the last step classifies.
struct RowRecurrent : nn::Module {
  RowRecurrent(bool lstm, int64_t hidden) : head(register_module("head", nn::Linear(hidden, 10))) {
    if (lstm)
      this->lstm = register_module("lstm", nn::LSTM(nn::LSTMOptions(28, hidden).batch_first(true)));
    else
      gru = register_module("gru", nn::GRU(nn::GRUOptions(28, hidden).batch_first(true)));
  }
  torch::Tensor forward(const torch::Tensor& images) {
    const auto rows = images.reshape({images.size(0), 28, 28});
    const auto out = lstm ? std::get<0>(lstm->forward(rows)) : std::get<0>(gru->forward(rows));
    return head->forward(out.select(1, 27));
  }
  nn::LSTM lstm{nullptr};
  nn::GRU gru{nullptr};
  nn::Linear head;
};

template <typename Model, typename... Args>
std::function<TaskRun()> module_run(uint64_t seed, OptimizerFactory optimizer, Args... args) {
  return [=] {
    torch::manual_seed(seed);
    auto model = std::make_shared<Model>(args...);
    TaskRun run;
    run.model = model;
    run.forward = [model](const Batch& b) { return model->forward(b.input); };
    run.optimizer = optimizer(model->parameters());
    return run;
  };
}

// --- A recurrent language model, pretrained, then fine-tuned in two stages ----

constexpr int64_t kVocabulary = 48, kSequence = 20;

// A first-order Markov chain over the vocabulary: each token prefers a few successors.
torch::Tensor markov_transitions(uint64_t seed) {
  torch::manual_seed(seed);
  const auto logits = torch::randn({kVocabulary, kVocabulary}) * 2.5;
  return torch::softmax(logits, 1);
}

// The target language: a third of the source's rows drawn anew.
torch::Tensor shifted_transitions(const torch::Tensor& source, uint64_t seed) {
  auto target = source.clone();
  const auto fresh = markov_transitions(seed);
  for (int64_t row = 0; row < kVocabulary; row += 3) target[row] = fresh[row];
  return target;
}

// `count` sequences of kSequence + 1 tokens: inputs are the first kSequence, targets the next ones.
Split sequences(const torch::Tensor& transitions, uint64_t seed, int64_t count, int64_t valid) {
  torch::manual_seed(seed);
  auto tokens = torch::empty({count + valid, kSequence + 1}, torch::kLong);
  auto current = torch::randint(0, kVocabulary, {count + valid}, torch::kLong);
  for (int64_t t = 0; t <= kSequence; ++t) {
    tokens.select(1, t).copy_(current);
    current = torch::multinomial(transitions.index_select(0, current), 1).squeeze(1);
  }
  const auto x = tokens.slice(1, 0, kSequence), y = tokens.slice(1, 1, kSequence + 1);
  return {x.slice(0, 0, count), y.slice(0, 0, count), x.slice(0, count), y.slice(0, count)};
}

struct RecurrentLm : nn::Module {
  RecurrentLm()
      : embedding(register_module("embedding", nn::Embedding(kVocabulary, 32))),
        gru(register_module("gru", nn::GRU(nn::GRUOptions(32, 64).batch_first(true)))),
        head(register_module("head", nn::Linear(64, kVocabulary))) {}
  torch::Tensor forward(const torch::Tensor& tokens) {
    return head->forward(std::get<0>(gru->forward(embedding->forward(tokens))));
  }
  std::vector<torch::Tensor> body_parameters() {
    auto p = embedding->parameters();
    for (const auto& g : gru->parameters()) p.push_back(g);
    return p;
  }
  nn::Embedding embedding;
  nn::GRU gru;
  nn::Linear head;
};

Trainer::BatchLossFunction next_token_loss() {
  return [](const torch::Tensor& output, const Batch& batch) {
    return nn::functional::cross_entropy(output.reshape({-1, kVocabulary}), batch.target.reshape({-1}));
  };
}

struct PretrainedLm {
  std::vector<torch::Tensor> weights;  ///< the body, and a new head after one frozen-body epoch on the target
};

void train_lm(RecurrentLm& model, torch::optim::Optimizer& optimizer, const Split& data, int64_t epochs) {
  auto module = std::shared_ptr<nn::Module>(&model, [](nn::Module*) {});
  Trainer trainer(
      module, [&model](const Batch& b) { return model.forward(b.input); }, optimizer, next_token_loss(),
      shuffled(data.train_x, data.train_y, 32), TrainerOptions().progress(false));
  trainer.fit(epochs);
}

PretrainedLm pretrain_lm(uint64_t seed, const Split& source, const Split& target) {
  PretrainedLm out;
  torch::manual_seed(seed);
  RecurrentLm model;
  torch::optim::Adam optimizer(model.parameters(), torch::optim::AdamOptions(3e-3));
  train_lm(model, optimizer, source, 3);
  torch::manual_seed(seed + 1);
  model.head = model.replace_module("head", nn::Linear(64, kVocabulary));
  for (auto& p : model.body_parameters()) p.set_requires_grad(false);
  torch::optim::Adam head_optimizer(model.head->parameters(), torch::optim::AdamOptions(3e-3));
  train_lm(model, head_optimizer, target, 1);
  for (auto& p : model.body_parameters()) p.set_requires_grad(true);
  out.weights = cloned_parameters(model);
  return out;
}

// The target stage of the language model: `unfrozen` trains every layer with
// the body in a first param group and the head in a second (for a
// discriminative slice), else a new head on the frozen body.
std::function<TaskRun()> lm_run(uint64_t seed, std::shared_ptr<PretrainedLm> pretrained, bool unfrozen,
                                OptimizerFactory optimizer) {
  return [=] {
    torch::manual_seed(seed + 2);
    auto model = std::make_shared<RecurrentLm>();
    copy_parameters(*model, pretrained->weights);
    if (!unfrozen) {
      model->head = model->replace_module("head", nn::Linear(64, kVocabulary));
      for (auto& p : model->body_parameters()) p.set_requires_grad(false);
    }
    TaskRun run;
    run.model = model;
    run.forward = [model](const Batch& b) { return model->forward(b.input); };
    if (unfrozen) {
      run.optimizer = optimizer(model->body_parameters());
      run.optimizer->add_param_group(torch::optim::OptimizerParamGroup(model->head->parameters()));
    } else {
      run.optimizer = optimizer(model->head->parameters());
    }
    return run;
  };
}

Task language_model(std::string name, Half half, std::string description, const Split& data,
                    std::function<TaskRun()> start) {
  Task t = classification(std::move(name), half, std::move(description), data, 32, std::move(start));
  t.loss = next_token_loss();
  t.metric.reset();
  t.epochs = 2;
  return t;
}

Task with_epochs(Task task, int64_t epochs) {
  task.epochs = epochs;
  return task;
}

}  // namespace

void add_second_corpus(std::vector<Task>& tasks) {
  const Half D = Half::SecondDesign, H = Half::SecondHeldOut;
  const Split fm4 = fashion_subset(4, 6000, 2000), fm5 = fashion_subset(5, 6000, 2000);
  const auto mlp_run = [](uint64_t seed, std::vector<int64_t> widths, OptimizerFactory optimizer,
                          std::string activation = "relu") {
    return sequential_run(
        seed, [=] { return mlp(widths, activation); }, std::move(optimizer));
  };

  // Language-model stages: source and target chains, pretrained once per half.
  const torch::Tensor source_chain = markov_transitions(41), target_chain = shifted_transitions(source_chain, 42);
  const Split lm_source = sequences(source_chain, 43, 3000, 500), lm_target = sequences(target_chain, 44, 3000, 500);
  auto lm_design = std::make_shared<PretrainedLm>(pretrain_lm(45, lm_source, lm_target));
  auto lm_held_out = std::make_shared<PretrainedLm>(pretrain_lm(46, lm_source, lm_target));

  // --- Design part -------------------------------------------------------------
  tasks.push_back(without_momentum_cycling(
      classification("s-mlp-sgd-no-momentum", D, "Fashion-MNIST, MLP 784-128-10, SGD without momentum, batch 64", fm4,
                     64, mlp_run(21, {784, 128, 10}, sgd_without_momentum()))));
  tasks.push_back(without_momentum_cycling(classification("s-mlp-rmsprop", D, "Fashion-MNIST, MLP 784-128-10, RMSprop",
                                                          fm4, 64, mlp_run(21, {784, 128, 10}, rmsprop()))));
  tasks.push_back(without_momentum_cycling(
      bag_task("s-embedding-bag-adagrad", D, 21, 1200, 5, adagrad(), "Adagrad")));
  tasks.push_back(classification("s-residual-mlp-sgd", D,
                                 "Fashion-MNIST, residual MLP (stem 96, 3 pre-LayerNorm blocks), SGD momentum", fm4, 64,
                                 module_run<ResidualMlp>(21, sgd(), 784, 96, 10, 3, true)));
  tasks.push_back(with_epochs(classification("s-gru-rows-adam", D,
                                             "Fashion-MNIST (3000 images) read row by row, GRU 48, Adam",
                                             first_train(fm4, 3000), 64, module_run<RowRecurrent>(21, adam(), false, 48)),
                              2));
  Task tabular = regression("s-regression-sgd-batch16", D,
                            "20 features, random tanh teacher + noise, MLP 20-64-1, MSE, SGD momentum, batch 16",
                            teacher_regression(21, false), mlp_run(21, {20, 64, 1}, sgd()), 16);
  tabular.epochs = 2;
  tasks.push_back(std::move(tabular));
  tasks.push_back(with_epochs(classification("s-mlp-adam-batch512-long", D,
                                             "Fashion-MNIST, MLP 784-128-10, Adam, batch 512, 12 epochs", fm4, 512,
                                             mlp_run(21, {784, 128, 10}, adam())),
                              12));
  tasks.push_back(with_epochs(classification("s-mlp-sgd-one-epoch", D, "Fashion-MNIST, MLP 784-128-10, SGD momentum, 1 epoch",
                                             fm4, 64, mlp_run(22, {784, 128, 10}, sgd())),
                              1));
  Task lm_unfrozen = language_model(
      "s-lm-unfrozen-adam-slice", D,
      "recurrent language model (Embedding 32, GRU 64) pretrained on one Markov chain, every layer fine-tuned on "
      "another after a head epoch, Adam, body at max_lr/10",
      lm_target, lm_run(45, lm_design, true, adam()));
  lm_unfrozen.group_ratio = 10;
  tasks.push_back(std::move(lm_unfrozen));

  // --- Held-out part -----------------------------------------------------------
  tasks.push_back(without_momentum_cycling(classification(
      "s-mlp-sgd-no-momentum-wide", H, "Fashion-MNIST, MLP 784-256-10, SGD without momentum, batch 32", fm5, 32,
      mlp_run(31, {784, 256, 10}, sgd_without_momentum()))));
  tasks.push_back(with_epochs(classification("s-cnn-no-norm-sgd", H,
                                             "Fashion-MNIST (2000 images), CNN 8-16 channels without normalisation, SGD "
                                             "momentum",
                                             first_train(fm5, 2000), 64,
                                             sequential_run(
                                                 31, [] { return plain_cnn(8, 16); }, sgd())),
                              2));
  tasks.push_back(without_momentum_cycling(with_epochs(
      classification("s-cnn-bn-rmsprop", H, "Fashion-MNIST (2000 images), CNN 8-16 channels with BatchNorm, RMSprop",
                     first_train(fm5, 2000), 64,
                     sequential_run(
                         31, [] { return small_cnn(8, 16, false); }, rmsprop())),
      2)));
  tasks.push_back(classification("s-residual-mlp-adamw", H,
                                 "Fashion-MNIST, residual MLP (stem 128, 2 pre-LayerNorm blocks), AdamW", fm5, 64,
                                 module_run<ResidualMlp>(31, adamw(), 784, 128, 10, 2, true)));
  tasks.push_back(with_epochs(
      classification("s-residual-cnn-bn-sgd", H,
                     "Fashion-MNIST (2000 images), residual CNN (16 channels, one block, BatchNorm), SGD momentum",
                     first_train(fm5, 2000), 64, module_run<ResidualCnn>(31, sgd(), 16)),
      2));
  tasks.push_back(without_momentum_cycling(with_epochs(
      classification("s-lstm-rows-rmsprop", H, "Fashion-MNIST (3000 images) read row by row, LSTM 32, RMSprop",
                     first_train(fm5, 3000), 64, module_run<RowRecurrent>(31, rmsprop(), true, 32)),
      2)));
  tasks.push_back(with_epochs(classification("s-gru-rows-sgd", H,
                                             "Fashion-MNIST (3000 images) read row by row, GRU 48, SGD momentum",
                                             first_train(fm5, 3000), 64, module_run<RowRecurrent>(31, sgd(), false, 48)),
                              2));
  tasks.push_back(without_momentum_cycling(
      bag_task("s-embedding-bag-adagrad-large", H, 31, 3000, 10, adagrad(), "Adagrad")));
  tasks.push_back(bag_task("s-embedding-bag-rmsprop", H, 32, 2000, 6, rmsprop(), "RMSprop"));
  tasks.back() = without_momentum_cycling(tasks.back());
  tasks.push_back(classification("s-imbalanced-long-tail-adamw", H,
                                 "Fashion-MNIST, class c keeps 0.4^c of its images, MLP 784-96-10, AdamW",
                                 long_tailed(fm5, 0.4), 64, mlp_run(31, {784, 96, 10}, adamw())));
  tasks.push_back(classification("s-imbalanced-binary-sgd", H,
                                 "Fashion-MNIST, sneakers against the rest, sneakers 2% of the images, MLP 784-32-2, "
                                 "SGD momentum",
                                 one_against_rest(fm5, 7, 0.02), 64, mlp_run(31, {784, 32, 2}, sgd())));
  tasks.push_back(without_momentum_cycling(regression("s-regression-sines-sgd-no-momentum", H,
                                                      "20 features, y = sum of sines + noise, MLP 20-64-64-1, MSE, SGD "
                                                      "without momentum",
                                                      teacher_regression(31, true),
                                                      mlp_run(31, {20, 64, 64, 1}, sgd_without_momentum()))));
  Task big_batch_regression = without_momentum_cycling(
      regression("s-regression-rmsprop-batch256", H,
                 "20 features, random tanh teacher + noise, MLP 20-64-64-1, MSE, RMSprop, batch 256, 10 epochs",
                 teacher_regression(32, false), mlp_run(32, {20, 64, 64, 1}, rmsprop()), 256));
  big_batch_regression.epochs = 10;
  tasks.push_back(std::move(big_batch_regression));

  const Split source = class_range(fm5, 0, 5), target = class_range(fm5, 5, 10);
  auto weights = std::make_shared<Pretrained>(pretrain(31, 128, source, target));
  tasks.push_back(without_momentum_cycling(
      classification("s-head-frozen-rmsprop", H,
                     "Fashion-MNIST classes 5-9, new head on a body pretrained on classes 0-4, body frozen, RMSprop",
                     target, 64, transfer_run(31, 128, weights, false, rmsprop()))));
  Task unfrozen_slice = classification("s-unfrozen-sgd-slice", H,
                                       "the same after one epoch of the head: every layer trained, SGD momentum, body "
                                       "at max_lr/10",
                                       target, 64, transfer_run(31, 128, weights, true, sgd(), true));
  unfrozen_slice.group_ratio = 10;
  tasks.push_back(std::move(unfrozen_slice));
  tasks.push_back(language_model("s-lm-head-frozen-adamw", H,
                                 "recurrent language model pretrained on one Markov chain, new head on the frozen body "
                                 "for another, AdamW",
                                 lm_target, lm_run(46, lm_held_out, false, adamw())));
  Task lm_unfrozen_sgd = language_model(
      "s-lm-unfrozen-sgd-slice", H,
      "the same language model, every layer fine-tuned after a head epoch, SGD momentum, body at max_lr/10", lm_target,
      lm_run(46, lm_held_out, true, sgd()));
  lm_unfrozen_sgd.group_ratio = 10;
  tasks.push_back(std::move(lm_unfrozen_sgd));
  tasks.push_back(with_epochs(classification("s-mlp-adam-batch8", H,
                                             "Fashion-MNIST (2000 images), batch size 8, MLP 784-64-10, Adam, 1 epoch",
                                             first_train(fm5, 2000), 8, mlp_run(31, {784, 64, 10}, adam())),
                              1));
  tasks.push_back(with_epochs(classification("s-mlp-sgd-batch1024-long", H,
                                             "Fashion-MNIST, MLP 784-128-10, SGD momentum, batch 1024, 20 epochs", fm5,
                                             1024, mlp_run(32, {784, 128, 10}, sgd())),
                              20));
  tasks.push_back(with_epochs(classification("s-mlp-adamw-one-epoch", H,
                                             "Fashion-MNIST, MLP 784-100-10 tanh, AdamW, 1 epoch", fm5, 64,
                                             mlp_run(33, {784, 100, 10}, adamw(), "tanh")),
                              1));
  tasks.push_back(without_momentum_cycling(classification(
      "s-deep-residual-mlp-sgd-no-momentum", H,
      "Fashion-MNIST, residual MLP (stem 64, 8 blocks without normalisation), SGD without momentum", fm5, 64,
      module_run<ResidualMlp>(31, sgd_without_momentum(), 784, 64, 10, 8, false))));
}

}  // namespace autolr::quality
