#pragma once
/// Chained setters for options structs, as LibTorch's TORCH_ARG (copy and
/// move setters, const and mutable getters), without pulling in torch:
/// `SlideOptions().lr_diff(40).threshold(0.01)`.

#include <utility>

#define AUTOLR_ARG(T, name)                                       \
 public:                                                          \
  inline auto name(const T& new_##name)->decltype(*this) {        \
    this->name##_ = new_##name;                                   \
    return *this;                                                 \
  }                                                               \
  inline auto name(T&& new_##name)->decltype(*this) {             \
    this->name##_ = std::move(new_##name);                        \
    return *this;                                                 \
  }                                                               \
  inline const T& name() const noexcept { return this->name##_; } \
  inline T& name() noexcept { return this->name##_; }             \
                                                                  \
 private:                                                         \
  T name##_
