#include "autolr/plot.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "autolr/curve_csv.h"
#include "autolr/error.h"
#include "autolr/one_cycle_schedule.h"
#include "test_support.h"

namespace autolr {
namespace {

bool have_rsvg_convert() { return std::system("command -v rsvg-convert >/dev/null 2>&1") == 0; }

// Width and height from a PNG's IHDR chunk.
std::pair<unsigned, unsigned> png_size(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  unsigned char header[24] = {};
  in.read(reinterpret_cast<char*>(header), sizeof header);
  const auto be32 = [&](int at) {
    return (unsigned{header[at]} << 24) | (unsigned{header[at + 1]} << 16) | (unsigned{header[at + 2]} << 8) |
           unsigned{header[at + 3]};
  };
  if (std::string(reinterpret_cast<char*>(header) + 1, 3) != "PNG") return {0, 0};
  return {be32(16), be32(20)};
}

TEST(Plot, SvgHasBothPanelsEverySuggestionAndTheSlideWindow) {
  const LRCurve curve = read_curve_csv(test::curve_path("clean_valley"));
  const auto suggestions = suggest_all(curve);
  const std::string svg = render_svg(curve, suggestions, PlotOptions().title("clean <valley> & co"));
  EXPECT_EQ(svg.rfind("<?xml", 0), 0u);
  EXPECT_NE(svg.find("learning rate (log scale)"), std::string::npos);
  EXPECT_NE(svg.find("loss gradient per step"), std::string::npos);
  EXPECT_NE(svg.find("clean &lt;valley&gt; &amp; co"), std::string::npos) << "text must be escaped";
  for (const auto& s : suggestions) EXPECT_NE(svg.find(to_string(s.method) + ": "), std::string::npos);
  EXPECT_NE(svg.find("slide window: points"), std::string::npos);
  EXPECT_EQ(svg.find("nan"), std::string::npos) << "no NaN coordinates";
}

TEST(Plot, RsvgConvertRendersEveryCurveShapeToPng) {
  if (!have_rsvg_convert()) GTEST_SKIP() << "rsvg-convert not installed (apt-get install librsvg2-bin)";
  test::TempDir dir;
  for (const char* name : {"clean_valley", "nan_tail", "inf_tail", "plateau", "two_points_down", "hairpin", "long"}) {
    SCOPED_TRACE(name);
    const LRCurve curve = read_curve_csv(test::curve_path(name));
    const std::string svg_path = dir.file(std::string(name) + ".svg");
    const std::string png_path = dir.file(std::string(name) + ".png");
    write_svg(svg_path, curve, suggest_all(curve), PlotOptions().width(640).height(480));
    const std::string command = "rsvg-convert -o '" + png_path + "' '" + svg_path + "' 2>'" + dir.file("err") + "'";
    ASSERT_EQ(std::system(command.c_str()), 0) << test::read_file(dir.file("err"));
    EXPECT_EQ(png_size(png_path), (std::pair<unsigned, unsigned>{640, 480}));
  }
}

TEST(Plot, RejectsTinySizesAndUnwritablePaths) {
  const LRCurve curve = read_curve_csv(test::curve_path("clean_valley"));
  EXPECT_THROW_WITH(render_svg(curve, {}, PlotOptions().width(10)), InvalidArgument,
                    "width = 10, expected at least 300");
  EXPECT_THROW_WITH(write_svg("/nonexistent/dir/plot.svg", curve, {}), FormatError, "/nonexistent/dir/plot.svg");
}

// Whether `text` is valid UTF-8 (written out here, not the code under test).
bool valid_utf8(const std::string& text) {
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    const std::size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (n == 0 || i + n > text.size()) return false;
    for (std::size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(text[i + k]) >> 6) != 0x2) return false;
    }
    i += n;
  }
  return true;
}

TEST(Plot, ATitleThatIsNotUtf8OrHoldsControlCharactersStillGivesAValidDocument) {
  const LRCurve curve = read_curve_csv(test::curve_path("clean_valley"));
  const std::string title = "bad \xff\x01 name\x7f\tend";  // a file name, say
  for (const std::string& svg :
       {render_svg(curve, suggest_all(curve), PlotOptions().title(title)),
        render_schedule_svg(OneCycleSchedule(OneCycleOptions(0.1).total_steps(10)), PlotOptions().title(title))}) {
    EXPECT_TRUE(valid_utf8(svg));
    EXPECT_NE(svg.find("bad \xEF\xBF\xBD name\tend"), std::string::npos) << "U+FFFD for the byte, no control";
    EXPECT_EQ(svg.find('\x01'), std::string::npos);
    if (have_rsvg_convert()) {
      test::TempDir dir;
      std::ofstream(dir.file("t.svg")) << svg;
      EXPECT_EQ(
          std::system(("rsvg-convert -o '" + dir.file("t.png") + "' '" + dir.file("t.svg") + "' 2>/dev/null").c_str()),
          0);
    }
  }
}

// A point per step made a schedule of 10^12 steps unplottable (and 10^7 a 140 MB file).
TEST(Plot, ALongScheduleIsDrawnFromAFewThousandOfItsSteps) {
  const OneCycleSchedule schedule(OneCycleOptions(0.1).total_steps(10'000'000));
  const std::string svg = render_schedule_svg(schedule);
  EXPECT_LT(svg.size(), 1u << 20);
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
}

TEST(Plot, EmptyCurveStillGivesAValidDocument) {
  const std::string svg = render_svg(LRCurve(), {});
  EXPECT_NE(svg.find("empty curve"), std::string::npos);
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
}

TEST(Plot, ShowsWhatAutoReadAndItsConfidence) {
  const LRCurve curve = read_curve_csv(test::curve_path("clean_valley"));
  const Suggestion automatic = suggest(curve, Method::Auto);
  const std::string with_auto = render_svg(curve, {automatic});
  EXPECT_NE(with_auto.find("what auto read: lag-free smoothing"), std::string::npos);
  EXPECT_NE(with_auto.find(fmt::format("confidence {:.2f}", *automatic.confidence)), std::string::npos);
  EXPECT_NE(with_auto.find("stroke-dasharray:6 3"), std::string::npos) << "the lag-free curve is drawn";
  const std::string without = render_svg(curve, {suggest(curve, Method::Valley)});
  EXPECT_EQ(without.find("lag-free"), std::string::npos);
  EXPECT_EQ(without.find("stroke-dasharray:6 3"), std::string::npos);
}

}  // namespace
}  // namespace autolr
