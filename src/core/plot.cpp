#include "autolr/plot.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "autolr/error.h"
#include "autolr/suggest.h"
#include "core/check.h"
#include "core/suggest/curve_checks.h"
#include "core/svg_canvas.h"
#include "core/text_file.h"

namespace autolr {
namespace {

using detail::Box;
using detail::draw_axes;
using detail::Scale;
using detail::SvgCanvas;

constexpr const char* kPalette[] = {"#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"};
using detail::kLabelStyle;

using detail::Range;
using detail::readable_range;

// The points before the first NaN/inf loss: where suggestions can sit and
// where the gradient is defined.
struct FinitePrefix {
  std::vector<double> lrs, losses;
  FinitePrefix(const std::vector<double>& all_lrs, const std::vector<double>& all_losses) {
    const auto end = std::find_if(all_losses.begin(), all_losses.end(), [](double v) { return !std::isfinite(v); });
    const auto count = end - all_losses.begin();
    lrs.assign(all_lrs.begin(), all_lrs.begin() + count);
    losses.assign(all_losses.begin(), end);
  }
};

Range merge(Range a, Range b) { return {std::min(a.low, b.low), std::max(a.high, b.high)}; }

// The gradient's range over the descent (up to the lowest loss), widened: at a
// blow-up the gradient grows by orders of magnitude and would flatten the
// part where the slide rule decides.
Range descent_gradient_range(const std::vector<double>& gradient, const std::vector<double>& losses) {
  if (gradient.empty()) return {-1, 1};
  const auto lowest = static_cast<std::size_t>(
      std::min_element(losses.begin(), losses.begin() + static_cast<std::ptrdiff_t>(gradient.size())) - losses.begin());
  const std::size_t end = std::min(gradient.size(), lowest + 2);
  const auto [low, high] = std::minmax_element(gradient.begin(), gradient.begin() + static_cast<std::ptrdiff_t>(end));
  const double lo = std::min(*low, 0.0);
  const double hi = std::max(*high, 0.0);
  const double pad = 0.25 * (hi - lo);
  return {lo - pad, hi + pad};
}

// numpy.interp in log10(lr): the loss drawn under a suggested LR.
double loss_at(const std::vector<double>& lrs, const std::vector<double>& losses, double lr) {
  if (lr <= lrs.front()) return losses.front();
  if (lr >= lrs.back()) return losses.back();
  const auto upper = static_cast<std::size_t>(std::upper_bound(lrs.begin(), lrs.end(), lr) - lrs.begin());
  const double t =
      (std::log10(lr) - std::log10(lrs[upper - 1])) / (std::log10(lrs[upper]) - std::log10(lrs[upper - 1]));
  return losses[upper - 1] + t * (losses[upper] - losses[upper - 1]);
}

void draw_loss_panel(SvgCanvas& svg, const Box& box, const LRCurve& curve, const std::vector<double>& losses,
                     const FinitePrefix& finite, const std::vector<Suggestion>& suggestions) {
  const Scale x(curve.lrs().front(), curve.lrs().back(), box.left, box.right(), true);
  const bool draw_raw = &losses != &curve.losses();
  const Range range = draw_raw ? merge(readable_range(losses), readable_range(curve.losses())) : readable_range(losses);
  const Scale y(range.low, range.high, box.bottom(), box.top, false);
  draw_axes(svg, box, x, y, "learning rate (log scale)", "loss");
  svg.clip_rect("loss-panel", box.left, box.top, box.width, box.height);

  const auto points = [&](const std::vector<double>& values) {
    std::vector<std::pair<double, double>> xy;
    for (std::size_t i = 0; i < values.size(); ++i) xy.emplace_back(x(curve.lrs()[i]), y(values[i]));
    return xy;
  };
  if (draw_raw) svg.polyline(points(curve.losses()), "stroke:#bbb;stroke-width:1", "loss-panel");
  svg.polyline(points(losses), "stroke:#1f77b4;stroke-width:2", "loss-panel");
  // What auto read: the raw losses smoothed without lag, not the lagging EMA.
  const bool has_auto = std::any_of(suggestions.begin(), suggestions.end(),
                                    [](const Suggestion& s) { return s.method == Method::Auto; });
  const FinitePrefix raw(curve.lrs(), curve.losses());
  const bool draw_lag_free = has_auto && raw.losses.size() >= 2;
  constexpr const char* kLagFreeStyle = "stroke:#333;stroke-width:1.5;stroke-dasharray:6 3";
  if (draw_lag_free)
    svg.polyline(points(smooth_in_log_lr(raw.lrs, raw.losses, AutoSuggestOptions().window_decades())), kLagFreeStyle,
                 "loss-panel");

  // The legend sits in the lower left corner, below the curve's start and
  // left of its valley, where a range-test curve rarely goes.
  const double rows = static_cast<double>(suggestions.size() + (draw_lag_free ? 1 : 0));
  const double legend_top = box.bottom() - 17.0 * rows - 10;
  double legend_y = legend_top + 14;
  svg.rect(box.left + 4, legend_top, 236, 17.0 * rows + 6, "fill:white;fill-opacity:0.85;stroke:#ccc");
  if (draw_lag_free) {
    svg.line(box.left + 9, legend_y - 4, box.left + 21, legend_y - 4, kLagFreeStyle);
    svg.text(box.left + 26, legend_y, "what auto read: lag-free smoothing", kLabelStyle);
    legend_y += 17;
  }
  for (std::size_t i = 0; i < suggestions.size(); ++i) {
    const Suggestion& s = suggestions[i];
    const char* color = kPalette[i % std::size(kPalette)];
    std::string label = to_string(s.method) + ": ";
    if (s.lr) {
      if (!finite.losses.empty()) {
        svg.circle(x(*s.lr), y(loss_at(finite.lrs, finite.losses, *s.lr)), 5,
                   fmt::format("fill:{};stroke:white;stroke-width:1", color));
      }
      label += fmt::format("{:.3g}", *s.lr);
    } else {
      label += "no answer";
    }
    if (s.confidence) label += fmt::format(", confidence {:.2f}", *s.confidence);
    if (!s.warnings.empty()) label += " (!)";
    svg.circle(box.left + 15, legend_y - 4, 5, fmt::format("fill:{}", color));
    svg.text(box.left + 26, legend_y, label, kLabelStyle);
    legend_y += 17;
  }
}

void draw_gradient_panel(SvgCanvas& svg, const Box& box, std::size_t points, const FinitePrefix& finite,
                         const std::vector<Suggestion>& suggestions) {
  const auto gradient = detail::index_gradient(finite.losses);
  const Scale x(0, static_cast<double>(std::max<std::size_t>(points, 2) - 1), box.left, box.right(), false);
  const Range range = descent_gradient_range(gradient, finite.losses);
  const Scale y(range.low, range.high, box.bottom(), box.top, false);
  draw_axes(svg, box, x, y, "index of the learning rate", "loss gradient per step");
  svg.clip_rect("gradient-panel", box.left, box.top, box.width, box.height);
  svg.line(box.left, y(0), box.right(), y(0), "stroke:#888;stroke-width:1;stroke-dasharray:4 3");

  const auto window = std::find_if(suggestions.begin(), suggestions.end(), [](const Suggestion& s) {
    return (s.method == Method::Slide || s.method == Method::SlideForum) && s.evidence;
  });
  if (window != suggestions.end() && window->evidence->last < gradient.size()) {
    const Span span = *window->evidence;
    const double left = x(static_cast<double>(span.first));
    const double right = x(static_cast<double>(span.last));
    svg.rect(left, box.top, right - left, box.height, "fill:#ffdd88;fill-opacity:0.45;stroke:none");
    for (std::size_t end : {span.first, span.last}) {
      svg.circle(x(static_cast<double>(end)), y(gradient[end]), 5, "fill:#d62728;stroke:white;stroke-width:1");
    }
    svg.text(left + 4, box.top + 16,
             fmt::format("{} window: points {}..{}", to_string(window->method), span.first, span.last), kLabelStyle);
  }
  std::vector<std::pair<double, double>> xy;
  for (std::size_t i = 0; i < gradient.size(); ++i) xy.emplace_back(x(static_cast<double>(i)), y(gradient[i]));
  svg.polyline(xy, "stroke:#1f77b4;stroke-width:1.5", "gradient-panel");
}

}  // namespace

std::string render_svg(const LRCurve& curve, const std::vector<Suggestion>& suggestions, const PlotOptions& options) {
  SvgCanvas svg(options.width(), options.height());
  const detail::TwoPanelLayout panels =
      detail::two_panel_layout(svg, "render_svg", options.width(), options.height(), options.title());
  if (curve.empty()) {
    svg.text(options.width() / 2.0, options.height() / 2.0, "empty curve: nothing recorded", kLabelStyle, "middle");
    return svg.finish();
  }
  const auto& losses = select_losses(curve, options.loss_series());
  const FinitePrefix finite(curve.lrs(), losses);
  draw_loss_panel(svg, panels.top, curve, losses, finite, suggestions);
  draw_gradient_panel(svg, panels.bottom, losses.size(), finite, suggestions);
  return svg.finish();
}

void write_svg(const std::string& path, const LRCurve& curve, const std::vector<Suggestion>& suggestions,
               const PlotOptions& options) {
  const std::string svg = render_svg(curve, suggestions, options);
  detail::write_text_file(path, svg);
}

}  // namespace autolr
