#pragma once
// Checks and descriptions of tensors for autolr's error messages.

#include <torch/types.h>

#include <string>

namespace autolr::detail {

/// "[4, 10]"
std::string shape_text(const torch::Tensor& tensor);
/// "a float tensor of shape [4, 10]", or "an undefined tensor".
std::string describe(const torch::Tensor& tensor);

/// Throws InvalidArgument("<where>: loss = a float tensor of shape [4], expected a
/// floating-point scalar ...") unless `loss` has one floating-point element.
void check_scalar_loss(const torch::Tensor& loss, const char* where);

}  // namespace autolr::detail
