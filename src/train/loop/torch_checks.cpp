#include "train/loop/torch_checks.h"

#include <fmt/format.h>

#include <sstream>
#include <unordered_set>

#include "autolr/error.h"
#include "core/check.h"

namespace autolr::detail {

std::string shape_text(const torch::Tensor& tensor) {
  std::ostringstream text;
  text << tensor.sizes();
  return text.str();
}

std::string describe(const torch::Tensor& tensor) {
  if (!tensor.defined()) return "an undefined tensor";
  return "a " + std::string(tensor.dtype().name()) + " tensor of shape " + shape_text(tensor);
}

void check_scalar_loss(const torch::Tensor& loss, const char* where) {
  AUTOLR_CHECK_ARGUMENT(loss.defined() && loss.numel() == 1 && loss.is_floating_point(), where, "loss", describe(loss),
                        "a floating-point scalar (reduce it, e.g. with mean())");
}

void check_optimizer_trains_model(torch::nn::Module& model, const torch::optim::Optimizer& optimizer,
                                  const char* where) {
  std::unordered_set<const void*> in_model;
  for (const auto& parameter : model.parameters()) in_model.insert(parameter.unsafeGetTensorImpl());
  std::size_t trainable = 0;
  for (const auto& group : optimizer.param_groups()) {
    for (const auto& parameter : group.params()) {
      if (!parameter.requires_grad()) continue;
      if (in_model.count(parameter.unsafeGetTensorImpl()) != 0) return;
      ++trainable;
    }
  }
  if (trainable == 0) return;  // no trainable parameter at all: the range test says so itself
  throw InvalidArgument(fmt::format(
      "{}: none of the optimizer's {} trainable parameters is one of the model's {} parameters, expected an "
      "optimizer over the model's parameters (one made for another model trains nothing this model computes)",
      where, trainable, in_model.size()));
}

}  // namespace autolr::detail
