#include "autolr/plot.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <sstream>
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
  for (const char* name : {"clean_valley", "nan_tail", "inf_tail", "plateau", "two_points_down", "hairpin", "long",
                           "only_rises", "no_blowup"}) {
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

// The x1 of every <line> drawn with `style`, in document order.
std::vector<double> line_xs(const std::string& svg, const std::string& style) {
  std::vector<double> xs;
  const std::string tail = "style=\"" + style + "\"/>";
  for (std::size_t at = svg.find(tail); at != std::string::npos; at = svg.find(tail, at + 1)) {
    const std::size_t start = svg.rfind("<line x1=\"", at);
    if (start != std::string::npos && svg.find('\n', start) > at) xs.push_back(std::stod(svg.substr(start + 10)));
  }
  return xs;
}

ProbeFit probe_at(double offset, double lr, double loss, bool diverged = false) {
  ProbeFit fit;
  fit.offset = offset;
  fit.group_max_lrs = {lr / 10, lr};  // a slice: the highest group is the one marked
  fit.loss = loss;
  fit.diverged = diverged;
  return fit;
}

// Every probe's and the trained LR's label (rotated to run down its line
// from its anchor; the axis titles are rotated too, and left out).
struct LineLabel {
  double x, y;
  std::string text;
};
std::vector<LineLabel> line_labels(const std::string& svg) {
  std::vector<LineLabel> labels;
  const std::string key = "transform=\"rotate(-90 ";
  for (std::size_t at = svg.find(key); at != std::string::npos; at = svg.find(key, at + 1)) {
    const std::size_t start = svg.find('>', at) + 1;
    const std::string text = svg.substr(start, svg.find('<', start) - start);
    if (text.rfind("probe", 0) != 0 && text.rfind("trained", 0) != 0) continue;
    std::istringstream numbers(svg.substr(at + key.size(), 40));
    LineLabel label{0, 0, text};
    numbers >> label.x >> label.y;
    labels.push_back(label);
  }
  return labels;
}

// No two labels cover the same stretch of one strip (a rotated 12 px label
// is 13 px wide; its glyphs are under 7 px long on average).
void expect_no_label_over_another(const std::vector<LineLabel>& labels) {
  for (std::size_t i = 0; i < labels.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      const LineLabel &a = labels[i], &b = labels[j];
      const bool same_strip = std::abs(a.x - b.x) < 13;
      const bool same_stretch = a.y < b.y + 6.6 * b.text.size() && b.y < a.y + 6.6 * a.text.size();
      EXPECT_FALSE(same_strip && same_stretch) << "'" << a.text << "' over '" << b.text << "'";
    }
  }
}

TEST(Plot, MarksEachProbeFitWithItsLossAndTheLrItTrainedWith) {
  const LRCurve curve = read_curve_csv(test::curve_path("clean_valley"));
  const Suggestion automatic = suggest(curve, Method::Auto);
  ASSERT_TRUE(automatic.lr);
  const double lr = *automatic.lr;
  ProbeMarks marks;
  marks.fits = {probe_at(-0.5, lr / std::sqrt(10.0), 0.4125), probe_at(0, lr, 0.3875),
                probe_at(0.5, lr * std::sqrt(10.0), 2.5, true), probe_at(20, lr * 1e20, 0.1)};
  marks.trained_lr = lr;
  const std::string svg = render_svg(curve, {automatic}, PlotOptions().probes(marks));

  EXPECT_NE(svg.find("probe -0.5: loss 0.4125"), std::string::npos);
  EXPECT_NE(svg.find("probe +0: loss 0.3875"), std::string::npos);
  EXPECT_NE(svg.find("probe +0.5: diverged"), std::string::npos);
  EXPECT_EQ(svg.find("probe +20"), std::string::npos) << "a probe outside the LR range is not drawn";
  EXPECT_NE(svg.find(fmt::format("trained: {:.3g}", lr)), std::string::npos);
  EXPECT_NE(svg.find("4 probe fits, loss each reached"), std::string::npos) << "the legend says what the lines are";
  EXPECT_NE(svg.find(fmt::format("trained with {:.3g}", lr)), std::string::npos);
  EXPECT_EQ(svg.find("nan"), std::string::npos);

  // Each line is where its LR is: the trained one through auto's dot, the
  // probes half a decade either side, the diverged one in red.
  const std::vector<double> probes = line_xs(svg, "stroke:#555;stroke-width:1.5;stroke-dasharray:2 3");
  const std::vector<double> diverged = line_xs(svg, "stroke:#d62728;stroke-width:1.5;stroke-dasharray:2 3");
  const std::vector<double> trained = line_xs(svg, "stroke:#000;stroke-width:2");
  ASSERT_EQ(probes.size(), 3u) << "two probes and the legend's sample";
  ASSERT_EQ(diverged.size(), 1u);
  ASSERT_EQ(trained.size(), 2u) << "the line and the legend's sample";
  const std::size_t dot = svg.find("<circle cx=\"");
  ASSERT_NE(dot, std::string::npos);
  EXPECT_NEAR(trained[0], std::stod(svg.substr(dot + 12)), 0.01);
  EXPECT_NEAR(probes[1], trained[0], 0.01);
  EXPECT_NEAR(probes[1] - probes[0], diverged[0] - probes[1], 0.02) << "equal steps on the log axis";
  EXPECT_GT(probes[1] - probes[0], 10);
  // The trained line lies on probe +0's: their labels take different sides.
  const auto labels = line_labels(svg);
  ASSERT_EQ(labels.size(), 4u) << "3 probes in range and the trained LR";
  expect_no_label_over_another(labels);
  // Four lines on one LR: two labels a side, one below the other.
  ProbeMarks crowded;
  crowded.fits = {probe_at(-0.01, lr, 0.5), probe_at(0, lr, 0.4), probe_at(0.01, lr, 0.3)};
  crowded.trained_lr = lr;
  const auto stacked = line_labels(render_svg(curve, {automatic}, PlotOptions().probes(crowded)));
  ASSERT_EQ(stacked.size(), 4u);
  expect_no_label_over_another(stacked);
  if (have_rsvg_convert()) {  // rotated labels and all, a renderer takes it
    test::TempDir dir;
    write_svg(dir.file("probes.svg"), curve, {automatic}, PlotOptions().probes(marks));
    const std::string command = "rsvg-convert -o '" + dir.file("probes.png") + "' '" + dir.file("probes.svg") + "'";
    EXPECT_EQ(std::system(command.c_str()), 0);
    EXPECT_EQ(png_size(dir.file("probes.png")), (std::pair<unsigned, unsigned>{900, 760}));
  }

  const std::string plain = render_svg(curve, {automatic});
  EXPECT_EQ(plain.find("probe"), std::string::npos) << "no marks unless asked";
  EXPECT_EQ(plain.find("trained"), std::string::npos);
}

struct Rect {
  double x, y, width, height;
};

// The legend's box: the one rectangle drawn in its style.
Rect legend_rect(const std::string& svg) {
  const std::size_t style = svg.find("style=\"fill:white;fill-opacity:0.85;stroke:#ccc\"");
  const std::size_t start = svg.rfind("<rect ", style);
  Rect r{};
  EXPECT_EQ(std::sscanf(svg.c_str() + start, R"(<rect x="%lf" y="%lf" width="%lf" height="%lf")", &r.x, &r.y, &r.width,
                        &r.height),
            4);
  return r;
}

// The points of every curve drawn in the loss panel.
std::vector<std::pair<double, double>> loss_panel_points(const std::string& svg) {
  std::vector<std::pair<double, double>> points;
  const std::string clip = "clip-path=\"url(#loss-panel)\"";
  for (std::size_t at = svg.find(clip); at != std::string::npos; at = svg.find(clip, at + 1)) {
    const std::size_t begin = svg.rfind("points=\"", at) + 8;
    std::istringstream coordinates(svg.substr(begin, svg.find('"', begin) - begin));
    double x = 0, y = 0;
    char comma = 0;
    while (coordinates >> x >> comma >> y) points.emplace_back(x, y);
  }
  return points;
}

TEST(Plot, TheLegendGoesWhereItCoversNoCurve) {
  // Lowest at the start: the lower left corner, where the legend usually
  // sits, holds the curve's start.
  const LRCurve rising = read_curve_csv(test::curve_path("only_rises"));
  const LRCurve valley = read_curve_csv(test::curve_path("clean_valley"));
  for (const LRCurve* curve : {&rising, &valley}) {
    const std::string svg = render_svg(*curve, suggest_all(*curve));
    const Rect legend = legend_rect(svg);
    const auto points = loss_panel_points(svg);
    ASSERT_GT(points.size(), 100u);
    for (const auto& [x, y] : points) {
      ASSERT_FALSE(x >= legend.x && x <= legend.x + legend.width && y >= legend.y && y <= legend.y + legend.height)
          << "the legend covers the curve at " << x << "," << y;
    }
  }
  const Rect moved = legend_rect(render_svg(rising, suggest_all(rising)));
  const Rect lower_left = legend_rect(render_svg(valley, suggest_all(valley)));
  EXPECT_TRUE(moved.x != lower_left.x || moved.y != lower_left.y) << "out of the lower left corner";
}

TEST(Plot, RejectsProbeMarksWithoutAFinitePositiveLr) {
  const LRCurve curve = read_curve_csv(test::curve_path("clean_valley"));
  ProbeMarks no_groups;
  no_groups.fits = {probe_at(0, 1e-3, 0.5), ProbeFit()};
  EXPECT_THROW_WITH(render_svg(curve, {}, PlotOptions().probes(no_groups)), InvalidArgument,
                    "render_svg: options.probes.fits[1].group_max_lrs = [], expected one finite value > 0");
  ProbeMarks negative;
  negative.fits = {probe_at(0, -1e-3, 0.5)};
  EXPECT_THROW_WITH(render_svg(curve, {}, PlotOptions().probes(negative)), InvalidArgument,
                    "options.probes.fits[0].group_max_lrs = [-0.0001, -0.001]");
  ProbeMarks bad_trained;
  bad_trained.trained_lr = std::numeric_limits<double>::infinity();
  EXPECT_THROW_WITH(write_svg("/nonexistent/dir/plot.svg", curve, {}, PlotOptions().probes(bad_trained)),
                    InvalidArgument, "options.probes.trained_lr = inf, expected a finite value > 0");
}

}  // namespace
}  // namespace autolr
