#pragma once
// Shared by the optimizers in this folder (include after <torch/torch.h>):
// the key LibTorch files a parameter's state under (a string in 1.13, the
// TensorImpl pointer in 2.x), group options that survive construction and
// loading on both, and the checks the options are validated with.

#include <fmt/format.h>
#include <c10/util/Type.h>
#include <torch/torch.h>

#include <cmath>
#include <memory>
#include <sstream>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <vector>

#include "autolr/error.h"
#include "core/check.h"

namespace autolr::optim::detail {

// The key of `param` in an Optimizer's state map. LibTorch 1.13 uses
// c10::guts::to_string(impl), which streams the pointer, 2.x the pointer.
template <typename Map>
typename Map::key_type state_key(const Map&, const torch::Tensor& param) {
  using Key = typename Map::key_type;
  if constexpr (std::is_same_v<Key, std::string>) {
    std::ostringstream out;
    out << param.unsafeGetTensorImpl();
    return out.str();
  } else {
    return static_cast<Key>(param.unsafeGetTensorImpl());
  }
}

// The state of `param`, or nullptr before its first step.
template <typename State, typename Map>
State* find_state(Map& state, const torch::Tensor& param) {
  auto it = state.find(state_key(state, param));
  return it == state.end() ? nullptr : static_cast<State*>(it->second.get());
}

template <typename State, typename Map>
State& new_state(Map& state, const torch::Tensor& param) {
  auto& slot = state[state_key(state, param)];
  slot = std::make_unique<State>();
  return static_cast<State&>(*slot);
}

// The options a caller gave a group (nullptr for none: the defaults apply);
// throws InvalidArgument for another optimizer's options.
template <typename Options>
const Options* given_options(const torch::optim::OptimizerParamGroup& group, std::size_t index, const char* optimizer,
                             const char* options_name) {
  if (!group.has_options()) return nullptr;
  const torch::optim::OptimizerOptions& given = group.options();
  const auto* options = dynamic_cast<const Options*>(&given);
  AUTOLR_CHECK_ARGUMENT(options != nullptr, optimizer, fmt::format("the options of param group {}", index),
                        c10::demangle(typeid(given).name()), fmt::format("autolr::optim::{}", options_name));
  return options;
}

// LibTorch 2.x's add_param_group keeps a group's own options only for its own
// optimizers (it merges them into a copy of the defaults) and gives every other
// optimizer's groups the defaults; 1.13 keeps them. This puts the caller's
// options back into `added` (the group add_param_group made of `given`), the
// same on both.
template <typename Options>
void adopt_group_options(const torch::optim::OptimizerParamGroup& given, torch::optim::OptimizerParamGroup& added,
                         std::size_t index, const char* optimizer, const char* options_name) {
  if (const Options* options = given_options<Options>(given, index, optimizer, options_name)) {
    added.set_options(std::make_unique<Options>(*options));
  }
}

template <typename Options>
void adopt_group_options(const std::vector<torch::optim::OptimizerParamGroup>& given,
                         std::vector<torch::optim::OptimizerParamGroup>& groups, const char* optimizer,
                         const char* options_name) {
  for (std::size_t i = 0; i < given.size() && i < groups.size(); ++i) {
    adopt_group_options<Options>(given[i], groups[i], i, optimizer, options_name);
  }
}

// LibTorch 1.13's serialize(InputArchive&, Optimizer&) restores the state but
// not the groups' options (2.x does both); the options hold the per-group
// scalars of these optimizers, so read them back here on both.
template <typename Options>
void load_group_options(torch::serialize::InputArchive& archive,
                        std::vector<torch::optim::OptimizerParamGroup>& groups) {
  torch::serialize::InputArchive groups_archive;
  archive.read("param_groups", groups_archive);
  for (std::size_t i = 0; i < groups.size(); ++i) {
    torch::serialize::InputArchive group_archive;
    groups_archive.read("param_groups/" + std::to_string(i), group_archive);
    torch::serialize::InputArchive options_archive;
    group_archive.read("options", options_archive);
    Options options(0);
    options.serialize(options_archive);
    groups[i].set_options(std::make_unique<Options>(options));
  }
}

inline bool finite(double value) { return std::isfinite(value); }
inline std::string text(double value) { return autolr::detail::format_double(value); }
inline std::string text(int64_t value) { return std::to_string(value); }

// Where an options check failed: the defaults, or param group i.
inline std::string where(const char* options_name, std::ptrdiff_t group) {
  return group < 0 ? std::string(options_name) : fmt::format("{} of param group {}", options_name, group);
}

}  // namespace autolr::optim::detail
