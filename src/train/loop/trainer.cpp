#include "autolr/trainer.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <chrono>

#include "autolr/distributed.h"
#include "autolr/error.h"
#include "autolr/optim.h"
#include "autolr/progress.h"
#include "core/check.h"
#include "train/loop/torch_checks.h"
#include "train/loop/training_flags.h"

namespace autolr {
namespace {

constexpr const char* kWhere = "Trainer";

torch::Tensor add_to_sum(const torch::Tensor& sum, const torch::Tensor& value) {
  return sum.defined() ? sum + value : value;
}

// Adds every rank's `sums` (scalars; an undefined one counts as 0) and
// `count` up, in one collective, and puts the totals back.
void add_over_ranks(const DistributedGroup& group, const std::vector<torch::Tensor*>& sums, int64_t& count,
                    const torch::Device& device, const char* what) {
  const auto as_double = torch::TensorOptions().dtype(torch::kFloat64).device(device);
  std::vector<torch::Tensor> parts;
  for (const torch::Tensor* sum : sums)
    parts.push_back(sum->defined() ? sum->reshape({}).to(as_double) : torch::zeros({}, as_double));
  parts.push_back(torch::tensor(static_cast<double>(count), as_double));
  torch::Tensor packed = torch::stack(parts);
  group.all_reduce_sum(packed, what);
  for (std::size_t i = 0; i < sums.size(); ++i) *sums[i] = packed[static_cast<int64_t>(i)];
  count = static_cast<int64_t>(packed[static_cast<int64_t>(sums.size())].item<double>());
}

// Calls every begun callback's on_fit_end; returns the first exception.
std::exception_ptr end_fit(FitContext& context, const std::vector<Callback*>& callbacks, std::size_t begun) {
  std::exception_ptr first;
  for (std::size_t i = 0; i < begun; ++i) {
    try {
      callbacks[i]->on_fit_end(context);
    } catch (...) {
      if (!first) first = std::current_exception();
    }
  }
  return first;
}

}  // namespace

Metric accuracy() {
  return Metric{"accuracy", [](const torch::Tensor& output, const Batch& batch) {
                  return output.argmax(1).eq(batch.target).sum().to(torch::kFloat64);
                }};
}

Trainer::BatchLossFunction Trainer::pair_loss(LossFunction loss) {
  AUTOLR_CHECK_ARGUMENT(static_cast<bool>(loss), kWhere, "loss", "an empty function", "a loss function");
  return
      [loss = std::move(loss)](const torch::Tensor& output, const Batch& batch) { return loss(output, batch.target); };
}

Trainer::Trainer(std::shared_ptr<torch::nn::Module> model, ForwardFunction forward, torch::optim::Optimizer& optimizer,
                 BatchLossFunction loss, std::shared_ptr<BatchSource> train_data, TrainerOptions options)
    : model_(std::move(model)),
      forward_(std::move(forward)),
      optimizer_(optimizer),
      loss_(std::move(loss)),
      train_data_(std::move(train_data)),
      options_(std::move(options)) {
  AUTOLR_CHECK_ARGUMENT(model_ != nullptr, kWhere, "model", "null", "a module");
  AUTOLR_CHECK_ARGUMENT(static_cast<bool>(forward_), kWhere, "forward", "an empty function", "a forward function");
  AUTOLR_CHECK_ARGUMENT(static_cast<bool>(loss_), kWhere, "loss", "an empty function", "a loss function");
  AUTOLR_CHECK_ARGUMENT(train_data_ != nullptr, kWhere, "train_data", "null", "a batch source");
  AUTOLR_CHECK_ARGUMENT(options_.accumulation_steps() >= 1, kWhere, "accumulation_steps",
                        std::to_string(options_.accumulation_steps()), "at least 1");
  model_->to(options_.device());
  if (options_.distributed()) broadcast_module(*options_.distributed(), *model_);
}

bool Trainer::is_main_process() const { return !options_.distributed() || options_.distributed()->is_main(); }

void Trainer::set_validation_data(std::shared_ptr<BatchSource> data) { valid_data_ = std::move(data); }

void Trainer::set_metric(Metric metric) {
  AUTOLR_CHECK_ARGUMENT(static_cast<bool>(metric.batch_sum), kWhere, "metric.batch_sum", "an empty function",
                        "a function");
  metric_ = std::move(metric);
}

void Trainer::add_callback(std::shared_ptr<Callback> callback) {
  AUTOLR_CHECK_ARGUMENT(callback != nullptr, kWhere, "callback", "null", "a callback");
  callbacks_.push_back(std::move(callback));
}

torch::Tensor Trainer::checked_loss(const torch::Tensor& output, const Batch& batch) {
  torch::Tensor loss = loss_(output, batch);
  detail::check_scalar_loss(loss, kWhere);
  return loss.dim() == 0 ? loss : loss.reshape({});
}

void Trainer::fit(int64_t epochs, const std::vector<Callback*>& callbacks) {
  AUTOLR_CHECK_ARGUMENT(epochs >= 1, "Trainer::fit", "epochs", std::to_string(epochs), "at least 1");
  run(FitOptions().epochs(epochs), callbacks);
}

Trainer::EvaluationSums Trainer::evaluation_sums(BatchSource& data, bool with_metric, const char* where,
                                                 const char* what) {
  detail::TrainingFlagsGuard flags(*model_);
  // A Schedule-Free optimizer is evaluated at its averaged point x, and back at y after.
  optim::ScheduleFreeEvalGuard averaged(optimizer_);
  model_->eval();
  torch::NoGradGuard no_grad;
  EvaluationSums sums;
  data.begin_epoch();
  while (auto batch = data.next()) {
    const Batch on_device = batch->to(options_.device());
    const torch::Tensor output = forward_(on_device);
    sums.loss = add_to_sum(sums.loss, checked_loss(output, on_device).to(torch::kFloat64) * on_device.size());
    if (with_metric) {
      sums.metric = add_to_sum(sums.metric, metric_->batch_sum(output, on_device).to(torch::kFloat64));
    }
    sums.examples += on_device.size();
  }
  if (options_.distributed()) {
    std::vector<torch::Tensor*> totals{&sums.loss};
    if (with_metric) totals.push_back(&sums.metric);
    add_over_ranks(*options_.distributed(), totals, sums.examples, options_.device(), "summing an evaluation");
  }
  AUTOLR_CHECK_ARGUMENT(sums.examples > 0, where, what, "empty", "at least one batch");
  return sums;
}

torch::Tensor Trainer::mean_loss(BatchSource& data) {
  const EvaluationSums sums = evaluation_sums(data, false, "Trainer::mean_loss", "data");
  return sums.loss / static_cast<double>(sums.examples);
}

Evaluation Trainer::evaluate(BatchSource& data) {
  const EvaluationSums sums = evaluation_sums(data, metric_.has_value(), "Trainer::evaluate", "data");
  Evaluation result;
  result.examples = sums.examples;
  result.loss = sums.loss.item<double>() / static_cast<double>(sums.examples);
  if (metric_) result.metric = sums.metric.item<double>() / static_cast<double>(sums.examples);
  return result;
}

void Trainer::run(const FitOptions& options, const std::vector<Callback*>& given) {
  if (options.epochs()) {
    AUTOLR_CHECK_ARGUMENT(*options.epochs() >= 1, "FitOptions", "epochs", std::to_string(*options.epochs()),
                          "at least 1, or nullopt to run until a callback stops the fit");
  }
  if (options.accumulation_steps()) {
    AUTOLR_CHECK_ARGUMENT(*options.accumulation_steps() >= 1, "FitOptions", "accumulation_steps",
                          std::to_string(*options.accumulation_steps()), "at least 1");
  }
  detail::check_optimizer_trains_model(*model_, optimizer_, kWhere);
  std::vector<Callback*> callbacks;
  if (options.trainer_callbacks()) {
    for (const auto& callback : callbacks_) callbacks.push_back(callback.get());
  }
  for (Callback* callback : given) {
    AUTOLR_CHECK_ARGUMENT(callback != nullptr, kWhere, "callbacks", "a null pointer", "callbacks");
    callbacks.push_back(callback);
  }
  const int64_t epochs = options.epochs().value_or(0);  // 0: until a callback stops it
  const int64_t accumulation_steps = options.accumulation_steps().value_or(options_.accumulation_steps());
  const bool record_history = options.record_history();
  const std::string& label = options.label();

  // Schedule-Free optimizers step only in train mode: the loop owns the mode,
  // as it owns the model's (evaluation switches both and back).
  if (auto* schedule_free = optim::as_schedule_free(optimizer_); schedule_free && !schedule_free->is_training()) {
    schedule_free->train();
  }
  FitContext context(*model_, optimizer_, options_.device());
  context.distributed = options_.distributed().get();
  context.epochs = epochs;
  context.accumulation_steps = accumulation_steps;
  std::size_t begun = 0;
  try {
    for (Callback* callback : callbacks) {
      callback->on_fit_begin(context);
      ++begun;
    }
    int64_t micro_step = 0;  // carried across epochs, as fastai's gradient accumulation
    for (int64_t epoch = 0; epochs == 0 || epoch < epochs; ++epoch) {
      const auto started = std::chrono::steady_clock::now();
      const int64_t steps_before = context.step;
      context.epoch = epoch;
      context.batch = 0;
      model_->train();
      for (Callback* callback : callbacks) callback->on_epoch_begin(context);
      ProgressBar bar(options_.progress() && is_main_process(),
                      epochs == 0 ? label : fmt::format("{} {}/{}", label, epoch + 1, epochs), std::nullopt);
      torch::Tensor loss_sum;
      int64_t examples = 0;
      train_data_->begin_epoch();
      while (auto batch = train_data_->next()) {
        const Batch on_device = batch->to(options_.device());
        context.current_batch = &on_device;
        context.micro_step = micro_step;
        context.will_step = micro_step == accumulation_steps - 1;
        for (Callback* callback : callbacks) callback->on_batch_begin(context);
        if (micro_step == 0) optimizer_.zero_grad();
        context.output = forward_(on_device);
        context.loss = checked_loss(context.output, on_device);
        for (Callback* callback : callbacks) callback->on_after_loss(context);
        (accumulation_steps > 1 ? context.loss / static_cast<double>(accumulation_steps) : context.loss).backward();
        if (context.will_step && context.distributed) average_gradients(*context.distributed, optimizer_);
        for (Callback* callback : callbacks) callback->on_after_backward(context);
        if (context.will_step) {
          optimizer_.step();
          ++context.step;
          for (Callback* callback : callbacks) callback->on_after_step(context);
        }
        micro_step = context.will_step ? 0 : micro_step + 1;
        if (record_history) {  // the range test reads no epoch loss: no tensor work for it
          loss_sum = add_to_sum(loss_sum, context.loss.detach().to(torch::kFloat64) * on_device.size());
          examples += on_device.size();
        }
        for (Callback* callback : callbacks) callback->on_batch_end(context);
        ++context.batch;
        bar.update(context.batch, [&]() -> std::optional<double> { return context.loss.item<double>(); });
        context.current_batch = nullptr;
        if (context.stop_requested()) break;
      }
      bar.finish();
      AUTOLR_CHECK_ARGUMENT(context.batch > 0, kWhere, "train_data", fmt::format("empty in epoch {}", epoch),
                            "at least one batch per epoch");
      if (record_history) {
        EpochRecord record;
        record.epoch = epoch;
        record.steps = context.step - steps_before;
        if (context.distributed) {
          add_over_ranks(*context.distributed, {&loss_sum}, examples, options_.device(),
                         "summing the epoch's training loss");
        }
        record.train_loss = loss_sum.item<double>() / static_cast<double>(examples);
        if (valid_data_) {
          const Evaluation validation = evaluate(*valid_data_);
          record.valid_loss = validation.loss;
          record.metric = validation.metric;
        }
        record.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        history_.push_back(record);
      }
      for (Callback* callback : callbacks) callback->on_epoch_end(context);
      if (context.stop_requested()) break;
    }
  } catch (...) {
    context.error = std::current_exception();
    context.current_batch = nullptr;  // the batch it pointed to went with the exception
    if (auto failure = end_fit(context, callbacks, begun)) std::rethrow_exception(failure);
    throw;
  }
  if (auto failure = end_fit(context, callbacks, begun)) std::rethrow_exception(failure);
}

}  // namespace autolr
