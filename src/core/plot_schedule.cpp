// The one-cycle schedule as a picture: LR and momentum against the step.

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "autolr/error.h"
#include "autolr/plot.h"
#include "core/check.h"
#include "core/svg_canvas.h"
#include "core/text_file.h"

namespace autolr {
namespace {

using detail::Box;
using detail::Scale;

// More points than a plot has pixels draw nothing more: a schedule of 10^12
// steps is drawn from this many, evenly spaced, the first and last included.
constexpr int64_t kMaxPlottedSteps = 4000;

std::vector<int64_t> plotted_steps(int64_t total_steps) {
  std::vector<int64_t> steps;
  if (total_steps <= kMaxPlottedSteps) {
    for (int64_t step = 0; step < total_steps; ++step) steps.push_back(step);
    return steps;
  }
  const double spacing = static_cast<double>(total_steps - 1) / static_cast<double>(kMaxPlottedSteps - 1);
  for (int64_t i = 0; i + 1 < kMaxPlottedSteps; ++i)
    steps.push_back(static_cast<int64_t>(static_cast<double>(i) * spacing));
  steps.push_back(total_steps - 1);
  return steps;
}

void draw_series(detail::SvgCanvas& svg, const Box& box, const std::vector<int64_t>& steps,
                 const std::vector<double>& values, const std::string& label, const char* color) {
  const auto [low, high] = std::minmax_element(values.begin(), values.end());
  const double pad = 0.05 * (*high - *low);
  const Scale x(0, static_cast<double>(std::max<int64_t>(steps.back(), 1)), box.left, box.right(), false);
  const Scale y(*low - pad, *high + pad, box.bottom(), box.top, false);
  detail::draw_axes(svg, box, x, y, "step", label);
  std::vector<std::pair<double, double>> points;
  for (std::size_t i = 0; i < values.size(); ++i) points.emplace_back(x(static_cast<double>(steps[i])), y(values[i]));
  svg.polyline(points, fmt::format("stroke:{};stroke-width:2", color));
}

}  // namespace

std::string render_schedule_svg(const OneCycleSchedule& schedule, const PlotOptions& options) {
  detail::SvgCanvas svg(options.width(), options.height());
  const detail::TwoPanelLayout panels =
      detail::two_panel_layout(svg, "render_schedule_svg", options.width(), options.height(), options.title());
  const std::vector<int64_t> steps = plotted_steps(schedule.total_steps());
  std::vector<double> lrs, momentums;
  for (int64_t step : steps) {
    lrs.push_back(schedule.lr(step));
    momentums.push_back(schedule.momentum(step));
  }
  draw_series(svg, panels.top, steps, lrs, "learning rate", "#1f77b4");
  draw_series(svg, panels.bottom, steps, momentums, "momentum / beta1", "#d62728");
  return svg.finish();
}

void write_schedule_svg(const std::string& path, const OneCycleSchedule& schedule, const PlotOptions& options) {
  const std::string svg = render_schedule_svg(schedule, options);
  detail::write_text_file(path, svg);
}

}  // namespace autolr
