#pragma once
// Checks and descriptions of tensors for autolr's error messages.

#include <torch/nn/module.h>
#include <torch/optim/optimizer.h>
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

/// Throws InvalidArgument unless some trainable parameter of the optimizer is
/// one of the model's: an optimizer over another model's parameters trains
/// nothing the forward pass uses, and a range test's curve would measure
/// nothing. Parameters of the optimizer outside the model are allowed (a
/// snapshot restores them too), as are model parameters in no group (they
/// are not stepped, like frozen ones).
void check_optimizer_trains_model(torch::nn::Module& model, const torch::optim::Optimizer& optimizer,
                                  const char* where);

}  // namespace autolr::detail
