// libFuzzer target: any bytes as a curve CSV, then every suggester and the
// plot on whatever the reader accepts. autolr::Error is the expected answer to
// bad input; anything else (a crash, a sanitizer report, another exception)
// is a bug. Run by tools/fuzz for a bounded time.

#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include "autolr/curve_csv.h"
#include "autolr/error.h"
#include "autolr/plot.h"
#include "autolr/suggest.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    std::istringstream in(text);
    const autolr::LRCurve curve = autolr::parse_curve_csv(in, "fuzz.csv");
    // The first byte picks the slide rules' window, so short and long windows are both tried.
    const std::size_t lr_diff = size > 0 ? 1 + data[0] % 40 : 15;
    auto options = autolr::SuggestOptions()
                       .slide(autolr::SlideOptions().lr_diff(lr_diff))
                       .slide_forum(autolr::SlideForumOptions().lr_diff(lr_diff));
    auto suggestions = autolr::suggest_all(curve, options);
    suggestions.push_back(autolr::suggest(curve, autolr::Method::DescentStart, options));
    for (auto series : {autolr::LossSeries::Raw, autolr::LossSeries::Smoothed}) {
      autolr::suggest_all(curve, autolr::SuggestOptions(options).loss_series(series).skip_start(0).skip_end(0));
    }
    const std::string svg = autolr::render_svg(curve, suggestions);
    if (svg.find("</svg>") == std::string::npos) __builtin_trap();
  } catch (const autolr::Error&) {
    // Bad input, rejected with a message: what autolr promises.
  }
  return 0;
}
