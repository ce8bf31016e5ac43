#pragma once
/// Chained setters for options structs, in the style of LibTorch's TORCH_ARG,
/// without pulling in torch: `SlideOptions().lr_diff(40).threshold(0.01)`.

#define AUTOLR_ARG(T, name)                                       \
 public:                                                          \
  inline auto name(const T& new_##name)->decltype(*this) {        \
    this->name##_ = new_##name;                                   \
    return *this;                                                 \
  }                                                               \
  inline const T& name() const noexcept { return this->name##_; } \
  inline T& name() noexcept { return this->name##_; }             \
                                                                  \
 private:                                                         \
  T name##_
