#include "core/svg_canvas.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <optional>

#include "core/check.h"
#include "core/printable.h"

namespace autolr::detail {

Scale::Scale(double data_low, double data_high, double pixel_low, double pixel_high, bool log10)
    : low_(log10 ? std::log10(data_low) : data_low),
      high_(log10 ? std::log10(data_high) : data_high),
      pixel_low_(pixel_low),
      pixel_high_(pixel_high),
      log_(log10) {
  if (!(high_ > low_)) {  // a single value: give it some room so the axis is not empty
    const double pad = low_ == 0 ? 1.0 : std::abs(low_) * 0.05;
    low_ -= pad;
    high_ += pad;
  }
}

double Scale::operator()(double value) const {
  const double v = log_ ? std::log10(value) : value;
  return pixel_low_ + (v - low_) / (high_ - low_) * (pixel_high_ - pixel_low_);
}

std::vector<double> Scale::ticks() const {
  std::vector<double> values;
  if (log_) {
    const double span = high_ - low_;
    const int step = std::max(1, static_cast<int>(std::ceil(span / 8)));  // at most ~8 decade labels
    if (!std::isfinite(low_) || !std::isfinite(high_)) return values;
    for (int e = static_cast<int>(std::ceil(low_ - 1e-9)); e <= static_cast<int>(std::floor(high_ + 1e-9)); ++e) {
      if (e % step == 0) values.push_back(std::pow(10.0, e));
    }
    return values;
  }
  const double raw_step = (high_ - low_) / 5;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw_step)));
  double step = magnitude;
  for (double factor : {1.0, 2.0, 5.0, 10.0}) {
    step = factor * magnitude;
    if (step >= raw_step) break;
  }
  // A range so small (or so large) that the step underflows or overflows gets no ticks, not an endless loop.
  if (!(step > 0) || !std::isfinite(step) || !std::isfinite(low_) || !std::isfinite(high_)) return values;
  for (double v = std::ceil(low_ / step) * step; v <= high_ + step * 1e-9 && values.size() < 50; v += step) {
    values.push_back(std::abs(v) < step * 1e-9 ? 0.0 : v);
  }
  return values;
}

std::string tick_label(double value, bool log10) {
  if (log10) return fmt::format("1e{}", static_cast<int>(std::lround(std::log10(value))));
  return fmt::format("{:.4g}", value);
}

std::string escape_xml(const std::string& text) {
  std::string out;
  for (std::size_t at = 0; at < text.size();) {
    const std::size_t length = utf8_sequence_length(text, at);
    const char c = text[at];
    // U+FFFE and U+FFFF are valid UTF-8 but not characters XML allows.
    const bool non_character =
        length == 3 && text.compare(at, 2, "\xEF\xBF") == 0 && static_cast<unsigned char>(text[at + 2]) >= 0xBE;
    if (length == 0 || non_character) {
      out += "\xEF\xBF\xBD";  // U+FFFD, the replacement character: XML must be valid UTF-8
    } else if (length > 1) {
      out.append(text, at, length);
    } else if (c == '&') {
      out += "&amp;";
    } else if (c == '<') {
      out += "&lt;";
    } else if (c == '>') {
      out += "&gt;";
    } else if (c == '"') {
      out += "&quot;";
    } else if (c == '\t' || c == '\n' || (c >= 0x20 && c != 0x7F)) {
      out += c;
    }  // other control characters are not allowed in XML 1.0: dropped
    at += length == 0 ? 1 : length;
  }
  return out;
}

SvgCanvas::SvgCanvas(int width, int height) : width_(width), height_(height) {}

void SvgCanvas::rect(double x, double y, double width, double height, const std::string& style) {
  body_ << fmt::format(R"(<rect x="{:.2f}" y="{:.2f}" width="{:.2f}" height="{:.2f}" style="{}"/>)", x, y, width,
                       height, style)
        << '\n';
}

void SvgCanvas::line(double x1, double y1, double x2, double y2, const std::string& style) {
  body_ << fmt::format(R"(<line x1="{:.2f}" y1="{:.2f}" x2="{:.2f}" y2="{:.2f}" style="{}"/>)", x1, y1, x2, y2, style)
        << '\n';
}

namespace {

using Point = std::pair<double, double>;

// The part of the segment p-q inside [left, right] x [top, bottom]
// (Liang-Barsky), none when it misses; an end inside is returned as it is.
std::optional<std::pair<Point, Point>> clip_segment(Point p, Point q, double left, double right, double top,
                                                    double bottom) {
  const double dx = q.first - p.first, dy = q.second - p.second;
  double enter = 0, leave = 1;
  for (const auto& [direction, room] : {std::pair{-dx, p.first - left}, std::pair{dx, right - p.first},
                                        std::pair{-dy, p.second - top}, std::pair{dy, bottom - p.second}}) {
    if (direction == 0) {
      if (room < 0) return std::nullopt;
      continue;
    }
    const double t = room / direction;
    if (direction < 0) {
      if (t > leave) return std::nullopt;
      enter = std::max(enter, t);
    } else {
      if (t < enter) return std::nullopt;
      leave = std::min(leave, t);
    }
  }
  const auto at = [&](double t) { return t == 0 ? p : t == 1 ? q : Point{p.first + t * dx, p.second + t * dy}; };
  return std::pair{at(enter), at(leave)};
}

}  // namespace

void SvgCanvas::polyline(const std::vector<std::pair<double, double>>& points, const std::string& style,
                         const std::string& clip_id) {
  const std::string clip = clip_id.empty() ? "" : fmt::format(R"svg( clip-path="url(#{})")svg", clip_id);
  std::vector<Point> piece;
  const auto flush = [&] {
    if (piece.size() >= 2) {
      std::string coordinates;
      for (const auto& [x, y] : piece) {
        coordinates += fmt::format("{}{:.2f},{:.2f}", coordinates.empty() ? "" : " ", x, y);
      }
      body_ << fmt::format(R"(<polyline points="{}" style="fill:none;{}"{}/>)", coordinates, style, clip) << '\n';
    }
    piece.clear();
  };
  // Segments are cut at a canvas' size beyond each edge: a diverged loss is
  // drawn at y = -1e13, which renderers give up on (rsvg: "NoMemory"), while
  // what is visible stays exactly where it was.
  const double left = -width_, right = 2.0 * width_, top = -height_, bottom = 2.0 * height_;
  const auto finite = [](const Point& p) { return std::isfinite(p.first) && std::isfinite(p.second); };
  for (std::size_t i = 1; i < points.size(); ++i) {
    const Point &p = points[i - 1], &q = points[i];
    const auto inside = finite(p) && finite(q) ? clip_segment(p, q, left, right, top, bottom) : std::nullopt;
    if (!inside) {
      flush();
      continue;
    }
    if (piece.empty() || piece.back() != inside->first) {
      flush();
      piece.push_back(inside->first);
    }
    piece.push_back(inside->second);
  }
  flush();
}

void SvgCanvas::circle(double x, double y, double radius, const std::string& style) {
  body_ << fmt::format(R"(<circle cx="{:.2f}" cy="{:.2f}" r="{:.2f}" style="{}"/>)", x, y, radius, style) << '\n';
}

void SvgCanvas::text(double x, double y, const std::string& content, const std::string& style,
                     const std::string& anchor, double rotate_degrees) {
  const std::string transform =
      rotate_degrees == 0 ? "" : fmt::format(R"svg( transform="rotate({} {:.2f} {:.2f})")svg", rotate_degrees, x, y);
  body_ << fmt::format(R"(<text x="{:.2f}" y="{:.2f}" text-anchor="{}" style="{}"{}>{}</text>)", x, y, anchor, style,
                       transform, escape_xml(content))
        << '\n';
}

void SvgCanvas::clip_rect(const std::string& id, double x, double y, double width, double height) {
  defs_ << fmt::format(R"(<clipPath id="{}"><rect x="{:.2f}" y="{:.2f}" width="{:.2f}" height="{:.2f}"/></clipPath>)",
                       id, x, y, width, height)
        << '\n';
}

std::string SvgCanvas::finish() {
  return fmt::format(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\" "
      "font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\">\n"
      "<defs>\n{2}</defs>\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n{3}</svg>\n",
      width_, height_, defs_.str(), body_.str());
}

void draw_axes(SvgCanvas& svg, const Box& box, const Scale& x, const Scale& y, const std::string& x_label,
               const std::string& y_label) {
  constexpr const char* kGridStyle = "stroke:#ddd;stroke-width:1";
  for (double tick : x.ticks()) {
    const double px = x(tick);
    svg.line(px, box.top, px, box.bottom(), kGridStyle);
    svg.text(px, box.bottom() + 16, tick_label(tick, x.is_log()), kLabelStyle, "middle");
  }
  for (double tick : y.ticks()) {
    const double py = y(tick);
    svg.line(box.left, py, box.right(), py, kGridStyle);
    svg.text(box.left - 6, py + 4, tick_label(tick, false), kLabelStyle, "end");
  }
  svg.rect(box.left, box.top, box.width, box.height, "fill:none;stroke:#333;stroke-width:1");
  svg.text(box.left + box.width / 2, box.bottom() + 34, x_label, "font-size:13px;fill:#111", "middle");
  svg.text(box.left - 58, box.top + box.height / 2, y_label, "font-size:13px;fill:#111", "middle", -90);
}

Range readable_range(const std::vector<double>& values) {
  std::vector<double> finite;
  for (double v : values) {
    if (std::isfinite(v)) finite.push_back(v);
  }
  if (finite.empty()) return {0, 1};
  const auto lowest = std::min_element(finite.begin(), finite.end());
  const double high_before = *std::max_element(finite.begin(), lowest + 1);
  const double high_all = *std::max_element(finite.begin(), finite.end());
  // A curve lowest at its start has nothing before its lowest point: then
  // the median distance from it sets the span, and still only a diverged
  // tail is clipped.
  std::vector<double> above(finite.size());
  std::transform(finite.begin(), finite.end(), above.begin(), [&](double v) { return v - *lowest; });
  std::nth_element(above.begin(), above.begin() + static_cast<std::ptrdiff_t>(above.size() / 2), above.end());
  const double typical = above[above.size() / 2];
  const double span = std::max({high_before - *lowest, typical, 1e-12 * std::max(1.0, std::abs(*lowest))});
  const double high = std::max(high_before, *lowest + typical);
  return {*lowest - 0.05 * span, std::min(high_all, high + 0.25 * span) + 0.05 * span};
}

TwoPanelLayout two_panel_layout(SvgCanvas& svg, const char* where, int width, int height, const std::string& title) {
  AUTOLR_CHECK_ARGUMENT(width >= 300, where, "width", std::to_string(width), "at least 300");
  AUTOLR_CHECK_ARGUMENT(height >= 300, where, "height", std::to_string(height), "at least 300");
  const double w = width;
  svg.text(w / 2, 26, title, "font-size:16px;font-weight:bold;fill:#111", "middle");
  const double panel = (height - 40 - 2 * 60) * 0.5;
  return {Box{80, 44, w - 110, panel}, Box{80, 44 + panel + 60, w - 110, panel}};
}

}  // namespace autolr::detail
