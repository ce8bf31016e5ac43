#pragma once
/// Learning-rate-free optimizers for LibTorch, step for step the same as their
/// reference Python packages: Schedule-Free AdamW and Schedule-Free SGD
/// (schedulefree 1.4.1: AdamWScheduleFree, SGDScheduleFree) and Prodigy
/// (prodigyopt 1.1.2). They are torch::optim::Optimizer subclasses in
/// LibTorch's own style (options per param group, param states, save/load), so
/// LibTorch schedulers, autolr's range test and Snapshot work with them.
///
/// Where the reference keeps a scalar per param group (Schedule-Free's k,
/// weight_sum, lr_max, train_mode; Prodigy's d, d_max, d_numerator, k) it lives
/// in that group's options object: it is saved with the group, copied when the
/// options are cloned, and can be read for logging. Leave those fields alone.
///
/// Built against the LibTorch the reference vectors were made with, every
/// loss, parameter and group scalar of tests/optim_test.cpp's runs equals the
/// reference's to the bit. The deliberate differences:
///  - step() never modifies p.grad() (the references normalize or decay the
///    gradient in place); the parameters come out the same.
///  - Schedule-Free's train() after eval() puts back y's exact bits (the
///    reference recomputes y from x and z, off by rounding).
///  - Prodigy leaves a frozen group (lr 0) alone when beta1 = 0 (the reference
///    divides its gradient by d * eps); its fsdp_in_use option is not offered.

#include <torch/optim/optimizer.h>
#include <torch/serialize/archive.h>

#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <tuple>
#include <vector>

#include "autolr/arg.h"

namespace torch::nn {
class Module;
}  // namespace torch::nn

namespace autolr::optim {

// ---------------------------------------------------------------------------
// Schedule-Free: the common part
// ---------------------------------------------------------------------------

/// What a training loop needs to switch any Schedule-Free optimizer between
/// its two points without knowing which one it is. The parameters hold y (the
/// point gradients are taken at) in train mode and x (the average, the point to
/// evaluate and to checkpoint) in eval mode. Call train() before the first
/// step() (step() throws otherwise, as the reference does), eval() before
/// evaluating or saving the model, and train() again before training on.
///
/// BatchNorm: the running statistics a model collects in train mode belong to
/// y, not to x. The schedulefree README's remedy is to recompute them at x
/// before evaluating: with the optimizer in eval mode, run some training
/// batches (about 50) through the model in train mode without gradients, then
/// switch the model to eval mode. recompute_batchnorm_statistics() does that.
///
/// Checkpoints: the reference saves in eval mode (the model then holds x).
/// Saved in eval mode, the optimizer's archive also holds y, so a run resumed
/// from the model's and the optimizer's checkpoint continues bit for bit
/// after train().
class ScheduleFree {
 public:
  virtual ~ScheduleFree() = default;
  /// Puts the training point y into the parameters (every group still in eval
  /// mode). After an eval() that left the parameters untouched, this restores
  /// y's exact bits (the reference recomputes y from x and z, which is exact
  /// only up to rounding); if the parameters changed meanwhile (a checkpoint
  /// was loaded into the model, say), y is recomputed from them as the
  /// reference does. Groups added by add_param_group() start in eval mode, as
  /// in the reference: call train() after adding one.
  virtual void train() = 0;
  /// Puts the averaged point x into the parameters (every group in train mode),
  /// exactly as the reference's eval(); y is kept until train().
  virtual void eval() = 0;
  /// Whether the first param group is in train mode (the one step() checks).
  virtual bool is_training() const = 0;
};

/// The optimizer as a Schedule-Free one, or nullptr when it is another kind.
ScheduleFree* as_schedule_free(torch::optim::Optimizer& optimizer);
const ScheduleFree* as_schedule_free(const torch::optim::Optimizer& optimizer);

/// The README's BatchNorm recipe: puts the optimizer in eval mode (x), runs
/// `forward_batches` (which should call the model on some training batches;
/// about 50 in the README) with the model in train mode and gradients off, so
/// the BatchNorm running statistics are those of x, then puts the model in eval
/// mode. The model and optimizer are left ready to evaluate; call
/// optimizer.train() and model.train() to go on training.
void recompute_batchnorm_statistics(torch::nn::Module& model, ScheduleFree& optimizer,
                                    const std::function<void()>& forward_batches);

/// RAII for evaluation inside a training loop: when `optimizer` is a
/// Schedule-Free one in train mode, calls eval() now and train() when the
/// guard goes out of scope; for any other optimizer it does nothing.
class ScheduleFreeEvalGuard {
 public:
  explicit ScheduleFreeEvalGuard(torch::optim::Optimizer& optimizer);
  /// Errors from train() here are swallowed (a destructor must not throw);
  /// call restore() to see them.
  ~ScheduleFreeEvalGuard();
  ScheduleFreeEvalGuard(const ScheduleFreeEvalGuard&) = delete;
  ScheduleFreeEvalGuard& operator=(const ScheduleFreeEvalGuard&) = delete;
  /// Calls train() now if the guard switched the optimizer (once).
  void restore();

 private:
  ScheduleFree* optimizer_ = nullptr;
};

// ---------------------------------------------------------------------------
// Schedule-Free AdamW
// ---------------------------------------------------------------------------

/// Options of ScheduleFreeAdamW, the defaults of schedulefree.AdamWScheduleFree.
struct ScheduleFreeAdamWOptions : public torch::optim::OptimizerCloneableOptions<ScheduleFreeAdamWOptions> {
  ScheduleFreeAdamWOptions(double lr = 0.0025);  // NOLINT: implicit, as LibTorch's AdamWOptions
  /// Learning rate (finite, >= 0). With warmup_steps, the peak reached after warm-up.
  AUTOLR_ARG(double, lr) = 0.0025;

 public:
  typedef std::tuple<double, double> betas_t;
  /// (beta1, beta2): beta1 is the interpolation between z and the average x
  /// (0 < beta1 < 1), beta2 the decay of the squared-gradient average
  /// (0 <= beta2 < 1).
  AUTOLR_ARG(betas_t, betas) = std::make_tuple(0.9, 0.999);
  /// Added to the denominator outside the square root (finite, >= 0).
  AUTOLR_ARG(double, eps) = 1e-8;
  /// Weight decay (finite, >= 0), applied at y as the reference does: the
  /// normalized gradient gets weight_decay * y added.
  AUTOLR_ARG(double, weight_decay) = 0;
  /// Linear warm-up of the lr over this many steps (>= 0; 0 = none).
  AUTOLR_ARG(int64_t, warmup_steps) = 0;
  /// Polynomial weighting of the average: step k weighs k^r (finite, >= 0).
  AUTOLR_ARG(double, r) = 0;
  /// The average's weights are also lr_max^weight_lr_power, so warm-up steps
  /// weigh less (finite, >= 0; 0 = no lr weighting).
  AUTOLR_ARG(double, weight_lr_power) = 2.0;

  // State kept by the optimizer (the reference's group entries).

  /// Steps taken by this group.
  AUTOLR_ARG(int64_t, k) = 0;
  /// Whether the group's parameters hold y (train mode) or x (eval mode).
  AUTOLR_ARG(bool, train_mode) = false;
  /// Sum of the weights of the average so far.
  AUTOLR_ARG(double, weight_sum) = 0.0;
  /// Largest scheduled lr so far (-1 before the first step).
  AUTOLR_ARG(double, lr_max) = -1.0;
  /// The lr of the last step after warm-up scaling (for logging).
  AUTOLR_ARG(double, scheduled_lr) = 0.0;

 public:
  void serialize(torch::serialize::InputArchive& archive) override;
  void serialize(torch::serialize::OutputArchive& archive) const override;
  friend bool operator==(const ScheduleFreeAdamWOptions& lhs, const ScheduleFreeAdamWOptions& rhs);
  ~ScheduleFreeAdamWOptions() override = default;
  double get_lr() const override;
  void set_lr(const double lr) override;
};

/// Per-parameter state of ScheduleFreeAdamW.
struct ScheduleFreeAdamWParamState : public torch::optim::OptimizerCloneableParamState<ScheduleFreeAdamWParamState> {
  /// The base sequence z (the SGD-like iterate).
  AUTOLR_ARG(torch::Tensor, z);
  /// Running average of the squared gradient.
  AUTOLR_ARG(torch::Tensor, exp_avg_sq);
  /// In eval mode: the training point y that eval() replaced by x, so train()
  /// can put back its exact bits; undefined in train mode.
  AUTOLR_ARG(torch::Tensor, saved_y) = {};

 public:
  void serialize(torch::serialize::InputArchive& archive) override;
  void serialize(torch::serialize::OutputArchive& archive) const override;
  friend bool operator==(const ScheduleFreeAdamWParamState& lhs, const ScheduleFreeAdamWParamState& rhs);
  ~ScheduleFreeAdamWParamState() override = default;
};

/// Schedule-Free AdamW (Defazio et al., "The Road Less Scheduled", 2024), as
/// schedulefree.AdamWScheduleFree 1.4.1: no lr schedule is needed; use
/// warmup_steps for warm-up. See ScheduleFree for train()/eval().
class ScheduleFreeAdamW : public torch::optim::Optimizer, public ScheduleFree {
 public:
  /// Throws InvalidArgument for options outside their documented ranges (the
  /// defaults' and every group's), or a group with another optimizer's options.
  explicit ScheduleFreeAdamW(std::vector<torch::optim::OptimizerParamGroup> param_groups,
                             ScheduleFreeAdamWOptions defaults = {});
  explicit ScheduleFreeAdamW(std::vector<torch::Tensor> params, ScheduleFreeAdamWOptions defaults = {});

  /// One step for every parameter with a gradient. Throws InvalidArgument in
  /// eval mode (call train() first).
  torch::Tensor step(LossClosure closure = nullptr) override;
  void train() override;
  void eval() override;
  bool is_training() const override;
  /// As Optimizer::add_param_group, and also on LibTorch 2.x keeps a group's
  /// own options (2.x's gives other optimizers' groups the defaults; called
  /// through an Optimizer& it still does); throws InvalidArgument as the
  /// constructor for bad options.
  void add_param_group(const torch::optim::OptimizerParamGroup& param_group);
  void save(torch::serialize::OutputArchive& archive) const override;
  /// Restores the state and every group's options (including k, weight_sum,
  /// lr_max and train_mode) from an archive of an optimizer with the same groups.
  void load(torch::serialize::InputArchive& archive) override;
};

// ---------------------------------------------------------------------------
// Schedule-Free SGD
// ---------------------------------------------------------------------------

/// Options of ScheduleFreeSGD, the defaults of schedulefree.SGDScheduleFree.
struct ScheduleFreeSGDOptions : public torch::optim::OptimizerCloneableOptions<ScheduleFreeSGDOptions> {
  ScheduleFreeSGDOptions(double lr = 1.0);  // NOLINT: implicit, as LibTorch's SGDOptions
  /// Learning rate (finite, >= 0); the README suggests 10x-50x a classical SGD lr.
  AUTOLR_ARG(double, lr) = 1.0;
  /// Interpolation between z and the average x (0 < momentum < 1).
  AUTOLR_ARG(double, momentum) = 0.9;
  /// L2 penalty (finite, >= 0): weight_decay * y is added to the gradient.
  AUTOLR_ARG(double, weight_decay) = 0;
  /// Linear warm-up of the lr over this many steps (>= 0; 0 = none).
  AUTOLR_ARG(int64_t, warmup_steps) = 0;
  /// Polynomial weighting of the average: step k weighs k^r (finite, >= 0).
  AUTOLR_ARG(double, r) = 0;
  /// The average's weights are also lr_max^weight_lr_power (finite, >= 0).
  AUTOLR_ARG(double, weight_lr_power) = 2.0;

  // State kept by the optimizer (the reference's group entries).

  /// Steps taken by this group.
  AUTOLR_ARG(int64_t, k) = 0;
  /// Whether the group's parameters hold y (train mode) or x (eval mode).
  AUTOLR_ARG(bool, train_mode) = false;
  /// Sum of the weights of the average so far.
  AUTOLR_ARG(double, weight_sum) = 0.0;
  /// Largest scheduled lr so far (-1 before the first step).
  AUTOLR_ARG(double, lr_max) = -1.0;
  /// The lr of the last step after warm-up scaling (for logging).
  AUTOLR_ARG(double, scheduled_lr) = 0.0;

 public:
  void serialize(torch::serialize::InputArchive& archive) override;
  void serialize(torch::serialize::OutputArchive& archive) const override;
  friend bool operator==(const ScheduleFreeSGDOptions& lhs, const ScheduleFreeSGDOptions& rhs);
  ~ScheduleFreeSGDOptions() override = default;
  double get_lr() const override;
  void set_lr(const double lr) override;
};

/// Per-parameter state of ScheduleFreeSGD.
struct ScheduleFreeSGDParamState : public torch::optim::OptimizerCloneableParamState<ScheduleFreeSGDParamState> {
  /// The base sequence z (the SGD iterate).
  AUTOLR_ARG(torch::Tensor, z);
  /// In eval mode: the training point y that eval() replaced by x; undefined in train mode.
  AUTOLR_ARG(torch::Tensor, saved_y) = {};

 public:
  void serialize(torch::serialize::InputArchive& archive) override;
  void serialize(torch::serialize::OutputArchive& archive) const override;
  friend bool operator==(const ScheduleFreeSGDParamState& lhs, const ScheduleFreeSGDParamState& rhs);
  ~ScheduleFreeSGDParamState() override = default;
};

/// Schedule-Free SGD, as schedulefree.SGDScheduleFree 1.4.1. See ScheduleFree
/// for train()/eval().
class ScheduleFreeSGD : public torch::optim::Optimizer, public ScheduleFree {
 public:
  /// Throws InvalidArgument as ScheduleFreeAdamW's constructor.
  explicit ScheduleFreeSGD(std::vector<torch::optim::OptimizerParamGroup> param_groups,
                           ScheduleFreeSGDOptions defaults = {});
  explicit ScheduleFreeSGD(std::vector<torch::Tensor> params, ScheduleFreeSGDOptions defaults = {});

  /// One step for every parameter with a gradient. Throws InvalidArgument in
  /// eval mode (call train() first).
  torch::Tensor step(LossClosure closure = nullptr) override;
  void train() override;
  void eval() override;
  bool is_training() const override;
  /// As Optimizer::add_param_group, and also on LibTorch 2.x keeps a group's
  /// own options (2.x's gives other optimizers' groups the defaults; called
  /// through an Optimizer& it still does); throws InvalidArgument as the
  /// constructor for bad options.
  void add_param_group(const torch::optim::OptimizerParamGroup& param_group);
  void save(torch::serialize::OutputArchive& archive) const override;
  /// Restores the state and every group's options, as ScheduleFreeAdamW::load.
  void load(torch::serialize::InputArchive& archive) override;
};

// ---------------------------------------------------------------------------
// Prodigy
// ---------------------------------------------------------------------------

/// Options of Prodigy, the defaults of prodigyopt.Prodigy 1.1.2. As in the
/// reference, betas, beta3, use_bias_correction, d_coef, growth_rate and
/// decouple are read from the first param group only, and the D estimate is
/// one for all groups; eps, weight_decay, d0, safeguard_warmup and slice_p are
/// per group. The reference's fsdp_in_use is not offered (no sharded
/// parameters here).
struct ProdigyOptions : public torch::optim::OptimizerCloneableOptions<ProdigyOptions> {
  ProdigyOptions(double lr = 1.0);  // NOLINT: implicit, as LibTorch's options
  /// Multiplies Prodigy's own step size; leave it at 1 unless training is
  /// unstable (finite, > 0 for the defaults, >= 0 for a group). Groups may
  /// differ only by being 0 (frozen): step() throws InvalidArgument for a group
  /// whose lr is neither the largest of all groups nor 0, as the reference. A
  /// frozen group still gets decoupled weight decay at the common step size,
  /// as in the reference; with beta1 = 0 it is otherwise left alone (the
  /// reference divides its gradient by d * eps, which blows it up).
  AUTOLR_ARG(double, lr) = 1.0;

 public:
  typedef std::tuple<double, double> betas_t;
  /// Adam's (beta1, beta2), each in [0, 1); beta1 = 0 keeps no first moment.
  AUTOLR_ARG(betas_t, betas) = std::make_tuple(0.9, 0.999);
  /// Decay of the running averages behind the D estimate, in [0, 1); unset
  /// means sqrt(beta2).
  AUTOLR_ARG(std::optional<double>, beta3) = std::nullopt;
  /// Added to the denominator (scaled by d) for numerical stability (finite, > 0).
  AUTOLR_ARG(double, eps) = 1e-8;
  /// Weight decay (finite, >= 0): decoupled (AdamW style, p -= weight_decay *
  /// d * lr * p) when `decouple`, else an L2 term added to the gradient.
  AUTOLR_ARG(double, weight_decay) = 0;
  /// AdamW-style decoupled weight decay (true) or L2 in the gradient (false).
  AUTOLR_ARG(bool, decouple) = true;
  /// Adam's bias correction, off by default.
  AUTOLR_ARG(bool, use_bias_correction) = false;
  /// Leaves lr out of the D estimate's denominator, against problems during warm-up.
  AUTOLR_ARG(bool, safeguard_warmup) = false;
  /// Initial D estimate (finite, > 0); rarely needs changing.
  AUTOLR_ARG(double, d0) = 1e-6;
  /// Coefficient of the D estimate (finite, > 0): the preferred knob to tune
  /// (0.5 and 2.0 typically work too).
  AUTOLR_ARG(double, d_coef) = 1.0;
  /// Largest factor by which D may grow per step (> 0; inf = unrestricted;
  /// values like 1.02 act as a warm-up).
  AUTOLR_ARG(double, growth_rate) = std::numeric_limits<double>::infinity();
  /// Computes the D statistics on every slice_p-th entry of each tensor only
  /// (>= 1; 1 = exact Prodigy; about 11 saves memory at little cost).
  AUTOLR_ARG(int64_t, slice_p) = 1;

  // State kept by the optimizer (the reference's group entries).

  /// The current D estimate, the same in every group after a step (the
  /// first group's is the one read). Unset in a fresh options object: the
  /// constructor and add_param_group() start it at the optimizer defaults'
  /// d0, as the reference starts its group entries.
  AUTOLR_ARG(std::optional<double>, d) = std::nullopt;
  /// The largest D estimate so far (unset: as d).
  AUTOLR_ARG(std::optional<double>, d_max) = std::nullopt;
  /// Running numerator of the D estimate.
  AUTOLR_ARG(double, d_numerator) = 0.0;
  /// Denominator of the last D estimate (for logging).
  AUTOLR_ARG(double, d_denom) = 0.0;
  /// The last raw D estimate before growth limits (for logging).
  AUTOLR_ARG(double, d_hat) = 0.0;
  /// Steps taken by this group.
  AUTOLR_ARG(int64_t, k) = 0;

 public:
  void serialize(torch::serialize::InputArchive& archive) override;
  void serialize(torch::serialize::OutputArchive& archive) const override;
  friend bool operator==(const ProdigyOptions& lhs, const ProdigyOptions& rhs);
  ~ProdigyOptions() override = default;
  double get_lr() const override;
  void set_lr(const double lr) override;
};

/// Per-parameter state of Prodigy.
struct ProdigyParamState : public torch::optim::OptimizerCloneableParamState<ProdigyParamState> {
  /// Steps that updated this parameter.
  AUTOLR_ARG(int64_t, step) = 0;
  /// Running sum of the (sliced) gradients weighted by d, the D denominator.
  AUTOLR_ARG(torch::Tensor, s);
  /// The (sliced) initial parameter; a 0-dim zero when it was all zeros.
  AUTOLR_ARG(torch::Tensor, p0);
  /// Adam's first moment (undefined when beta1 = 0).
  AUTOLR_ARG(torch::Tensor, exp_avg) = {};
  /// Adam's second moment.
  AUTOLR_ARG(torch::Tensor, exp_avg_sq);

 public:
  void serialize(torch::serialize::InputArchive& archive) override;
  void serialize(torch::serialize::OutputArchive& archive) const override;
  friend bool operator==(const ProdigyParamState& lhs, const ProdigyParamState& rhs);
  ~ProdigyParamState() override = default;
};

/// Prodigy (Mishchenko and Defazio, "Prodigy: An Expeditiously Adaptive
/// Parameter-Free Learner", 2023): Adam whose step size d * lr is estimated
/// on the fly, as prodigyopt.Prodigy 1.1.2. Keep lr at 1; a schedule (cosine
/// annealing, say) may still scale lr.
class Prodigy : public torch::optim::Optimizer {
 public:
  /// Throws InvalidArgument for options outside their documented ranges (the
  /// defaults' and every group's), or a group with another optimizer's options.
  explicit Prodigy(std::vector<torch::optim::OptimizerParamGroup> param_groups, ProdigyOptions defaults = {});
  explicit Prodigy(std::vector<torch::Tensor> params, ProdigyOptions defaults = {});

  /// One step for every parameter with a gradient. When every gradient is zero
  /// (or none has a lr > 0) it only updates the running averages and returns,
  /// as the reference does. Throws InvalidArgument when a group's lr is neither
  /// the largest nor 0.
  torch::Tensor step(LossClosure closure = nullptr) override;
  /// As Optimizer::add_param_group, and also on LibTorch 2.x keeps a group's
  /// own options (2.x's gives other optimizers' groups the defaults; called
  /// through an Optimizer& it still does); throws InvalidArgument as the
  /// constructor for bad options.
  void add_param_group(const torch::optim::OptimizerParamGroup& param_group);
  void save(torch::serialize::OutputArchive& archive) const override;
  /// Restores the state and every group's options (including d, d_max,
  /// d_numerator and k) from an archive of an optimizer with the same groups.
  void load(torch::serialize::InputArchive& archive) override;

  /// The current D estimate (the first group's d); the step size of the next
  /// step is d * lr (times the bias correction, when on).
  double d() const;
};

}  // namespace autolr::optim
