// Reads a curve and prints every suggester's answer, through the installed
// core alone (no LibTorch on the include path or the link line).
#include <autolr/core.h>

#include <cstdio>

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  const autolr::LRCurve curve = autolr::read_curve_csv(argv[1]);
  int answered = 0;
  for (const autolr::Suggestion& s : autolr::suggest_all(curve)) {
    if (!s.lr) continue;
    std::printf("%s: %g at index %zu\n", autolr::to_string(s.method).c_str(), *s.lr, *s.index);
    ++answered;
  }
  return answered > 0 ? 0 : 1;
}
