#include "autolr/plot.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <utility>

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

double highest_lr(const ProbeFit& fit) { return *std::max_element(fit.group_max_lrs.begin(), fit.group_max_lrs.end()); }

bool positive_finite(double value) { return value > 0 && std::isfinite(value); }

void check_probe_marks(const ProbeMarks& marks) {
  for (std::size_t i = 0; i < marks.fits.size(); ++i) {
    const auto& lrs = marks.fits[i].group_max_lrs;
    const bool ok = !lrs.empty() && std::all_of(lrs.begin(), lrs.end(), positive_finite);
    AUTOLR_CHECK_ARGUMENT(ok, "render_svg", fmt::format("options.probes.fits[{}].group_max_lrs", i),
                          fmt::format("[{}]", fmt::join(lrs, ", ")), "one finite value > 0 per param group");
  }
  if (marks.trained_lr) {
    AUTOLR_CHECK_ARGUMENT(positive_finite(*marks.trained_lr), "render_svg", "options.probes.trained_lr",
                          detail::format_double(*marks.trained_lr), "a finite value > 0");
  }
}

constexpr const char* kProbeStyle = "stroke:#555;stroke-width:1.5;stroke-dasharray:2 3";
constexpr const char* kDivergedProbeStyle = "stroke:#d62728;stroke-width:1.5;stroke-dasharray:2 3";
constexpr const char* kTrainedStyle = "stroke:#000;stroke-width:2";

// Where a vertical line's rotated label goes: the side of the line and how
// far down the panel it starts. Labels of lines a few pixels apart (a probe
// at the LR the fit trained with) take the other side, then the space below
// the labels already there.
class LineLabels {
 public:
  explicit LineLabels(const Box& box) : box_(box) {}
  // The label's baseline x and top y for a line at x = `at`.
  std::pair<double, double> place(double at, const std::string& label) {
    constexpr double kGlyphs = 13;                                  // a rotated 12 px label's width
    const double length = 6.6 * static_cast<double>(label.size());  // 12 px glyphs, on average
    std::vector<double> tops{box_.top + 6};
    for (const Placed& p : placed_) tops.push_back(p.bottom + 8);
    std::sort(tops.begin(), tops.end());
    for (const double top : tops) {
      if (top + length > box_.bottom()) break;
      for (const double baseline : {at - 4, at + 4 + kGlyphs}) {
        const bool free = std::none_of(placed_.begin(), placed_.end(), [&](const Placed& p) {
          return std::abs(p.baseline - baseline) < kGlyphs && top < p.bottom && p.top < top + length;
        });
        if (free) {
          placed_.push_back({baseline, top, top + length});
          return {baseline, top};
        }
      }
    }
    return {at - 4, box_.top + 6};  // crowded beyond that: overlap rather than hide
  }

 private:
  struct Placed {
    double baseline, top, bottom;
  };
  Box box_;
  std::vector<Placed> placed_;
};

// A vertical line across the panel at `lr` with `label` written down along
// it; false, and nothing drawn, outside the LR range.
bool draw_lr_line(SvgCanvas& svg, const Box& box, const Scale& x, double lr, const std::string& style,
                  const std::string& label, LineLabels& labels) {
  const double at = x(lr);
  if (!(at >= box.left && at <= box.right())) return false;
  svg.line(at, box.top, at, box.bottom(), style);
  const auto [baseline, top] = labels.place(at, label);
  svg.text(baseline, top, label, kLabelStyle, "end", -90);
  return true;
}

constexpr double kLegendWidth = 270;  // "auto: no answer, confidence 0.00 (!)" fits

// The corner of `panel` where a legend of this size covers the fewest drawn
// points: lower left first (below a range test's start, left of its
// valley), then lower right, upper right, upper left.
Box legend_box(const Box& panel, double width, double height, const std::vector<std::pair<double, double>>& drawn) {
  const double left = panel.left + 4, right = panel.right() - 4 - width;
  const double top = panel.top + 4, bottom = panel.bottom() - 4 - height;
  Box best{};
  std::size_t fewest = SIZE_MAX;
  const std::initializer_list<std::pair<double, double>> corners = {
      {left, bottom}, {right, bottom}, {right, top}, {left, top}};
  for (const auto& [corner_left, corner_top] : corners) {
    const Box candidate{corner_left, corner_top, width, height};
    const auto covered = static_cast<std::size_t>(std::count_if(drawn.begin(), drawn.end(), [&](const auto& point) {
      return point.first >= candidate.left && point.first <= candidate.right() && point.second >= candidate.top &&
             point.second <= candidate.bottom();
    }));
    if (covered < fewest) {
      fewest = covered;
      best = candidate;
    }
  }
  return best;
}

// Returns the legend rows the marks need; adds the lines' points to `drawn`.
int draw_probe_marks(SvgCanvas& svg, const Box& box, const Scale& x, const ProbeMarks& marks,
                     std::vector<std::pair<double, double>>& drawn) {
  LineLabels labels(box);
  const auto mark = [&](double lr, const char* style, const std::string& label) {
    if (!draw_lr_line(svg, box, x, lr, style, label, labels)) return;
    for (double at = box.top; at <= box.bottom(); at += 8) drawn.emplace_back(x(lr), at);
  };
  for (const ProbeFit& fit : marks.fits) {
    const std::string result = fit.diverged ? "diverged" : fmt::format("loss {:.4g}", fit.loss);
    mark(highest_lr(fit), fit.diverged ? kDivergedProbeStyle : kProbeStyle,
         fmt::format("probe {:+.3g}: {}", fit.offset, result));
  }
  if (marks.trained_lr) mark(*marks.trained_lr, kTrainedStyle, fmt::format("trained: {:.3g}", *marks.trained_lr));
  return (marks.fits.empty() ? 0 : 1) + (marks.trained_lr ? 1 : 0);
}

void draw_loss_panel(SvgCanvas& svg, const Box& box, const LRCurve& curve, const std::vector<double>& losses,
                     const FinitePrefix& finite, const std::vector<Suggestion>& suggestions, const ProbeMarks& probes) {
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
  // Every drawn point, so that the legend can go where the fewest are.
  std::vector<std::pair<double, double>> drawn;
  const auto draw = [&](const std::vector<std::pair<double, double>>& xy, const char* style) {
    svg.polyline(xy, style, "loss-panel");
    drawn.insert(drawn.end(), xy.begin(), xy.end());
  };
  if (draw_raw) draw(points(curve.losses()), "stroke:#bbb;stroke-width:1");
  draw(points(losses), "stroke:#1f77b4;stroke-width:2");
  // What auto read: the raw losses smoothed without lag, not the lagging EMA.
  const bool has_auto =
      std::any_of(suggestions.begin(), suggestions.end(), [](const Suggestion& s) { return s.method == Method::Auto; });
  const FinitePrefix raw(curve.lrs(), curve.losses());
  const bool draw_lag_free = has_auto && raw.losses.size() >= 2;
  constexpr const char* kLagFreeStyle = "stroke:#333;stroke-width:1.5;stroke-dasharray:6 3";
  if (draw_lag_free) {
    draw(points(smooth_in_log_lr(raw.lrs, raw.losses, AutoSuggestOptions().window_decades())), kLagFreeStyle);
  }

  const int probe_rows = draw_probe_marks(svg, box, x, probes, drawn);

  const double rows = static_cast<double>(suggestions.size() + (draw_lag_free ? 1 : 0) + probe_rows);
  if (rows == 0) return;
  const Box legend = legend_box(box, kLegendWidth, 17.0 * rows + 6, drawn);
  svg.rect(legend.left, legend.top, legend.width, legend.height, "fill:white;fill-opacity:0.85;stroke:#ccc");
  double legend_y = legend.top + 14;
  const auto row = [&](const std::string& label) {
    svg.text(legend.left + 22, legend_y, label, kLabelStyle);
    legend_y += 17;
  };
  const auto line_sample = [&](const char* style) {
    svg.line(legend.left + 5, legend_y - 4, legend.left + 17, legend_y - 4, style);
  };
  if (draw_lag_free) {
    line_sample(kLagFreeStyle);
    row("what auto read: lag-free smoothing");
  }
  if (!probes.fits.empty()) {
    line_sample(kProbeStyle);
    row(fmt::format("{} probe fits, loss each reached", probes.fits.size()));
  }
  if (probes.trained_lr) {
    line_sample(kTrainedStyle);
    row(fmt::format("trained with {:.3g}", *probes.trained_lr));
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
    svg.circle(legend.left + 11, legend_y - 4, 5, fmt::format("fill:{}", color));
    row(label);
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
    // Ends at the panel's right edge when it would run past it (~7 px a character).
    const std::string label = fmt::format("{} window: points {}..{}", to_string(window->method), span.first, span.last);
    if (left + 4 + 7.0 * static_cast<double>(label.size()) <= box.right()) {
      svg.text(left + 4, box.top + 16, label, kLabelStyle);
    } else {
      svg.text(box.right() - 4, box.top + 16, label, kLabelStyle, "end");
    }
  }
  std::vector<std::pair<double, double>> xy;
  for (std::size_t i = 0; i < gradient.size(); ++i) xy.emplace_back(x(static_cast<double>(i)), y(gradient[i]));
  svg.polyline(xy, "stroke:#1f77b4;stroke-width:1.5", "gradient-panel");
}

}  // namespace

ProbeMarks ProbeMarks::of_fit(std::vector<ProbeFit> fits, const std::vector<double>& group_max_lrs) {
  ProbeMarks marks{std::move(fits), std::nullopt};
  if (!group_max_lrs.empty()) marks.trained_lr = *std::max_element(group_max_lrs.begin(), group_max_lrs.end());
  return marks;
}

std::string render_svg(const LRCurve& curve, const std::vector<Suggestion>& suggestions, const PlotOptions& options) {
  SvgCanvas svg(options.width(), options.height());
  const detail::TwoPanelLayout panels =
      detail::two_panel_layout(svg, "render_svg", options.width(), options.height(), options.title());
  check_probe_marks(options.probes());
  if (curve.empty()) {
    svg.text(options.width() / 2.0, options.height() / 2.0, "empty curve: nothing recorded", kLabelStyle, "middle");
    return svg.finish();
  }
  const auto& losses = select_losses(curve, options.loss_series());
  const FinitePrefix finite(curve.lrs(), losses);
  draw_loss_panel(svg, panels.top, curve, losses, finite, suggestions, options.probes());
  draw_gradient_panel(svg, panels.bottom, losses.size(), finite, suggestions);
  return svg.finish();
}

void write_svg(const std::string& path, const LRCurve& curve, const std::vector<Suggestion>& suggestions,
               const PlotOptions& options) {
  const std::string svg = render_svg(curve, suggestions, options);
  detail::write_text_file(path, svg);
}

}  // namespace autolr
