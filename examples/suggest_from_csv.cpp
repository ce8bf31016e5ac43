// Suggest a learning rate on a curve recorded by any tool (fastai,
// torch-lr-finder, Lightning, or autolr itself), without LibTorch.
//
//   build/examples/suggest_from_csv examples/curves/fashion_mnist_mlp_sgd.csv out.svg

#include <autolr/curve_csv.h>
#include <autolr/plot.h>
#include <autolr/suggest.h>

#include <cstdio>
#include <exception>

int main(int argc, char** argv) try {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s CURVE.csv OUT.svg\n", argv[0]);
    return 2;
  }
  // [readme-suggest]
  // A CSV with columns lr, loss and optionally smooth_loss.
  const autolr::LRCurve curve = autolr::read_curve_csv(argv[1]);

  // fastai's default, with fastai's trimming (num_iter/10 at the start, 5 at the end).
  const autolr::Suggestion valley = autolr::suggest(curve, autolr::Method::Valley);

  // The forum's slide rule with a wider window, as users tuned it per data set.
  const autolr::Suggestion slide = autolr::suggest(
      curve, autolr::Method::SlideForum,
      autolr::SuggestOptions().slide_forum(autolr::SlideForumOptions().lr_diff(40).loss_threshold(0.05)));

  for (const autolr::Suggestion& s : {valley, slide}) {
    if (s.lr) {
      std::printf("%-12s lr %.3g (point %zu)\n", autolr::to_string(s.method).c_str(), *s.lr, *s.index);
    } else {
      std::printf("%-12s no answer\n", autolr::to_string(s.method).c_str());
    }
    for (const autolr::Warning& w : s.warnings) std::printf("  warning: %s\n", w.message.c_str());
  }

  // Both panels: loss vs LR with the suggestions, gradient with the slide window.
  autolr::write_svg(argv[2], curve, {valley, slide});
  // [readme-suggest]
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "suggest_from_csv: %s\n", e.what());
  return 1;
}
