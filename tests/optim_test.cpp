// Schedule-Free AdamW, Schedule-Free SGD and Prodigy against their reference
// packages (schedulefree 1.4.1, prodigyopt 1.1.2; tools/make_optimizer_vectors.py
// wrote tests/data/optim_vectors/*.csv): every loss, group scalar and
// parameter of 12 runs of 50 steps, plus save/load, param groups, option
// checks and Schedule-Free's train()/eval() switch.

#include "autolr/optim.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include "autolr/error.h"
#include "test_support.h"
#include "train/optim/optim_support.h"

namespace autolr {
namespace {

using optim::Prodigy;
using optim::ProdigyOptions;
using optim::ProdigyParamState;
using optim::ScheduleFreeAdamW;
using optim::ScheduleFreeAdamWOptions;
using optim::ScheduleFreeAdamWParamState;
using optim::ScheduleFreeSGD;
using optim::ScheduleFreeSGDOptions;
using optim::ScheduleFreeSGDParamState;
using torch::optim::OptimizerParamGroup;

// Tolerance against the reference, per value: |ours - ref| <= abs + rel * |ref|.
// The vectors come from PyPI's torch 2.15 (MKL, AVX2/AVX-512 kernels with
// fused multiply-adds). Built against that same LibTorch these tests agree
// with them to the bit (every deviation 0; the one exception is y after a
// mid-training eval()/train(), which we restore bit for bit where the
// reference recomputes it, ~1 ulp). The build may instead use Debian's
// LibTorch 1.13 (OpenBLAS, other vector kernels): the optimizers do the same
// operations in the same order, but the forward/backward passes (gemm and
// BatchNorm summation order), lerp/addcmul/addcdiv (fused or not) and the
// dot/sum reductions round differently in the last bit of float32 (~6e-8
// relative), and 50 steps carry that along. Schedule-Free damps it: measured
// at most 1.2e-7 absolute, 8e-6 relative, 4% of its bound of ~100 float32
// ulps. Prodigy amplifies it: its D estimate divides by sums of p0 - p, which
// in the first steps (D ~ 1e-6) hold only a few significant bits, so the
// last-bit noise moves D by ~2e-6 relative and every later step with it:
// measured up to 5e-5 absolute (BatchNorm's weight), 3e-4 relative (a weight
// of 5e-3), 12% of its bound, which is 10x the Schedule-Free one. Either bound is far too tight for a real
// difference in the algorithm (a wrong constant or a missed term shows at
// 1e-3 or more within a few steps); OptimVectors prints the measured worst case.
struct Tolerance {
  double rel, abs;
};
constexpr Tolerance kScheduleFreeTolerance{1e-5, 1e-6};
constexpr Tolerance kProdigyTolerance{1e-4, 1e-5};

constexpr int64_t kBatch = 16;
constexpr int64_t kFeatures = 3;
constexpr int64_t kSteps = 50;

// --- the problem, as tools/make_optimizer_vectors.py builds it -------------

struct Batch {
  torch::Tensor x, y;
};

// x[i][j] = f32(sin(0.37 k + 0.2)), k = (t * 16 + i) * 3 + j; y = f32(0.8 a - 0.5 b c + 0.3).
// volatile keeps the compiler from fusing multiply-adds Python does not fuse.
Batch make_batch(int64_t t) {
  std::vector<float> xs, ys;
  for (int64_t i = 0; i < kBatch; ++i) {
    double row[kFeatures];
    for (int64_t j = 0; j < kFeatures; ++j) {
      volatile double angle = 0.37 * static_cast<double>((t * kBatch + i) * kFeatures + j);
      const float value = static_cast<float>(std::sin(angle + 0.2));
      xs.push_back(value);
      row[j] = value;
    }
    volatile double first = 0.8 * row[0];
    volatile double second = 0.5 * row[1];
    volatile double product = second * row[2];
    volatile double difference = first - product;
    ys.push_back(static_cast<float>(difference + 0.3));
  }
  return {torch::tensor(xs).reshape({kBatch, kFeatures}), torch::tensor(ys).reshape({kBatch, 1})};
}

torch::nn::Sequential make_model(bool batchnorm) {
  if (batchnorm) {
    return torch::nn::Sequential(torch::nn::Linear(torch::nn::LinearOptions(3, 5).bias(false)),
                                 torch::nn::BatchNorm1d(5), torch::nn::ReLU(), torch::nn::Linear(5, 1));
  }
  return torch::nn::Sequential(torch::nn::Linear(3, 6), torch::nn::ReLU(), torch::nn::Linear(6, 1));
}

std::vector<torch::Tensor> named(torch::nn::Sequential model, const std::vector<std::string>& names) {
  const auto parameters = model->named_parameters();
  std::vector<torch::Tensor> out;
  for (const auto& name : names) out.push_back(parameters[name]);
  return out;
}

template <typename Options>
OptimizerParamGroup group(torch::nn::Sequential model, const std::vector<std::string>& names, const Options& options) {
  return OptimizerParamGroup(named(model, names), std::make_unique<Options>(options));
}

// --- the cases: the same table as the script's CASES ------------------------

enum class Kind { SfAdamW, SfSgd, Prodigy };

struct Case {
  std::string name;
  Kind kind;
  bool batchnorm;
  int64_t mid_eval;  // a step after which eval() and train() are called; 0 for none
  std::function<std::unique_ptr<torch::optim::Optimizer>(torch::nn::Sequential)> make;
};

std::vector<Case> cases() {
  using Model = torch::nn::Sequential;
  std::vector<Case> all;
  all.push_back({"sf_adamw_basic", Kind::SfAdamW, false, 0, [](Model m) {
                   return std::make_unique<ScheduleFreeAdamW>(m->parameters(), ScheduleFreeAdamWOptions(0.01));
                 }});
  all.push_back({"sf_adamw_decay_warmup", Kind::SfAdamW, false, 0, [](Model m) {
                   return std::make_unique<ScheduleFreeAdamW>(m->parameters(), ScheduleFreeAdamWOptions(0.02)
                                                                                   .betas({0.95, 0.99})
                                                                                   .eps(1e-6)
                                                                                   .weight_decay(0.05)
                                                                                   .warmup_steps(10)
                                                                                   .r(1.0)
                                                                                   .weight_lr_power(1.5));
                 }});
  all.push_back({"sf_adamw_groups", Kind::SfAdamW, false, 0, [](Model m) {
                   const auto defaults = ScheduleFreeAdamWOptions(0.01).weight_decay(0.01).warmup_steps(5);
                   std::vector<OptimizerParamGroup> groups;
                   groups.emplace_back(named(m, {"0.weight", "0.bias"}));
                   groups.push_back(
                       group(m, {"2.weight", "2.bias"},
                             ScheduleFreeAdamWOptions(defaults).lr(0.003).weight_decay(0.0).betas({0.8, 0.999})));
                   return std::make_unique<ScheduleFreeAdamW>(std::move(groups), defaults);
                 }});
  all.push_back({"sf_adamw_batchnorm", Kind::SfAdamW, true, 30, [](Model m) {
                   return std::make_unique<ScheduleFreeAdamW>(
                       m->parameters(), ScheduleFreeAdamWOptions(0.01).weight_decay(0.01).warmup_steps(5));
                 }});
  all.push_back({"sf_sgd_basic", Kind::SfSgd, false, 0, [](Model m) {
                   return std::make_unique<ScheduleFreeSGD>(m->parameters(), ScheduleFreeSGDOptions(0.1));
                 }});
  all.push_back(
      {"sf_sgd_decay_warmup", Kind::SfSgd, false, 0, [](Model m) {
         return std::make_unique<ScheduleFreeSGD>(
             m->parameters(),
             ScheduleFreeSGDOptions(0.2).momentum(0.8).weight_decay(0.01).warmup_steps(10).r(0.5).weight_lr_power(1.0));
       }});
  all.push_back({"sf_sgd_groups_batchnorm", Kind::SfSgd, true, 25, [](Model m) {
                   const auto defaults = ScheduleFreeSGDOptions(0.1).weight_decay(0.001).warmup_steps(5);
                   std::vector<OptimizerParamGroup> groups;
                   groups.push_back(group(m, {"0.weight", "1.weight", "1.bias"}, defaults));
                   groups.push_back(group(m, {"3.weight", "3.bias"},
                                          ScheduleFreeSGDOptions(defaults).lr(0.05).momentum(0.95).weight_decay(0.0)));
                   return std::make_unique<ScheduleFreeSGD>(std::move(groups), defaults);
                 }});
  all.push_back(
      {"prodigy_basic", Kind::Prodigy, false, 0, [](Model m) { return std::make_unique<Prodigy>(m->parameters()); }});
  all.push_back({"prodigy_coupled", Kind::Prodigy, false, 0, [](Model m) {
                   return std::make_unique<Prodigy>(m->parameters(), ProdigyOptions()
                                                                         .weight_decay(0.1)
                                                                         .decouple(false)
                                                                         .use_bias_correction(true)
                                                                         .beta3(0.98)
                                                                         .slice_p(3)
                                                                         .d_coef(0.5)
                                                                         .eps(1e-7));
                 }});
  all.push_back({"prodigy_decoupled_warmup", Kind::Prodigy, false, 0, [](Model m) {
                   return std::make_unique<Prodigy>(m->parameters(), ProdigyOptions(0.5)
                                                                         .betas({0.0, 0.99})
                                                                         .weight_decay(0.05)
                                                                         .decouple(true)
                                                                         .safeguard_warmup(true)
                                                                         .growth_rate(1.1)
                                                                         .d0(1e-5)
                                                                         .d_coef(2.0));
                 }});
  all.push_back({"prodigy_groups", Kind::Prodigy, false, 0, [](Model m) {
                   const auto defaults = ProdigyOptions().weight_decay(0.01);
                   std::vector<OptimizerParamGroup> groups;
                   groups.emplace_back(named(m, {"0.weight", "0.bias"}));
                   groups.push_back(
                       group(m, {"2.weight"},
                             ProdigyOptions(defaults).weight_decay(0.1).eps(1e-6).safeguard_warmup(true).d0(1e-5)));
                   groups.push_back(group(m, {"2.bias"}, ProdigyOptions(defaults).lr(0.0).weight_decay(0.02)));
                   return std::make_unique<Prodigy>(std::move(groups), defaults);
                 }});
  all.push_back({"prodigy_batchnorm", Kind::Prodigy, true, 0, [](Model m) {
                   return std::make_unique<Prodigy>(m->parameters(), ProdigyOptions().weight_decay(0.01));
                 }});
  return all;
}

// --- the CSV -----------------------------------------------------------------

std::vector<std::string> split(const std::string& line) {
  std::vector<std::string> fields(1);
  for (char c : line) {
    if (c == ',') {
      fields.emplace_back();
    } else {
      fields.back() += c;
    }
  }
  return fields;
}

struct Vectors {
  std::vector<std::string> header;
  std::map<std::string, std::size_t> column;
  std::vector<std::vector<std::string>> rows;

  const std::string& at(const std::vector<std::string>& row, const std::string& name) const {
    const auto it = column.find(name);
    if (it == column.end()) throw std::runtime_error("no column " + name);
    return row.at(it->second);
  }
  // The row of `event` after `step`.
  const std::vector<std::string>& row(const std::string& event, int64_t step) const {
    for (const auto& r : rows) {
      if (r[0] == event && std::stoll(r[1]) == step) return r;
    }
    throw std::runtime_error("no row " + event + " " + std::to_string(step));
  }
};

Vectors load_vectors(const std::string& name) {
  std::ifstream in(test::data_path("optim_vectors/" + name + ".csv"));
  if (!in) throw std::runtime_error("cannot open the vectors of " + name);
  Vectors v;
  std::string line;
  std::getline(in, line);
  v.header = split(line);
  for (std::size_t i = 0; i < v.header.size(); ++i) v.column[v.header[i]] = i;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    v.rows.push_back(split(line));
    if (v.rows.back().size() != v.header.size()) throw std::runtime_error("bad row in " + name + ": " + line);
  }
  return v;
}

// The flattened values of `tensors` (parameters or buffers), with their column names.
std::vector<std::pair<std::string, torch::Tensor>> recorded_tensors(torch::nn::Sequential model) {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  for (const auto& item : model->named_parameters()) out.emplace_back(item.key(), item.value());
  for (const auto& item : model->named_buffers()) {
    if (item.value().is_floating_point()) out.emplace_back(item.key(), item.value());
  }
  return out;
}

void set_from_row(torch::nn::Sequential model, const Vectors& v, const std::vector<std::string>& row) {
  torch::NoGradGuard no_grad;
  for (auto& [name, tensor] : recorded_tensors(model)) {
    std::vector<float> values;
    for (int64_t i = 0; i < tensor.numel(); ++i) values.push_back(std::stof(v.at(row, name + ":" + std::to_string(i))));
    tensor.copy_(torch::tensor(values).reshape(tensor.sizes()));
  }
}

// --- comparing ---------------------------------------------------------------

// The worst differences from the reference: absolute, relative (for values
// of magnitude >= 1e-3, where relative error means something) and as a
// fraction of the tolerance. float32 values are read as float (the file's
// '%.9g' reads back exactly), the group scalars as double.
struct Deviation {
  explicit Deviation(Tolerance tolerance) : tolerance(tolerance) {}
  Tolerance tolerance;
  double max_abs = 0, max_rel = 0, max_used = 0;
  std::string worst;
  int failures = 0;

  void compare(double actual, double expected, const std::string& expected_text, const std::string& what) {
    const double abs = std::fabs(actual - expected);
    const double bound = tolerance.abs + tolerance.rel * std::fabs(expected);
    max_abs = std::max(max_abs, abs);
    if (std::fabs(expected) >= 1e-3) max_rel = std::max(max_rel, abs / std::fabs(expected));
    if (abs / bound > max_used) {
      max_used = abs / bound;
      worst = what;
    }
    if (!(abs <= bound)) {
      if (++failures <= 5) ADD_FAILURE() << what << ": got " << actual << ", reference " << expected_text;
    }
  }
  void compare_float(float actual, const std::string& expected, const std::string& what) {
    compare(actual, std::stof(expected), expected, what);
  }
  void compare_double(double actual, const std::string& expected, const std::string& what) {
    compare(actual, std::stod(expected), expected, what);
  }
};

struct CaseDeviations {
  explicit CaseDeviations(Tolerance tolerance) : params(tolerance), losses(tolerance), scalars(tolerance) {}
  Deviation params, losses, scalars;
};

double group_scalar(const torch::optim::OptimizerOptions& options, Kind kind, const std::string& name) {
  if (kind == Kind::Prodigy) {
    const auto& o = static_cast<const ProdigyOptions&>(options);
    if (name == "k") return static_cast<double>(o.k());
    if (name == "d") return *o.d();
    if (name == "d_max") return *o.d_max();
    if (name == "d_numerator") return o.d_numerator();
    if (name == "d_hat") return o.d_hat();
  } else if (kind == Kind::SfAdamW) {
    const auto& o = static_cast<const ScheduleFreeAdamWOptions&>(options);
    if (name == "k") return static_cast<double>(o.k());
    if (name == "weight_sum") return o.weight_sum();
    if (name == "lr_max") return o.lr_max();
    if (name == "scheduled_lr") return o.scheduled_lr();
  } else {
    const auto& o = static_cast<const ScheduleFreeSGDOptions&>(options);
    if (name == "k") return static_cast<double>(o.k());
    if (name == "weight_sum") return o.weight_sum();
    if (name == "lr_max") return o.lr_max();
    if (name == "scheduled_lr") return o.scheduled_lr();
  }
  throw std::runtime_error("no scalar " + name);
}

void compare_row(const Vectors& v, const std::vector<std::string>& row, torch::nn::Sequential model,
                 const torch::optim::Optimizer& optimizer, Kind kind, const torch::Tensor& loss, CaseDeviations& dev) {
  const std::string label = row[0] + " " + row[1] + " ";
  if (loss.defined()) dev.losses.compare_float(loss.item<float>(), v.at(row, "loss"), label + "loss");
  for (std::size_t c = 3; c < v.header.size(); ++c) {
    const std::string& name = v.header[c];
    if (name[0] != 'g' || name.find(':') != std::string::npos || row[c].empty()) continue;
    const auto dot = name.find('.');
    const std::size_t g = std::stoul(name.substr(1, dot - 1));
    const std::string scalar = name.substr(dot + 1);
    const double value = group_scalar(optimizer.param_groups().at(g).options(), kind, scalar);
    if (scalar == "k") {
      EXPECT_EQ(value, std::stod(row[c])) << label << name;
    } else {
      dev.scalars.compare_double(value, row[c], label + name);
    }
  }
  for (const auto& [name, tensor] : recorded_tensors(model)) {
    const auto flat = tensor.detach().flatten();
    const auto values = flat.accessor<float, 1>();
    for (int64_t i = 0; i < flat.numel(); ++i) {
      const std::string column = name + ":" + std::to_string(i);
      dev.params.compare_float(values[i], v.at(row, column), label + column);
    }
  }
}

torch::Tensor loss_on(torch::nn::Sequential model, const Batch& batch) {
  return torch::mse_loss(model->forward(batch.x), batch.y);
}

CaseDeviations run_case(const Case& c) {
  const Vectors v = load_vectors(c.name);
  torch::nn::Sequential model = make_model(c.batchnorm);
  set_from_row(model, v, v.row("init", 0));
  auto optimizer = c.make(model);
  optim::ScheduleFree* schedule_free = optim::as_schedule_free(*optimizer);
  EXPECT_EQ(schedule_free != nullptr, c.kind != Kind::Prodigy);
  CaseDeviations dev(c.kind == Kind::Prodigy ? kProdigyTolerance : kScheduleFreeTolerance);

  model->train();
  if (schedule_free) schedule_free->train();
  for (int64_t t = 1; t <= kSteps; ++t) {
    const Batch batch = make_batch(t);
    optimizer->zero_grad();
    const torch::Tensor loss = loss_on(model, batch);
    loss.backward();
    optimizer->step();
    compare_row(v, v.row("step", t), model, *optimizer, c.kind, loss, dev);
    if (schedule_free && c.mid_eval == t) {
      schedule_free->eval();
      compare_row(v, v.row("eval", t), model, *optimizer, c.kind, {}, dev);
      schedule_free->train();
      compare_row(v, v.row("train", t), model, *optimizer, c.kind, {}, dev);
    }
  }
  if (schedule_free) {
    int64_t next = kSteps + 1;
    if (c.batchnorm) {
      optim::recompute_batchnorm_statistics(*model, *schedule_free, [&] {
        for (int64_t t = next; t < next + 4; ++t) model->forward(make_batch(t).x);
      });
      next += 4;
    } else {
      schedule_free->eval();
      model->eval();
    }
    torch::NoGradGuard no_grad;
    compare_row(v, v.row("eval", kSteps), model, *optimizer, c.kind, loss_on(model, make_batch(next)), dev);
  }
  return dev;
}

TEST(OptimVectors, EveryCaseMatchesTheReferencePackages) {
  const auto all = cases();
  ASSERT_EQ(all.size(), 12u);
  for (const auto& c : all) {
    SCOPED_TRACE(c.name);
    const CaseDeviations dev = run_case(c);
    const std::string where = dev.params.worst.empty() ? "exact" : "worst at " + dev.params.worst;
    std::printf(
        "[ optim vectors ] %-24s params: abs %.1e rel %.1e (%.0f%% of tolerance, %s); loss: rel %.1e; "
        "scalars: rel %.1e\n",
        c.name.c_str(), dev.params.max_abs, dev.params.max_rel, 100 * dev.params.max_used, where.c_str(),
        dev.losses.max_rel, dev.scalars.max_rel);
    EXPECT_EQ(dev.params.failures + dev.losses.failures + dev.scalars.failures, 0);
  }
}

// --- save/load -----------------------------------------------------------------

// Trains `steps` steps of the vectors' problem from batch `first` on.
void train_steps(torch::nn::Sequential model, torch::optim::Optimizer& optimizer, int64_t first, int64_t steps) {
  for (int64_t t = first; t < first + steps; ++t) {
    const Batch batch = make_batch(t);
    optimizer.zero_grad();
    loss_on(model, batch).backward();
    optimizer.step();
  }
}

void copy_parameters(torch::nn::Sequential from, torch::nn::Sequential to) {
  torch::NoGradGuard no_grad;
  const auto source = from->parameters();
  const auto target = to->parameters();
  for (std::size_t i = 0; i < source.size(); ++i) target[i].copy_(source[i]);
  const auto source_buffers = from->buffers();
  const auto target_buffers = to->buffers();
  for (std::size_t i = 0; i < source_buffers.size(); ++i) target_buffers[i].copy_(source_buffers[i]);
}

bool same_parameters(torch::nn::Sequential a, torch::nn::Sequential b) {
  const auto pa = a->parameters();
  const auto pb = b->parameters();
  for (std::size_t i = 0; i < pa.size(); ++i) {
    if (!torch::equal(pa[i], pb[i])) return false;
  }
  return true;
}

std::string saved(const torch::optim::Optimizer& optimizer) {
  torch::serialize::OutputArchive archive;
  optimizer.save(archive);
  std::ostringstream bytes;
  archive.save_to(bytes);
  return bytes.str();
}

void load(torch::optim::Optimizer& optimizer, const std::string& bytes) {
  std::istringstream stream(bytes);
  torch::serialize::InputArchive archive;
  archive.load_from(stream);
  optimizer.load(archive);
}

// The state of every parameter of `a`'s groups equals that of `b`'s parameter in the same place.
template <typename State>
void expect_same_state(torch::optim::Optimizer& a, torch::optim::Optimizer& b) {
  ASSERT_EQ(a.param_groups().size(), b.param_groups().size());
  for (std::size_t g = 0; g < a.param_groups().size(); ++g) {
    const auto& pa = a.param_groups()[g].params();
    const auto& pb = b.param_groups()[g].params();
    ASSERT_EQ(pa.size(), pb.size());
    for (std::size_t i = 0; i < pa.size(); ++i) {
      auto* sa = optim::detail::find_state<State>(a.state(), pa[i]);
      auto* sb = optim::detail::find_state<State>(b.state(), pb[i]);
      ASSERT_TRUE(sa != nullptr && sb != nullptr) << "group " << g << " parameter " << i;
      EXPECT_TRUE(*sa == *sb) << "group " << g << " parameter " << i;
    }
  }
}

// Trains three groups (the second with `group_options`) for 7 steps, saves
// (in eval mode for Schedule-Free when `in_eval`), loads into a fresh
// optimizer built with other options, and checks that both go on
// identically, bit for bit.
template <typename Optimizer, typename Options, typename State>
void expect_round_trip(const Options& options, const Options& group_options, bool batchnorm, bool in_eval) {
  torch::nn::Sequential model = make_model(batchnorm);
  std::vector<OptimizerParamGroup> groups;
  groups.emplace_back(std::vector<torch::Tensor>{model->parameters()[0], model->parameters()[1]});
  groups.push_back(group(model, {batchnorm ? "3.weight" : "2.weight"}, group_options));
  groups.emplace_back(std::vector<torch::Tensor>{model->parameters().back()});
  Optimizer optimizer(std::move(groups), options);
  constexpr bool schedule_free = !std::is_same_v<Optimizer, Prodigy>;
  if constexpr (schedule_free) optimizer.train();
  train_steps(model, optimizer, 1, 7);
  if constexpr (schedule_free) {
    if (in_eval) optimizer.eval();
  }
  const std::string bytes = saved(optimizer);

  // A fresh optimizer of the same shape, with other options: load() restores them.
  torch::nn::Sequential copy = make_model(batchnorm);
  copy_parameters(model, copy);
  std::vector<OptimizerParamGroup> copy_groups;
  copy_groups.emplace_back(std::vector<torch::Tensor>{copy->parameters()[0], copy->parameters()[1]});
  copy_groups.emplace_back(named(copy, {batchnorm ? "3.weight" : "2.weight"}));
  copy_groups.emplace_back(std::vector<torch::Tensor>{copy->parameters().back()});
  Optimizer restored(std::move(copy_groups), Options(options).lr(0.123));
  load(restored, bytes);

  ASSERT_EQ(restored.param_groups().size(), optimizer.param_groups().size());
  for (std::size_t g = 0; g < optimizer.param_groups().size(); ++g) {
    EXPECT_TRUE(static_cast<const Options&>(restored.param_groups()[g].options()) ==
                static_cast<const Options&>(optimizer.param_groups()[g].options()))
        << "group " << g;
  }
  expect_same_state<State>(optimizer, restored);

  if constexpr (schedule_free) {
    EXPECT_EQ(restored.is_training(), !in_eval);
    if (in_eval) {
      optimizer.train();
      restored.train();
    }
  }
  EXPECT_TRUE(same_parameters(model, copy));
  train_steps(model, optimizer, 8, 6);
  train_steps(copy, restored, 8, 6);
  EXPECT_TRUE(same_parameters(model, copy));
  expect_same_state<State>(optimizer, restored);
  for (std::size_t g = 0; g < optimizer.param_groups().size(); ++g) {
    EXPECT_TRUE(static_cast<const Options&>(restored.param_groups()[g].options()) ==
                static_cast<const Options&>(optimizer.param_groups()[g].options()))
        << "group " << g;
  }
}

TEST(OptimSaveLoad, ScheduleFreeAdamWContinuesBitForBit) {
  const auto options = ScheduleFreeAdamWOptions(0.01).weight_decay(0.01).warmup_steps(3);
  expect_round_trip<ScheduleFreeAdamW, ScheduleFreeAdamWOptions, ScheduleFreeAdamWParamState>(
      options, ScheduleFreeAdamWOptions(options).lr(0.005).betas({0.8, 0.99}), false, false);
}

TEST(OptimSaveLoad, ScheduleFreeAdamWSavedInEvalModeContinuesBitForBit) {
  const auto options = ScheduleFreeAdamWOptions(0.01).warmup_steps(3);
  expect_round_trip<ScheduleFreeAdamW, ScheduleFreeAdamWOptions, ScheduleFreeAdamWParamState>(
      options, ScheduleFreeAdamWOptions(options).lr(0.02), true, true);
}

TEST(OptimSaveLoad, ScheduleFreeSGDContinuesBitForBit) {
  const auto options = ScheduleFreeSGDOptions(0.1).weight_decay(0.001).r(0.5);
  expect_round_trip<ScheduleFreeSGD, ScheduleFreeSGDOptions, ScheduleFreeSGDParamState>(
      options, ScheduleFreeSGDOptions(options).momentum(0.8), true, false);
  expect_round_trip<ScheduleFreeSGD, ScheduleFreeSGDOptions, ScheduleFreeSGDParamState>(
      ScheduleFreeSGDOptions(0.1), ScheduleFreeSGDOptions(0.05), false, true);
}

TEST(OptimSaveLoad, ProdigyContinuesBitForBit) {
  const auto options = ProdigyOptions().weight_decay(0.01);
  expect_round_trip<Prodigy, ProdigyOptions, ProdigyParamState>(
      options, ProdigyOptions(options).weight_decay(0.1).eps(1e-6), true, false);
  const auto coupled = ProdigyOptions().betas({0.0, 0.99}).decouple(false).weight_decay(0.1).slice_p(2).beta3(0.9);
  expect_round_trip<Prodigy, ProdigyOptions, ProdigyParamState>(coupled, ProdigyOptions(coupled).lr(0), false, false);
}

TEST(OptimSaveLoad, ProdigyStateHoldsEveryTensorAndScalar) {
  torch::nn::Sequential model = make_model(true);
  Prodigy optimizer(model->parameters(), ProdigyOptions().use_bias_correction(true));
  train_steps(model, optimizer, 1, 5);
  const auto& options = static_cast<const ProdigyOptions&>(optimizer.param_groups()[0].options());
  EXPECT_EQ(options.k(), 5);
  EXPECT_GT(*options.d(), 1e-6);
  EXPECT_EQ(optimizer.d(), *options.d());
  EXPECT_GE(*options.d_max(), *options.d());
  EXPECT_NE(options.d_numerator(), 0.0);
  const auto bn_bias = model->named_parameters()["1.bias"];  // zero-initialized: p0 is a 0-dim zero
  const auto& state = *optim::detail::find_state<ProdigyParamState>(optimizer.state(), bn_bias);
  EXPECT_EQ(state.step(), 5);
  EXPECT_EQ(state.p0().dim(), 0);
  EXPECT_TRUE(state.exp_avg().defined());
  EXPECT_EQ(state.s().numel(), bn_bias.numel());
}

// --- param groups and options ----------------------------------------------------

TEST(OptimGroups, EachGroupKeepsItsOwnOptions) {
  torch::nn::Sequential model = make_model(false);
  std::vector<OptimizerParamGroup> groups;
  groups.push_back(group(model, {"0.weight", "0.bias"}, ScheduleFreeAdamWOptions(0.05).weight_decay(0.1)));
  groups.emplace_back(named(model, {"2.weight", "2.bias"}));
  ScheduleFreeAdamW optimizer(std::move(groups), ScheduleFreeAdamWOptions(0.002).betas({0.95, 0.99}));
  const auto& first = static_cast<const ScheduleFreeAdamWOptions&>(optimizer.param_groups()[0].options());
  const auto& second = static_cast<const ScheduleFreeAdamWOptions&>(optimizer.param_groups()[1].options());
  EXPECT_EQ(first.lr(), 0.05);
  EXPECT_EQ(first.weight_decay(), 0.1);
  EXPECT_EQ(std::get<0>(first.betas()), 0.9);
  EXPECT_EQ(second.lr(), 0.002);
  EXPECT_EQ(std::get<0>(second.betas()), 0.95);

  // Groups step separately: k, lr_max and weight_sum are per group.
  optimizer.train();
  train_steps(model, optimizer, 1, 3);
  EXPECT_EQ(first.k(), 3);
  EXPECT_EQ(first.lr_max(), 0.05);
  EXPECT_EQ(second.lr_max(), 0.002);
  EXPECT_DOUBLE_EQ(first.weight_sum(), 3 * 0.05 * 0.05);
}

TEST(OptimGroups, AddedGroupsKeepTheirOwnOptions) {
  torch::nn::Sequential model = make_model(false);
  Prodigy prodigy(named(model, {"0.weight"}), ProdigyOptions().d0(1e-5));
  prodigy.add_param_group(group(model, {"0.bias"}, ProdigyOptions().weight_decay(0.5)));
  prodigy.add_param_group(OptimizerParamGroup(named(model, {"2.weight"})));
  const auto& own = static_cast<const ProdigyOptions&>(prodigy.param_groups()[1].options());
  EXPECT_EQ(own.weight_decay(), 0.5);
  EXPECT_EQ(*own.d(), 1e-5);  // the defaults' d0, as the reference
  EXPECT_EQ(static_cast<const ProdigyOptions&>(prodigy.param_groups()[2].options()).d0(), 1e-5);
  EXPECT_THROW_WITH(prodigy.add_param_group(group(model, {"2.bias"}, ProdigyOptions().slice_p(-2))), InvalidArgument,
                    "ProdigyOptions of param group 3: slice_p = -2");
  EXPECT_EQ(prodigy.param_groups().size(), 3u);

  ScheduleFreeSGD sgd(named(model, {"0.weight"}));
  sgd.add_param_group(group(model, {"0.bias"}, ScheduleFreeSGDOptions(0.3)));
  EXPECT_EQ(static_cast<const ScheduleFreeSGDOptions&>(sgd.param_groups()[1].options()).lr(), 0.3);
  ScheduleFreeAdamW adamw(named(model, {"0.weight"}));
  EXPECT_THROW_WITH(adamw.add_param_group(group(model, {"0.bias"}, ScheduleFreeSGDOptions(0.3))), InvalidArgument,
                    "ScheduleFreeAdamW: the options of param group 1");
  adamw.add_param_group(group(model, {"0.bias"}, ScheduleFreeAdamWOptions(0.3)));
  EXPECT_EQ(static_cast<const ScheduleFreeAdamWOptions&>(adamw.param_groups()[1].options()).lr(), 0.3);
}

TEST(OptimGroups, LearningRateCanBeSetThroughTheBaseOptions) {
  torch::nn::Sequential model = make_model(false);
  Prodigy prodigy(model->parameters());
  ScheduleFreeSGD sgd(model->parameters(), ScheduleFreeSGDOptions(0.5));
  ScheduleFreeAdamW adamw(model->parameters());
  for (torch::optim::Optimizer* optimizer : std::vector<torch::optim::Optimizer*>{&prodigy, &sgd, &adamw}) {
    torch::optim::OptimizerOptions& options = optimizer->param_groups()[0].options();
    options.set_lr(0.25);
    EXPECT_EQ(options.get_lr(), 0.25);
  }
  EXPECT_EQ(static_cast<const ProdigyOptions&>(prodigy.param_groups()[0].options()).lr(), 0.25);
  EXPECT_EQ(static_cast<const ScheduleFreeSGDOptions&>(sgd.param_groups()[0].options()).lr(), 0.25);
  EXPECT_EQ(ScheduleFreeAdamWOptions().lr(), 0.0025);
  EXPECT_EQ(ScheduleFreeSGDOptions().lr(), 1.0);
  EXPECT_EQ(ProdigyOptions().lr(), 1.0);
  EXPECT_TRUE(std::isinf(ProdigyOptions().growth_rate()));
  EXPECT_FALSE(ProdigyOptions().beta3().has_value());
}

TEST(OptimGroups, ClonedOptionsCarryTheGroupState) {
  torch::nn::Sequential model = make_model(false);
  Prodigy optimizer(model->parameters());
  train_steps(model, optimizer, 1, 4);
  const auto clone = optimizer.param_groups()[0].options().clone();
  const auto* copy = dynamic_cast<const ProdigyOptions*>(clone.get());
  ASSERT_NE(copy, nullptr);
  EXPECT_TRUE(*copy == static_cast<const ProdigyOptions&>(optimizer.param_groups()[0].options()));
  EXPECT_EQ(copy->k(), 4);
  EXPECT_FALSE(*copy == ProdigyOptions());
}

TEST(OptimGroups, ProdigyRejectsGroupsWithDifferentNonZeroLearningRates) {
  torch::nn::Sequential model = make_model(false);
  std::vector<OptimizerParamGroup> groups;
  groups.emplace_back(named(model, {"0.weight", "0.bias"}));
  groups.push_back(group(model, {"2.weight", "2.bias"}, ProdigyOptions(0.5)));
  Prodigy optimizer(std::move(groups));
  optimizer.zero_grad();
  loss_on(model, make_batch(1)).backward();
  EXPECT_THROW_WITH(optimizer.step(), InvalidArgument,
                    "Prodigy::step: lr of param group 1 = 0.5, expected the largest lr of all groups (1) or 0");
}

TEST(OptimGroups, ProdigyWithZeroGradientsOnlyUpdatesTheAverages) {
  torch::Tensor w = torch::ones({3}, torch::requires_grad());
  Prodigy optimizer(std::vector<torch::Tensor>{w});
  w.mutable_grad() = torch::zeros({3});
  optimizer.step();
  const auto& options = static_cast<const ProdigyOptions&>(optimizer.param_groups()[0].options());
  EXPECT_EQ(options.k(), 0);
  EXPECT_TRUE(torch::equal(w, torch::ones({3})));
}

TEST(OptimGroups, ProdigyLeavesAFrozenGroupAloneWithoutFirstMoment) {
  // The reference would step it by -lr * grad / eps (its exp_avg_sq stays 0).
  torch::nn::Sequential model = make_model(false);
  std::vector<OptimizerParamGroup> groups;
  groups.emplace_back(named(model, {"0.weight", "0.bias"}));
  groups.push_back(group(model, {"2.weight", "2.bias"}, ProdigyOptions(0.0).betas({0.0, 0.999})));
  Prodigy optimizer(std::move(groups), ProdigyOptions().betas({0.0, 0.999}));
  const auto frozen = named(model, {"2.weight", "2.bias"});
  const auto before = std::vector<torch::Tensor>{frozen[0].detach().clone(), frozen[1].detach().clone()};
  const auto first = named(model, {"0.weight"})[0].detach().clone();
  train_steps(model, optimizer, 1, 5);
  EXPECT_TRUE(torch::equal(frozen[0], before[0]));
  EXPECT_TRUE(torch::equal(frozen[1], before[1]));
  EXPECT_FALSE(torch::equal(named(model, {"0.weight"})[0], first));
}

TEST(OptimOptions, InvalidOptionsAreRejectedWithTheRule) {
  const std::vector<torch::Tensor> params{torch::zeros({2}, torch::requires_grad())};
  EXPECT_THROW_WITH(Prodigy unused(params, ProdigyOptions().d_coef(-1)), InvalidArgument,
                    "ProdigyOptions: d_coef = -1, expected a finite value > 0");
  EXPECT_THROW_WITH(Prodigy unused(params, ProdigyOptions(0)), InvalidArgument,
                    "ProdigyOptions: lr = 0, expected a finite value > 0");
  EXPECT_THROW_WITH(Prodigy unused(params, ProdigyOptions().d0(0)), InvalidArgument, "ProdigyOptions: d0 = 0");
  EXPECT_THROW_WITH(Prodigy unused(params, ProdigyOptions().eps(0)), InvalidArgument, "ProdigyOptions: eps = 0");
  EXPECT_THROW_WITH(Prodigy unused(params, ProdigyOptions().betas({1.0, 0.999})), InvalidArgument,
                    "ProdigyOptions: betas[0] = 1, expected a value in [0, 1)");
  EXPECT_THROW_WITH(Prodigy unused(params, ProdigyOptions().beta3(1.5)), InvalidArgument,
                    "ProdigyOptions: beta3 = 1.5");
  EXPECT_THROW_WITH(Prodigy unused(params, ProdigyOptions().slice_p(0)), InvalidArgument,
                    "ProdigyOptions: slice_p = 0, expected an integer >= 1");
  EXPECT_THROW_WITH(Prodigy unused(params, ProdigyOptions().growth_rate(std::nan(""))), InvalidArgument,
                    "ProdigyOptions: growth_rate = nan");
  EXPECT_THROW_WITH(Prodigy unused(params, ProdigyOptions().weight_decay(-0.1)), InvalidArgument,
                    "ProdigyOptions: weight_decay = -0.1, expected a finite value >= 0");

  EXPECT_THROW_WITH(ScheduleFreeAdamW unused(params, ScheduleFreeAdamWOptions().betas({0.0, 0.999})), InvalidArgument,
                    "ScheduleFreeAdamWOptions: betas[0] = 0, expected a value in (0, 1)");
  EXPECT_THROW_WITH(ScheduleFreeAdamW unused(params, ScheduleFreeAdamWOptions(-1)), InvalidArgument,
                    "ScheduleFreeAdamWOptions: lr = -1, expected a finite value >= 0");
  EXPECT_THROW_WITH(ScheduleFreeAdamW unused(params, ScheduleFreeAdamWOptions().warmup_steps(-3)), InvalidArgument,
                    "ScheduleFreeAdamWOptions: warmup_steps = -3, expected a count >= 0");
  EXPECT_THROW_WITH(ScheduleFreeAdamW unused(params, ScheduleFreeAdamWOptions().weight_lr_power(INFINITY)),
                    InvalidArgument, "ScheduleFreeAdamWOptions: weight_lr_power = inf");
  EXPECT_THROW_WITH(ScheduleFreeSGD unused(params, ScheduleFreeSGDOptions().momentum(1)), InvalidArgument,
                    "ScheduleFreeSGDOptions: momentum = 1, expected a value in (0, 1)");
  EXPECT_THROW_WITH(ScheduleFreeSGD unused(params, ScheduleFreeSGDOptions().r(-1)), InvalidArgument,
                    "ScheduleFreeSGDOptions: r = -1, expected a finite value >= 0");
}

TEST(OptimOptions, GroupOptionsAreCheckedAndMustBeTheOptimizersOwn) {
  torch::nn::Sequential model = make_model(false);
  std::vector<OptimizerParamGroup> groups;
  groups.emplace_back(named(model, {"0.weight", "0.bias"}));
  groups.push_back(group(model, {"2.weight", "2.bias"}, ProdigyOptions().eps(-1)));
  EXPECT_THROW_WITH(Prodigy unused(groups), InvalidArgument, "ProdigyOptions of param group 1: eps = -1");

  std::vector<OptimizerParamGroup> foreign;
  foreign.push_back(group(model, {"0.weight"}, torch::optim::AdamWOptions(0.1)));
  EXPECT_THROW_WITH(ScheduleFreeAdamW unused(foreign), InvalidArgument,
                    "ScheduleFreeAdamW: the options of param group 0 = torch::optim::AdamWOptions, expected "
                    "autolr::optim::ScheduleFreeAdamWOptions");
}

// --- Schedule-Free's train()/eval() ------------------------------------------

std::vector<torch::Tensor> snapshot(torch::nn::Sequential model) {
  std::vector<torch::Tensor> copy;
  for (const auto& p : model->parameters()) copy.push_back(p.detach().clone());
  return copy;
}

bool same(const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b) {
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (!torch::equal(a[i], b[i])) return false;
  }
  return true;
}

template <typename Optimizer, typename Options>
void expect_switch_semantics(const Options& options, double beta1) {
  using State = std::conditional_t<std::is_same_v<Optimizer, ScheduleFreeAdamW>, ScheduleFreeAdamWParamState,
                                   ScheduleFreeSGDParamState>;
  torch::nn::Sequential model = make_model(true);
  Optimizer optimizer(model->parameters(), options);
  EXPECT_FALSE(optimizer.is_training());  // as the reference: eval mode until train()
  EXPECT_THROW_WITH(optimizer.step(), InvalidArgument, "::step: train mode = false, expected true");
  optimizer.train();
  optimizer.train();  // twice is once
  EXPECT_TRUE(optimizer.is_training());
  train_steps(model, optimizer, 1, 9);

  const auto y = snapshot(model);
  optimizer.eval();
  EXPECT_FALSE(optimizer.is_training());
  const auto x = snapshot(model);
  EXPECT_FALSE(same(x, y));
  optimizer.eval();  // twice is once
  EXPECT_TRUE(same(snapshot(model), x));
  // x is the reference's lerp: y + (1 - 1/beta1) (z - y).
  const auto params = model->parameters();
  for (std::size_t i = 0; i < params.size(); ++i) {
    torch::NoGradGuard no_grad;
    const auto* state = optim::detail::find_state<State>(optimizer.state(), params[i]);
    ASSERT_NE(state, nullptr);
    EXPECT_TRUE(torch::equal(x[i], y[i].lerp(state->z(), 1 - 1 / beta1))) << "parameter " << i;
  }
  optimizer.train();
  EXPECT_TRUE(same(snapshot(model), y)) << "eval() then train() must give y's exact bits back";

  // Parameters changed in eval mode (a checkpoint loaded, say): train()
  // recomputes y from them as the reference does, y = p + (1 - beta1) (z - p).
  optimizer.eval();
  std::vector<torch::Tensor> expected;
  {
    torch::NoGradGuard no_grad;
    for (auto& p : model->parameters()) p.mul_(0.5);
    for (auto& p : model->parameters()) {
      const auto* state = optim::detail::find_state<State>(optimizer.state(), p);
      expected.push_back(p.lerp(state->z(), 1 - beta1));
    }
  }
  optimizer.train();
  EXPECT_TRUE(same(snapshot(model), expected));
}

TEST(OptimScheduleFree, AdamWEvalThenTrainGivesTheSameBits) {
  expect_switch_semantics<ScheduleFreeAdamW>(ScheduleFreeAdamWOptions(0.01).warmup_steps(2), 0.9);
}

TEST(OptimScheduleFree, SGDEvalThenTrainGivesTheSameBits) {
  expect_switch_semantics<ScheduleFreeSGD>(ScheduleFreeSGDOptions(0.1).momentum(0.8), 0.8);
}

TEST(OptimScheduleFree, EvaluatingDoesNotChangeTheTrainingTrajectory) {
  torch::nn::Sequential a = make_model(false);
  torch::nn::Sequential b = make_model(false);
  copy_parameters(a, b);
  ScheduleFreeAdamW with_evals(a->parameters(), ScheduleFreeAdamWOptions(0.01));
  ScheduleFreeAdamW without(b->parameters(), ScheduleFreeAdamWOptions(0.01));
  with_evals.train();
  without.train();
  for (int64_t t = 1; t <= 20; ++t) {
    train_steps(a, with_evals, t, 1);
    train_steps(b, without, t, 1);
    if (t % 3 == 0) {
      optim::ScheduleFreeEvalGuard guard(with_evals);
      EXPECT_FALSE(with_evals.is_training());
      torch::NoGradGuard no_grad;
      loss_on(a, make_batch(100));
    }
    EXPECT_TRUE(with_evals.is_training());
  }
  EXPECT_TRUE(same_parameters(a, b));
}

TEST(OptimScheduleFree, OnlyScheduleFreeOptimizersSwitch) {
  torch::nn::Sequential model = make_model(false);
  Prodigy prodigy(model->parameters());
  torch::optim::AdamW adamw(model->parameters());
  ScheduleFreeSGD sgd(model->parameters());
  EXPECT_EQ(optim::as_schedule_free(prodigy), nullptr);
  EXPECT_EQ(optim::as_schedule_free(adamw), nullptr);
  EXPECT_EQ(optim::as_schedule_free(sgd), static_cast<optim::ScheduleFree*>(&sgd));
  const torch::optim::Optimizer& constant = sgd;
  EXPECT_NE(optim::as_schedule_free(constant), nullptr);
  {
    optim::ScheduleFreeEvalGuard guard(adamw);    // nothing to do
    optim::ScheduleFreeEvalGuard eval_mode(sgd);  // in eval mode already: nothing to undo
  }
  EXPECT_FALSE(sgd.is_training());
  sgd.train();
  {
    optim::ScheduleFreeEvalGuard guard(sgd);
    EXPECT_FALSE(sgd.is_training());
    guard.restore();
    EXPECT_TRUE(sgd.is_training());
  }
  EXPECT_TRUE(sgd.is_training());
}

TEST(OptimScheduleFree, BatchNormStatisticsAreRecomputedAtX) {
  torch::nn::Sequential model = make_model(true);
  ScheduleFreeSGD optimizer(model->parameters(), ScheduleFreeSGDOptions(0.1));
  optimizer.train();
  train_steps(model, optimizer, 1, 10);
  const auto mean_at_y = model->named_buffers()["1.running_mean"].clone();
  int calls = 0;
  optim::recompute_batchnorm_statistics(*model, optimizer, [&] {
    EXPECT_TRUE(model->is_training());
    EXPECT_FALSE(torch::GradMode::is_enabled());
    for (int64_t t = 11; t < 14; ++t) model->forward(make_batch(t).x);
    ++calls;
  });
  EXPECT_EQ(calls, 1);
  EXPECT_FALSE(model->is_training());
  EXPECT_FALSE(optimizer.is_training());
  EXPECT_FALSE(torch::equal(mean_at_y, model->named_buffers()["1.running_mean"]));
}

}  // namespace
}  // namespace autolr
