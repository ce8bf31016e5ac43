#pragma once
// The tensors inside an optimizer's per-parameter state, for the optimizers
// autolr knows (LibTorch's SGD, Adam, AdamW, Adagrad, RMSprop and autolr's
// own), so a snapshot copies them directly: round-tripping them through
// LibTorch's serialization (zip, crc32, pickling) was ~90% of a snapshot's
// cost and held a second copy of the state in memory.

#include <torch/optim/optimizer.h>

#include <functional>

namespace autolr::detail {

/// Whether the optimizer is one of those, by its exact type: a user's
/// subclass may keep more state than its base, so it is not one of them.
bool has_known_state(const torch::optim::Optimizer& optimizer);

/// Calls `visit` on each tensor field of `state`, defined or not, always in
/// the same order for one state type. Returns false, visiting nothing, for a
/// state type it does not know (LBFGS's, a user's own), whose optimizer a
/// snapshot then copies through LibTorch's serialization.
bool visit_state_tensors(torch::optim::OptimizerParamState& state, const std::function<void(torch::Tensor&)>& visit);

}  // namespace autolr::detail
