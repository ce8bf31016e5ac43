// The parts the benchmark's tasks are made of (see task_parts.h).

#include "task_parts.h"

#include <cmath>

#include "demo/fashion_mnist.h"

namespace autolr::quality {

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

Split first_train(const Split& split, int64_t n) {
  return {split.train_x.slice(0, 0, n), split.train_y.slice(0, 0, n), split.valid_x, split.valid_y};
}


namespace {

const ImageDataset& fashion_mnist_train() {
  static const ImageDataset data = [] {
    ImageDataset d = read_fashion_mnist();
    d.images = (d.images - 0.286) / 0.353;  // the training set's mean and std
    return d;
  }();
  return data;
}

}  // namespace


// A random subset of Fashion-MNIST's training file: n_train + n_valid distinct images.
Split fashion_subset(uint64_t seed, int64_t n_train, int64_t n_valid) {
  const ImageDataset& all = fashion_mnist_train();
  torch::manual_seed(seed);
  const auto order = torch::randperm(all.images.size(0), torch::kLong);
  const auto train = order.slice(0, 0, n_train), valid = order.slice(0, n_train, n_train + n_valid);
  return {all.images.index_select(0, train), all.labels.index_select(0, train), all.images.index_select(0, valid),
          all.labels.index_select(0, valid)};
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


OptimizerFactory sgd(double weight_decay) {
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
OptimizerFactory adamw(double weight_decay) {
  return [=](std::vector<torch::Tensor> p) {
    return std::make_unique<torch::optim::AdamW>(p, torch::optim::AdamWOptions(1e-3).weight_decay(weight_decay));
  };
}

// A plain feed-forward net: Linear layers of `widths` with `activation` between.
nn::Sequential mlp(const std::vector<int64_t>& widths, const std::string& activation) {
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


namespace {

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

}  // namespace


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
                                      OptimizerFactory optimizer, bool body_and_head_groups) {
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
    if (unfrozen && body_and_head_groups) {
      std::vector<torch::Tensor> body;
      for (std::size_t i = 0; i + 1 < net->size(); ++i)
        for (const auto& p : net->ptr(i)->parameters()) body.push_back(p);
      run.optimizer = optimizer(body);
      run.optimizer->add_param_group(torch::optim::OptimizerParamGroup(head->parameters()));
    } else {
      run.optimizer = optimizer(unfrozen ? net->parameters() : head->parameters());
    }
    return run;
  };
}

namespace {

struct Bag : nn::Module {
  Bag(int64_t vocabulary, int64_t classes)
      : bag(register_module("bag", nn::EmbeddingBag(nn::EmbeddingBagOptions(vocabulary, 32).mode(torch::kMean)))),
        head(register_module("head", nn::Linear(32, classes))) {}
  nn::EmbeddingBag bag;
  nn::Linear head;
};

}  // namespace


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

LRFinderOptions range(double end_lr) { return LRFinderOptions().end_lr(end_lr).progress(false); }

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
                std::function<TaskRun()> start, int64_t batch) {
  Task t = classification(std::move(name), half, std::move(description), data, batch, std::move(start));
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

}  // namespace autolr::quality
