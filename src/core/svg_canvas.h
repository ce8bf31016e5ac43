#pragma once
// A minimal SVG writer and the axis scales the plots need. Internal to autolr.

#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace autolr::detail {

/// Maps data values to pixels along one axis, linearly or in log10.
class Scale {
 public:
  Scale(double data_low, double data_high, double pixel_low, double pixel_high, bool log10);
  double operator()(double value) const;
  /// Tick values inside the data range: decades on a log scale, 1-2-5 steps on a linear one.
  std::vector<double> ticks() const;
  bool is_log() const { return log_; }

 private:
  double low_, high_, pixel_low_, pixel_high_;
  bool log_;
};

/// Axis tick label: "1e-05" on a log scale, shortest plain form on a linear one.
std::string tick_label(double value, bool log10);

class SvgCanvas {
 public:
  SvgCanvas(int width, int height);

  void rect(double x, double y, double width, double height, const std::string& style);
  void line(double x1, double y1, double x2, double y2, const std::string& style);
  /// A polyline through the points; breaks into pieces where a point is not finite.
  void polyline(const std::vector<std::pair<double, double>>& points, const std::string& style,
                const std::string& clip_id = "");
  void circle(double x, double y, double radius, const std::string& style);
  /// anchor: start, middle or end.
  void text(double x, double y, const std::string& content, const std::string& style,
            const std::string& anchor = "start", double rotate_degrees = 0);
  /// Defines a rectangular clip region usable by polyline().
  void clip_rect(const std::string& id, double x, double y, double width, double height);

  std::string finish();

 private:
  std::ostringstream body_;
  std::ostringstream defs_;
  int width_, height_;
};

/// `text` as XML character data: markup characters escaped, bytes that are
/// not valid UTF-8 replaced by U+FFFD and control characters other than tab
/// and newline dropped, so any file name or label gives a valid document.
std::string escape_xml(const std::string& text);

struct Range {
  double low, high;
};

/// The y range that keeps a loss curve readable, for the plots and the
/// report's thumbnails alike: down to the lowest finite value, up to a bit
/// above the values before it or the median value, whichever is higher (a
/// curve lowest at its start has nothing before it); a diverged tail
/// (often 1e6 times the minimum) is clipped, not drawn to scale. Never
/// empty, also for a flat curve.
Range readable_range(const std::vector<double>& values);

/// A plotting area in pixels.
struct Box {
  double left, top, width, height;
  double right() const { return left + width; }
  double bottom() const { return top + height; }
};

/// Grid lines, tick labels, the frame and the two axis titles of a panel.
void draw_axes(SvgCanvas& svg, const Box& box, const Scale& x, const Scale& y, const std::string& x_label,
               const std::string& y_label);

inline constexpr const char* kLabelStyle = "font-size:12px;fill:#333";

/// The layout of autolr's plots, in one place for the curve and the
/// schedule: a title, then two panels stacked with room for their axes.
struct TwoPanelLayout {
  Box top, bottom;
};
/// Checks width and height (at least 300 each, naming `where`), draws the
/// title on `svg` and returns the panels.
TwoPanelLayout two_panel_layout(SvgCanvas& svg, const char* where, int width, int height, const std::string& title);

}  // namespace autolr::detail
