// Reads a curve and prints fastai's valley suggestion, through the installed package.
#include <autolr/curve_csv.h>
#include <autolr/suggest.h>

#include <cstdio>

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  const autolr::LRCurve curve = autolr::read_curve_csv(argv[1]);
  const autolr::Suggestion valley = autolr::suggest(curve, autolr::Method::Valley);
  if (!valley.lr) return 1;
  std::printf("valley: %g at index %zu\n", *valley.lr, *valley.index);
  return 0;
}
