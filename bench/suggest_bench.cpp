// Every suggester on synthetic range-test curves of 100, 10^4 and 10^6 points.
// Goal (issue 2): valley on 10^6 points well under a second, where fastai's
// O(n^2) loop would need hours.
//
//   build/bench/suggest_bench

#include <benchmark/benchmark.h>

#include <cmath>
#include <random>
#include <vector>

#include "autolr/curve.h"
#include "autolr/suggest.h"

namespace {

struct Points {
  std::vector<double> lrs, losses;
};

// A noisy valley: flat, descent, blow-up, like a real smoothed range test.
Points make_curve(std::size_t n) {
  std::mt19937 rng(42);
  std::normal_distribution<double> noise(0.0, 0.01);
  Points p;
  p.lrs.resize(n);
  p.losses.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    const double t = static_cast<double>(i) / static_cast<double>(n - 1);
    p.lrs[i] = 1e-7 * std::pow(1e8, t);
    const double x = std::log10(p.lrs[i]);
    p.losses[i] =
        0.4 + 1.9 / (1 + std::exp((x + 3) / 0.33)) + (x > -0.5 ? std::expm1(3 * (x + 0.5)) : 0.0) + noise(rng);
  }
  return p;
}

template <typename Suggester>
void run(benchmark::State& state, Suggester suggester) {
  const Points p = make_curve(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(suggester(p.lrs, p.losses));
  state.SetComplexityN(state.range(0));
}

void BM_Minimum(benchmark::State& s) { run(s, autolr::suggest_minimum); }
void BM_Steep(benchmark::State& s) { run(s, autolr::suggest_steep); }
void BM_Valley(benchmark::State& s) { run(s, autolr::suggest_valley); }
void BM_Slide(benchmark::State& s) {
  run(s, [](const auto& lrs, const auto& losses) { return autolr::suggest_slide(lrs, losses); });
}
void BM_SlideForum(benchmark::State& s) {
  run(s, [](const auto& lrs, const auto& losses) { return autolr::suggest_slide_forum(lrs, losses); });
}

// The whole path a user calls: trimming, every method, the shape warnings.
void BM_SuggestAll(benchmark::State& state) {
  const Points p = make_curve(static_cast<std::size_t>(state.range(0)));
  const autolr::LRCurve curve(p.lrs, p.losses, p.losses);
  for (auto _ : state) benchmark::DoNotOptimize(autolr::suggest_all(curve));
}

}  // namespace

BENCHMARK(BM_Minimum)->Arg(100)->Arg(10000)->Arg(1000000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Steep)->Arg(100)->Arg(10000)->Arg(1000000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Valley)->Arg(100)->Arg(10000)->Arg(1000000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Slide)->Arg(100)->Arg(10000)->Arg(1000000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_SlideForum)->Arg(100)->Arg(10000)->Arg(1000000)->Unit(benchmark::kMicrosecond);

BENCHMARK(BM_SuggestAll)->Arg(100)->Arg(10000)->Arg(1000000)->Unit(benchmark::kMicrosecond);

BENCHMARK_MAIN();
