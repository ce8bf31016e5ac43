// suggest(): from a whole curve to a method's answer. Trims the curve the way
// the method's reference does, keeps the finite points before a divergent
// tail (leaving out bad batches), maps indices back to the whole curve and
// adds the warnings about the curve's shape.

#include "autolr/suggest.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "autolr/error.h"
#include "core/check.h"
#include "core/suggest/curve_checks.h"

namespace autolr {
namespace {

struct Names {
  Method method;
  const char* name;
};
constexpr Names kMethodNames[] = {{Method::Minimum, "minimum"},
                                  {Method::Steep, "steep"},
                                  {Method::Valley, "valley"},
                                  {Method::Slide, "slide"},
                                  {Method::SlideForum, "slide-forum"},
                                  {Method::DescentStart, "descent-start"},
                                  {Method::Auto, "auto"}};

// fastai's lr_find trims [num_it // 10 : -5]; the forum rule read the whole curve.
struct Trim {
  std::size_t start;
  std::size_t end;
};

Trim trim_for(const LRCurve& curve, Method method, const SuggestOptions& options) {
  const bool fastai = method != Method::SlideForum && method != Method::Auto;
  const std::size_t planned = curve.planned_steps().value_or(curve.size());
  return {options.skip_start().value_or(fastai ? planned / 10 : 0), options.skip_end().value_or(fastai ? 5 : 0)};
}

// One past the last finite loss: the non-finite losses from here on are the
// curve's divergent tail (the loss blew up and the test stopped).
std::size_t divergent_tail_start(const std::vector<double>& losses) {
  std::size_t end = losses.size();
  while (end > 0 && !std::isfinite(losses[end - 1])) --end;
  return end;
}

// The points of [begin, end) a method reads: the finite ones before the
// divergent tail. A non-finite loss with finite ones after it is a bad batch,
// not a divergence: it is left out, so it neither hides the rest of the
// curve nor reaches a method.
struct Points {
  std::vector<std::size_t> kept;      // curve indices
  std::vector<std::size_t> left_out;  // curve indices of the bad batches
};

Points points_to_read(const std::vector<double>& losses, std::size_t begin, std::size_t end) {
  Points points;
  const std::size_t stop = std::min(end, divergent_tail_start(losses));
  for (std::size_t i = begin; i < stop; ++i) (std::isfinite(losses[i]) ? points.kept : points.left_out).push_back(i);
  return points;
}

std::vector<double> pick(const std::vector<double>& values, const std::vector<std::size_t>& indices) {
  std::vector<double> picked;
  picked.reserve(indices.size());
  for (std::size_t i : indices) picked.push_back(values[i]);
  return picked;
}

std::optional<Warning> check_left_out(const std::vector<double>& losses, const std::vector<std::size_t>& left_out,
                                      const char* series) {
  if (left_out.empty()) return std::nullopt;
  constexpr std::size_t kNamed = 5;  // enough to find them; the count says the rest
  std::string named;
  for (std::size_t i = 0; i < std::min(left_out.size(), kNamed); ++i) {
    named += fmt::format("{}{}[{}] = {}", i == 0 ? "" : ", ", series, left_out[i],
                         detail::format_double(losses[left_out[i]]));
  }
  if (left_out.size() > kNamed) named += fmt::format(" and {} more", left_out.size() - kNamed);
  const bool one = left_out.size() == 1;
  return Warning{WarningKind::NonFiniteLeftOut,
                 fmt::format("{}: {} before the end, read as {} and left out", named,
                             one ? "a non-finite loss" : "non-finite losses", one ? "a bad batch" : "bad batches")};
}

Suggestion run_method(Method method, const std::vector<double>& lrs, const std::vector<double>& losses,
                      const SuggestOptions& options) {
  switch (method) {
    case Method::Minimum:
      return suggest_minimum(lrs, losses);
    case Method::Steep:
      return suggest_steep(lrs, losses);
    case Method::Valley:
      return suggest_valley(lrs, losses);
    case Method::Slide:
      return suggest_slide(lrs, losses, options.slide());
    case Method::SlideForum:
      return suggest_slide_forum(lrs, losses, options.slide_forum());
    case Method::DescentStart:
      return suggest_descent_start(lrs, losses);
    case Method::Auto:
      return suggest_auto(lrs, losses, options.auto_rule());
  }
  throw InvalidArgument(fmt::format("suggest: method = {}, expected a known method", static_cast<int>(method)));
}

void add_if(Suggestion& suggestion, std::optional<Warning> warning) {
  if (warning && !suggestion.has_warning(warning->kind)) suggestion.warnings.push_back(std::move(*warning));
}

}  // namespace

std::string to_string(Method method) {
  for (const auto& entry : kMethodNames) {
    if (entry.method == method) return entry.name;
  }
  return "unknown";
}

Method method_from_string(const std::string& name) {
  for (const auto& entry : kMethodNames) {
    if (name == entry.name) return entry.method;
  }
  std::vector<Method> every;
  for (const auto& entry : kMethodNames) every.push_back(entry.method);
  throw InvalidArgument(fmt::format("method = \"{}\", expected one of {}", name, method_names(every)));
}

std::string method_names(const std::vector<Method>& methods) {
  std::string names;
  for (Method method : methods) names += (names.empty() ? "" : ", ") + to_string(method);
  return names;
}

const std::vector<Method>& all_methods() {
  static const std::vector<Method> methods = {Method::Minimum, Method::Steep,      Method::Valley,
                                              Method::Slide,   Method::SlideForum, Method::Auto};
  return methods;
}

std::string to_string(WarningKind kind) {
  switch (kind) {
    case WarningKind::TooFewPoints:
      return "too_few_points";
    case WarningKind::NoAnswer:
      return "no_answer";
    case WarningKind::NoDivergence:
      return "no_divergence";
    case WarningKind::FlatCurve:
      return "flat_curve";
    case WarningKind::NoisyCurve:
      return "noisy_curve";
    case WarningKind::NoWindowMet:
      return "no_window_met";
    case WarningKind::FirstWindowMet:
      return "first_window_met";
    case WarningKind::IndexWrapped:
      return "index_wrapped";
    case WarningKind::NonFiniteLeftOut:
      return "non_finite_left_out";
    case WarningKind::LowConfidence:
      return "low_confidence";
  }
  return "unknown";
}

bool Suggestion::has_warning(WarningKind kind) const {
  return std::any_of(warnings.begin(), warnings.end(), [kind](const Warning& w) { return w.kind == kind; });
}

const std::vector<double>& select_losses(const LRCurve& curve, LossSeries series) {
  switch (series) {
    case LossSeries::Raw:
      return curve.losses();
    case LossSeries::Smoothed:
      return curve.smoothed_losses();
    case LossSeries::Auto:
      break;
  }
  return curve.smoothing_source() == SmoothingSource::Recorded ? curve.smoothed_losses() : curve.losses();
}

Suggestion suggest(const LRCurve& curve, Method method, const SuggestOptions& options) {
  const bool raw_for_auto = method == Method::Auto && options.loss_series() == LossSeries::Auto;
  const auto& losses = select_losses(curve, raw_for_auto ? LossSeries::Raw : options.loss_series());
  const Trim trim = trim_for(curve, method, options);
  const std::size_t begin = std::min(trim.start, curve.size());
  const std::size_t end = std::max(begin, curve.size() - std::min(trim.end, curve.size()));
  const Points points = points_to_read(losses, begin, end);

  const auto used = pick(losses, points.kept);
  Suggestion suggestion = run_method(method, pick(curve.lrs(), points.kept), used, options);
  if (suggestion.index) suggestion.index = points.kept[*suggestion.index];
  if (suggestion.evidence) {
    suggestion.evidence->first = points.kept[suggestion.evidence->first];
    suggestion.evidence->last = points.kept[suggestion.evidence->last];
  }

  add_if(suggestion, check_left_out(losses, points.left_out, &losses == &curve.losses() ? "loss" : "smooth_loss"));
  add_if(suggestion, detail::check_flat(used));
  add_if(suggestion, detail::check_noisy(used));
  // Divergence is judged on the whole curve: fastai's skip_end of 5 often cuts
  // off exactly the points where the loss blew up.
  const bool known_to_diverge = divergent_tail_start(losses) < curve.size() ||
                                curve.stop_reason() == StopReason::Diverged ||
                                curve.stop_reason() == StopReason::NonFiniteLoss;
  if (!known_to_diverge) {
    const auto whole = points_to_read(losses, 0, curve.size()).kept;
    add_if(suggestion, detail::check_no_divergence(pick(curve.lrs(), whole), pick(losses, whole)));
  }
  return suggestion;
}

std::vector<Suggestion> suggest_all(const LRCurve& curve, const SuggestOptions& options) {
  std::vector<Suggestion> suggestions;
  for (Method method : all_methods()) suggestions.push_back(suggest(curve, method, options));
  return suggestions;
}

}  // namespace autolr
