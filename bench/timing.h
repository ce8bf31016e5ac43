#pragma once
// What the wall-clock benchmarks share: timing one piece of work, and the
// median of repeated timings (one slow run on a noisy machine moves a mean).

#include <algorithm>
#include <chrono>
#include <functional>
#include <vector>

namespace autolr::bench {

inline double seconds(const std::function<void()>& work) {
  const auto start = std::chrono::steady_clock::now();
  work();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

inline double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

}  // namespace autolr::bench
