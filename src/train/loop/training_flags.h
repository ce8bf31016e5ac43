#pragma once
// Saving and putting back every module's train/eval flag: evaluation switches
// the whole model to eval mode, and a snapshot restores the flags a range
// test found (a frozen BatchNorm may be in eval while the rest trains).

#include <torch/nn/module.h>

#include <vector>

namespace autolr::detail {

class TrainingFlags {
 public:
  explicit TrainingFlags(torch::nn::Module& model) : model_(model) {
    for (const auto& module : model.modules(/*include_self=*/true)) flags_.push_back(module->is_training());
  }
  /// modules() lists parents before children, so a child's own flag wins.
  void restore() const {
    std::size_t i = 0;
    for (const auto& module : model_.modules(/*include_self=*/true)) module->train(flags_[i++]);
  }

 private:
  torch::nn::Module& model_;
  std::vector<bool> flags_;
};

/// Puts the flags back when it goes out of scope.
class TrainingFlagsGuard {
 public:
  explicit TrainingFlagsGuard(torch::nn::Module& model) : flags_(model) {}
  ~TrainingFlagsGuard() { flags_.restore(); }
  TrainingFlagsGuard(const TrainingFlagsGuard&) = delete;
  TrainingFlagsGuard& operator=(const TrainingFlagsGuard&) = delete;

 private:
  TrainingFlags flags_;
};

}  // namespace autolr::detail
