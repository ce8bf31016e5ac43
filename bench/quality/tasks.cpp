#include "tasks.h"

#include <cmath>
#include <map>

#include "demo/fashion_mnist.h"

namespace autolr::quality {
namespace {

namespace nn = torch::nn;

std::shared_ptr<BatchSource> shuffled(const torch::Tensor& x, const torch::Tensor& y, int64_t batch) {
  return std::make_shared<ShuffledBatches>(x, y, batch);
}

std::shared_ptr<BatchSource> in_order(const torch::Tensor& x, const torch::Tensor& y) {
  return batches(split_into_batches(x, y, 500));
}

Trainer::BatchLossFunction cross_entropy() {
  return [](const torch::Tensor& output, const Batch& batch) {
    return nn::functional::cross_entropy(output, batch.target);
  };
}

Trainer::BatchLossFunction mse() {
  return [](const torch::Tensor& output, const Batch& batch) {
    return nn::functional::mse_loss(output.squeeze(1), batch.target);
  };
}

// --- Data -------------------------------------------------------------------

struct Split {
  torch::Tensor train_x, train_y, valid_x, valid_y;
};

const ImageDataset& fashion_mnist_train() {
  static const ImageDataset data = [] {
    ImageDataset d = read_fashion_mnist();
    d.images = (d.images - 0.286) / 0.353;  // the training set's mean and std
    return d;
  }();
  return data;
}

// A random subset of Fashion-MNIST's training file: n_train + n_valid distinct images.
Split fashion_subset(uint64_t seed, int64_t n_train, int64_t n_valid) {
  const ImageDataset& all = fashion_mnist_train();
  torch::manual_seed(seed);
  const auto order = torch::randperm(all.images.size(0), torch::kLong);
  const auto train = order.slice(0, 0, n_train), valid = order.slice(0, n_train, n_train + n_valid);
  return {all.images.index_select(0, train), all.labels.index_select(0, train), all.images.index_select(0, valid),
          all.labels.index_select(0, valid)};
}

// `pick(x, y) -> (x', y')` applied to the training and the validation part alike.
template <typename Pick>
Split each_part(const Split& split, Pick pick) {
  auto [tx, ty] = pick(split.train_x, split.train_y);
  auto [vx, vy] = pick(split.valid_x, split.valid_y);
  return {tx, ty, vx, vy};
}

// Images of the classes in [first, last), labels shifted to start at 0.
Split class_range(const Split& split, int64_t first, int64_t last) {
  return each_part(split, [&](const torch::Tensor& x, const torch::Tensor& y) {
    const auto keep = y.ge(first).logical_and(y.lt(last)).nonzero().squeeze(1);
    return std::make_pair(x.index_select(0, keep), y.index_select(0, keep) - first);
  });
}

// Class c keeps a fraction decay^c of its images: a long tail of rare classes.
Split long_tailed(const Split& split, double decay) {
  return each_part(split, [&](const torch::Tensor& x, const torch::Tensor& y) {
    std::vector<torch::Tensor> keep;
    for (int64_t c = 0; c < 10; ++c) {
      const auto of_class = y.eq(c).nonzero().squeeze(1);
      const auto n = std::max<int64_t>(4, static_cast<int64_t>(of_class.size(0) * std::pow(decay, c)));
      keep.push_back(of_class.slice(0, 0, n));
    }
    const auto index = torch::cat(keep);
    return std::make_pair(x.index_select(0, index), y.index_select(0, index));
  });
}

// One class against the rest, the class kept at `fraction` of the examples.
Split one_against_rest(const Split& split, int64_t positive, double fraction) {
  return each_part(split, [&](const torch::Tensor& x, const torch::Tensor& y) {
    const auto pos = y.eq(positive).nonzero().squeeze(1), neg = y.ne(positive).nonzero().squeeze(1);
    const auto n_pos = static_cast<int64_t>(neg.size(0) * fraction / (1 - fraction));
    const auto index = torch::cat({pos.slice(0, 0, n_pos), neg});
    return std::make_pair(x.index_select(0, index), y.index_select(0, index).eq(positive).to(torch::kLong));
  });
}

// y = teacher(x) + noise for a random teacher network.
Split teacher_regression(uint64_t seed, bool sines) {
  torch::manual_seed(seed);
  const auto x = torch::randn({5000, 20});
  torch::Tensor y;
  if (sines) {
    const auto w = torch::randn({20}) * 1.5;
    y = torch::sin(x * w).sum(1) / std::sqrt(20.0);
  } else {
    nn::Sequential teacher(nn::Linear(20, 32), nn::Tanh(), nn::Linear(32, 1));
    torch::NoGradGuard no_grad;
    y = teacher->forward(x).squeeze(1);
    y = (y - y.mean()) / y.std();
  }
  y = y + 0.1 * torch::randn({5000});
  return {x.slice(0, 0, 4000), y.slice(0, 0, 4000), x.slice(0, 4000), y.slice(0, 4000)};
}

// Synthetic documents: each class favours its own slice of the vocabulary.
std::vector<Batch> documents(int64_t count, int64_t size, int64_t vocabulary, int64_t classes) {
  std::vector<Batch> out;
  for (int64_t b = 0; b < count; ++b) {
    const auto labels = torch::randint(0, classes, {size}, torch::kLong);
    std::vector<torch::Tensor> tokens;
    std::vector<int64_t> offsets;
    int64_t position = 0;
    for (int64_t d = 0; d < size; ++d) {
      const int64_t length = torch::randint(5, 40, {1}).item<int64_t>();
      const int64_t label = labels[d].item<int64_t>();
      const int64_t own_count = length / 4;
      auto own = torch::randint(label * vocabulary / classes, (label + 1) * vocabulary / classes, {own_count});
      auto any = torch::randint(0, vocabulary, {length - own_count});
      tokens.push_back(torch::cat({own, any}).to(torch::kLong));
      offsets.push_back(position);
      position += length;
    }
    Batch batch;
    batch.inputs["tokens"] = torch::cat(tokens);
    batch.inputs["offsets"] = torch::tensor(offsets, torch::kLong);
    batch.target = labels;
    out.push_back(std::move(batch));
  }
  return out;
}

// --- Models and optimizers --------------------------------------------------

using OptimizerFactory = std::function<std::unique_ptr<torch::optim::Optimizer>(std::vector<torch::Tensor>)>;

OptimizerFactory sgd(double weight_decay = 0) {
  return [=](std::vector<torch::Tensor> p) {
    return std::make_unique<torch::optim::SGD>(p,
                                               torch::optim::SGDOptions(1e-3).momentum(0.9).weight_decay(weight_decay));
  };
}
OptimizerFactory adam() {
  return [](std::vector<torch::Tensor> p) {
    return std::make_unique<torch::optim::Adam>(p, torch::optim::AdamOptions(1e-3));
  };
}
OptimizerFactory adamw(double weight_decay = 1e-2) {
  return [=](std::vector<torch::Tensor> p) {
    return std::make_unique<torch::optim::AdamW>(p, torch::optim::AdamWOptions(1e-3).weight_decay(weight_decay));
  };
}

// A plain feed-forward net: Linear layers of `widths` with `activation` between.
nn::Sequential mlp(const std::vector<int64_t>& widths, const std::string& activation = "relu") {
  nn::Sequential net;
  net->push_back(nn::Flatten());
  for (std::size_t i = 0; i + 1 < widths.size(); ++i) {
    net->push_back(nn::Linear(widths[i], widths[i + 1]));
    if (i + 2 < widths.size()) {
      if (activation == "tanh")
        net->push_back(nn::Tanh());
      else
        net->push_back(nn::ReLU());
    }
  }
  return net;
}

nn::Sequential small_cnn(int64_t c1, int64_t c2, bool average_pool) {
  auto pool = [&]() -> nn::AnyModule {
    if (average_pool) return nn::AnyModule(nn::AvgPool2d(2));
    return nn::AnyModule(nn::MaxPool2d(2));
  };
  nn::Sequential net(nn::Conv2d(nn::Conv2dOptions(1, c1, 3).padding(1)), nn::BatchNorm2d(c1), nn::ReLU());
  net->push_back(pool());
  net->push_back(nn::Conv2d(nn::Conv2dOptions(c1, c2, 3).padding(1)));
  net->push_back(nn::BatchNorm2d(c2));
  net->push_back(nn::ReLU());
  net->push_back(pool());
  net->push_back(nn::Flatten());
  net->push_back(nn::Linear(c2 * 7 * 7, 10));
  return net;
}

// A run whose model is built by `build` under a fixed seed, all parameters trained.
std::function<TaskRun()> sequential_run(uint64_t seed, std::function<nn::Sequential()> build,
                                        OptimizerFactory optimizer) {
  return [=] {
    torch::manual_seed(seed);
    nn::Sequential net = build();
    TaskRun run;
    run.model = net.ptr();
    run.forward = [m = net.ptr()](const Batch& b) { return m->forward(b.input); };
    run.optimizer = optimizer(net->parameters());
    return run;
  };
}

void copy_parameters(nn::Module& to, const std::vector<torch::Tensor>& from) {
  torch::NoGradGuard no_grad;
  auto params = to.parameters();
  for (std::size_t i = 0; i < params.size(); ++i) params[i].copy_(from[i]);
}

std::vector<torch::Tensor> cloned_parameters(nn::Module& module) {
  std::vector<torch::Tensor> out;
  for (const auto& p : module.parameters()) out.push_back(p.detach().clone());
  return out;
}

// A body 784-width-64 trained on classes 0-4 with its own head, then a new
// 64-5 head for classes 5-9: the transfer-learning pair of stages.
struct Pretrained {
  std::vector<torch::Tensor> body;
  std::vector<torch::Tensor> head_after_frozen_epoch;  // the head after one frozen-body epoch
};

nn::Sequential transfer_body(int64_t width) {
  return nn::Sequential(nn::Flatten(), nn::Linear(784, width), nn::ReLU(), nn::Linear(width, 64), nn::ReLU());
}

// A module holding `body` then `head`, for the Trainer's snapshots.
std::shared_ptr<nn::Module> stacked(const nn::Sequential& body, const nn::Linear& head) {
  auto both = std::make_shared<nn::Module>();
  both->register_module("body", body.ptr());
  both->register_module("head", head.ptr());
  return both;
}

Pretrained pretrain(uint64_t seed, int64_t width, const Split& source, const Split& target) {
  Pretrained out;
  torch::manual_seed(seed);
  nn::Sequential body = transfer_body(width);
  nn::Linear source_head(64, 5);
  torch::optim::SGD optimizer(stacked(body, source_head)->parameters(), torch::optim::SGDOptions(0.05).momentum(0.9));
  Trainer trainer(
      stacked(body, source_head),
      [b = body.ptr(), h = source_head.ptr()](const Batch& batch) { return h->forward(b->forward(batch.input)); },
      optimizer, cross_entropy(), shuffled(source.train_x, source.train_y, 64), TrainerOptions().progress(false));
  trainer.fit(3);
  out.body = cloned_parameters(*body);

  // One epoch of the new head alone, at a fixed LR, as a first stage would.
  nn::Linear head(64, 5);
  for (auto& p : body->parameters()) p.set_requires_grad(false);
  torch::optim::Adam head_optimizer(head->parameters(), torch::optim::AdamOptions(1e-3));
  Trainer head_trainer(
      stacked(body, head),
      [b = body.ptr(), h = head.ptr()](const Batch& batch) { return h->forward(b->forward(batch.input)); },
      head_optimizer, cross_entropy(), shuffled(target.train_x, target.train_y, 64), TrainerOptions().progress(false));
  head_trainer.fit(1);
  out.head_after_frozen_epoch = cloned_parameters(*head);
  return out;
}

// Builds body + head at the pretrained weights; `unfrozen` trains all, else the head only.
std::function<TaskRun()> transfer_run(uint64_t seed, int64_t width, std::shared_ptr<Pretrained> weights, bool unfrozen,
                                      OptimizerFactory optimizer) {
  return [=] {
    torch::manual_seed(seed + 100);
    nn::Sequential net = transfer_body(width);
    copy_parameters(*net, weights->body);
    nn::Linear head(64, 5);
    if (unfrozen) copy_parameters(*head, weights->head_after_frozen_epoch);
    net->push_back(head);
    TaskRun run;
    run.model = net.ptr();
    run.forward = [m = net.ptr()](const Batch& b) { return m->forward(b.input); };
    if (!unfrozen)
      for (auto& p : net->parameters()) p.set_requires_grad(false);
    for (auto& p : head->parameters()) p.set_requires_grad(true);
    run.optimizer = optimizer(unfrozen ? net->parameters() : head->parameters());
    return run;
  };
}

struct Bag : nn::Module {
  Bag(int64_t vocabulary, int64_t classes)
      : bag(register_module("bag", nn::EmbeddingBag(nn::EmbeddingBagOptions(vocabulary, 32).mode(torch::kMean)))),
        head(register_module("head", nn::Linear(32, classes))) {}
  nn::EmbeddingBag bag;
  nn::Linear head;
};

std::function<TaskRun()> bag_run(uint64_t seed, int64_t vocabulary, int64_t classes, OptimizerFactory optimizer) {
  return [=] {
    torch::manual_seed(seed);
    auto model = std::make_shared<Bag>(vocabulary, classes);
    TaskRun run;
    run.model = model;
    run.forward = [model](const Batch& b) {
      return model->head(model->bag(b.inputs.at("tokens"), b.inputs.at("offsets")));
    };
    run.optimizer = optimizer(model->parameters());
    return run;
  };
}

LRFinderOptions range(double end_lr = 10.0) { return LRFinderOptions().end_lr(end_lr).progress(false); }

Task classification(std::string name, Half half, std::string description, const Split& data, int64_t batch,
                    std::function<TaskRun()> start) {
  Task t;
  t.name = std::move(name);
  t.half = half;
  t.description = std::move(description);
  t.range_test = range();
  t.loss = cross_entropy();
  t.metric = accuracy();
  t.train = shuffled(data.train_x, data.train_y, batch);
  t.valid = in_order(data.valid_x, data.valid_y);
  t.start = std::move(start);
  return t;
}

Task regression(std::string name, Half half, std::string description, const Split& data,
                std::function<TaskRun()> start) {
  Task t = classification(std::move(name), half, std::move(description), data, 64, std::move(start));
  t.loss = mse();
  t.metric.reset();
  return t;
}

Task bag_task(std::string name, Half half, uint64_t seed, int64_t vocabulary, int64_t classes,
              OptimizerFactory optimizer, const std::string& optimizer_name) {
  torch::manual_seed(seed);
  Task bag;
  bag.name = std::move(name);
  bag.half = half;
  bag.description = "synthetic documents, vocabulary " + std::to_string(vocabulary) + ", " + std::to_string(classes) +
                    " classes, EmbeddingBag(32, mean) + linear, " + optimizer_name;
  bag.range_test = range();
  bag.loss = cross_entropy();
  bag.metric = accuracy();
  bag.train = batches(documents(60, 32, vocabulary, classes));
  bag.valid = batches(documents(8, 250, vocabulary, classes));
  bag.start = bag_run(seed, vocabulary, classes, std::move(optimizer));
  return bag;
}

// Widths of a deep plain net: 784, `layers` hidden layers of `width`, 10.
std::vector<int64_t> deep_widths(int layers, int64_t width) {
  std::vector<int64_t> w{784};
  for (int i = 0; i < layers; ++i) w.push_back(width);
  w.push_back(10);
  return w;
}

OptimizerFactory nesterov() {
  return [](std::vector<torch::Tensor> p) {
    return std::make_unique<torch::optim::SGD>(p, torch::optim::SGDOptions(1e-3).momentum(0.9).nesterov(true));
  };
}

// The fresh held-out set: recorded after auto was fixed and scored once.
// Other seeds, widths, optimizers and batch sizes than the two halves above.
void add_fresh_held_out(std::vector<Task>& tasks) {
  const Half F = Half::FreshHeldOut;
  const Split data = fashion_subset(3, 6000, 2000);
  const uint64_t seed = 13;
  tasks.push_back(classification("fresh-mlp-nesterov", F, "Fashion-MNIST, MLP 784-100-10, SGD Nesterov, batch 128",
                                 data, 128,
                                 sequential_run(
                                     seed,
                                     [] {
                                       return mlp({784, 100, 10});
                                     },
                                     nesterov())));
  tasks.push_back(classification("fresh-mlp-adamw", F, "Fashion-MNIST, MLP 784-128-64-10, AdamW weight decay 0.05",
                                 data, 64,
                                 sequential_run(
                                     seed,
                                     [] {
                                       return mlp({784, 128, 64, 10});
                                     },
                                     adamw(0.05))));
  Task cnn = classification(
      "fresh-cnn-bn-sgd", F, "Fashion-MNIST (3000 images), CNN 8-16 channels with BatchNorm, max-pool, SGD momentum",
      Split{data.train_x.slice(0, 0, 3000), data.train_y.slice(0, 0, 3000), data.valid_x, data.valid_y}, 64,
      sequential_run(
          seed, [] { return small_cnn(8, 16, false); }, sgd()));
  cnn.epochs = 2;
  tasks.push_back(std::move(cnn));
  tasks.push_back(classification("fresh-imbalanced-adam", F,
                                 "Fashion-MNIST, class c keeps 0.6^c of its images, MLP 784-128-10, Adam",
                                 long_tailed(data, 0.6), 64,
                                 sequential_run(
                                     seed,
                                     [] {
                                       return mlp({784, 128, 10});
                                     },
                                     adam())));
  tasks.push_back(regression("fresh-regression-adam", F,
                             "20 features, y = random tanh teacher + noise, MLP 20-32-32-1, MSE, Adam",
                             teacher_regression(seed, false),
                             sequential_run(
                                 seed,
                                 [] {
                                   return mlp({20, 32, 32, 1});
                                 },
                                 adam())));
  const Split source = class_range(data, 0, 5), target = class_range(data, 5, 10);
  auto weights = std::make_shared<Pretrained>(pretrain(seed, 160, source, target));
  tasks.push_back(classification("fresh-head-frozen-adamw", F,
                                 "Fashion-MNIST classes 5-9, new head on a body pretrained on classes 0-4, body "
                                 "frozen, AdamW",
                                 target, 64, transfer_run(seed, 160, weights, false, adamw(0.01))));
  tasks.push_back(classification("fresh-unfrozen-adamw", F,
                                 "the same after one epoch of the head: every layer trained, AdamW", target, 64,
                                 transfer_run(seed, 160, weights, true, adamw(0.01))));
  Task noisy = classification(
      "fresh-noisy-batch8-sgd", F, "Fashion-MNIST (2000 images), batch size 8, MLP 784-32-10, SGD",
      Split{data.train_x.slice(0, 0, 2000), data.train_y.slice(0, 0, 2000), data.valid_x, data.valid_y}, 8,
      sequential_run(
          seed,
          [] {
            return mlp({784, 32, 10});
          },
          sgd()));
  noisy.epochs = 1;
  tasks.push_back(std::move(noisy));
  Task short_range =
      classification("fresh-short-range-sgd", F,
                     "Fashion-MNIST, MLP 784-64-10, SGD, range test ending at 2e-2 (before the blow-up)", data, 64,
                     sequential_run(
                         seed,
                         [] {
                           return mlp({784, 64, 10});
                         },
                         sgd()));
  short_range.range_test.end_lr(2e-2);
  tasks.push_back(std::move(short_range));
  tasks.push_back(classification("fresh-deep-no-norm-adam", F,
                                 "Fashion-MNIST, 8 linear layers of 96, ReLU, no normalisation, Adam", data, 64,
                                 sequential_run(
                                     seed, [] { return mlp(deep_widths(8, 96)); }, adam())));
  tasks.push_back(bag_task("fresh-embedding-bag-adamw", F, seed, 1500, 6, adamw(0.01), "AdamW"));
}

}  // namespace

std::string to_string(Half half) {
  switch (half) {
    case Half::Design:
      return "design";
    case Half::HeldOut:
      return "held-out";
    case Half::FreshHeldOut:
      break;
  }
  return "fresh-held-out";
}

std::vector<Task> all_tasks() {
  std::vector<Task> tasks;
  const Half D = Half::Design, H = Half::HeldOut;
  const Split fm1 = fashion_subset(1, 6000, 2000), fm2 = fashion_subset(2, 6000, 2000);

  for (const auto& [half, data, seed] : {std::tuple{D, fm1, 11}, std::tuple{H, fm2, 12}}) {
    const bool design = half == D;
    tasks.push_back(
        classification(design ? "mlp-sgd" : "mlp-sgd-wide", half,
                       design ? "Fashion-MNIST, MLP 784-128-10, SGD momentum 0.9"
                              : "Fashion-MNIST, MLP 784-256-64-10, SGD momentum 0.9, weight decay 5e-4",
                       data, 64,
                       sequential_run(
                           seed, design ? [] { return mlp({784, 128, 10}); } : [] { return mlp({784, 256, 64, 10}); },
                           sgd(design ? 0 : 5e-4))));
    tasks.push_back(classification(
        design ? "mlp-adam" : "mlp-adam-tanh", half,
        design ? "Fashion-MNIST, MLP 784-128-10, Adam" : "Fashion-MNIST, MLP 784-200-100-10 tanh, Adam", data, 64,
        sequential_run(
            seed, design ? [] { return mlp({784, 128, 10}); } : [] { return mlp({784, 200, 100, 10}, "tanh"); },
            adam())));
    Task cnn = classification(
        design ? "cnn-bn-adamw" : "cnn-bn-adamw-avgpool", half,
        design ? "Fashion-MNIST (3000 images), CNN 8-16 channels with BatchNorm, max-pool, AdamW"
               : "Fashion-MNIST (3000 images), CNN 12-24 channels with BatchNorm, average-pool, AdamW",
        Split{data.train_x.slice(0, 0, 3000), data.train_y.slice(0, 0, 3000), data.valid_x, data.valid_y}, 64,
        sequential_run(
            seed, design ? [] { return small_cnn(8, 16, false); } : [] { return small_cnn(12, 24, true); }, adamw()));
    cnn.epochs = 2;
    tasks.push_back(std::move(cnn));
    if (design) {
      tasks.push_back(
          classification("imbalanced-long-tail", half,
                         "Fashion-MNIST, class c keeps 0.5^c of its images (class 0: 50%), MLP 784-64-10, SGD",
                         long_tailed(data, 0.5), 64,
                         sequential_run(
                             seed,
                             [] {
                               return mlp({784, 64, 10});
                             },
                             sgd())));
    } else {
      tasks.push_back(classification("imbalanced-binary", half,
                                     "Fashion-MNIST, bags against the rest, bags 3% of the images, MLP 784-32-2, Adam",
                                     one_against_rest(data, 8, 0.03), 64,
                                     sequential_run(
                                         seed,
                                         [] {
                                           return mlp({784, 32, 2});
                                         },
                                         adam())));
    }
    tasks.push_back(
        regression(design ? "regression-teacher" : "regression-sines", half,
                   design ? "20 features, y = random tanh teacher + noise, MLP 20-64-64-1, MSE, SGD"
                          : "20 features, y = sum of sines + noise, MLP 20-128-1, MSE, Adam",
                   teacher_regression(seed, !design),
                   sequential_run(
                       seed, design ? [] { return mlp({20, 64, 64, 1}); } : [] { return mlp({20, 128, 1}); },
                       design ? sgd() : adam())));

    // Transfer: pretrained on classes 0-4, then classes 5-9.
    const Split source = class_range(data, 0, 5), target = class_range(data, 5, 10);
    const int64_t width = design ? 128 : 192;
    auto weights = std::make_shared<Pretrained>(pretrain(seed, width, source, target));
    tasks.push_back(
        classification(design ? "head-frozen-adam" : "head-frozen-sgd", half,
                       "Fashion-MNIST classes 5-9, new head on a body pretrained on classes 0-4, body frozen", target,
                       64, transfer_run(seed, width, weights, false, design ? adam() : sgd())));
    tasks.push_back(classification(design ? "unfrozen-adam" : "unfrozen-sgd", half,
                                   "the same after one epoch of the head: every layer trained", target, 64,
                                   transfer_run(seed, width, weights, true, design ? adam() : sgd())));

    Task noisy = classification(
        design ? "noisy-batch4-sgd" : "noisy-batch4-adam", half,
        "Fashion-MNIST (2000 images), batch size 4, MLP 784-64-10, " + std::string(design ? "SGD" : "Adam"),
        Split{data.train_x.slice(0, 0, 2000), data.train_y.slice(0, 0, 2000), data.valid_x, data.valid_y}, 4,
        sequential_run(
            seed,
            [] {
              return mlp({784, 64, 10});
            },
            design ? sgd() : adam()));
    noisy.epochs = 1;
    tasks.push_back(std::move(noisy));

    Task short_range =
        classification(design ? "short-range-sgd" : "short-range-adam", half,
                       design ? "Fashion-MNIST, MLP 784-128-10, SGD, range test ending at 1e-2 (before the blow-up)"
                              : "Fashion-MNIST, MLP 784-128-10, Adam, range test ending at 1e-3 (before the blow-up)",
                       data, 64,
                       sequential_run(
                           seed + 10,
                           [] {
                             return mlp({784, 128, 10});
                           },
                           design ? sgd() : adam()));
    short_range.range_test.end_lr(design ? 1e-2 : 1e-3);
    tasks.push_back(std::move(short_range));

    tasks.push_back(classification(
        design ? "deep-no-norm-relu" : "deep-no-norm-tanh", half,
        design ? "Fashion-MNIST, 12 linear layers of 64, ReLU, no normalisation, SGD"
               : "Fashion-MNIST, 16 linear layers of 48, tanh, no normalisation, SGD",
        data, 64,
        sequential_run(
            seed, design ? [] { return mlp(deep_widths(11, 64)); } : [] { return mlp(deep_widths(15, 48), "tanh"); },
            sgd())));

    tasks.push_back(design ? bag_task("embedding-bag-adam", half, seed, 1000, 4, adam(), "Adam")
                           : bag_task("embedding-bag-sgd", half, seed, 2000, 8, sgd(), "SGD"));
  }
  add_fresh_held_out(tasks);
  return tasks;
}

}  // namespace autolr::quality
