#include "train/loop/torch_checks.h"

#include <sstream>

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

}  // namespace autolr::detail
