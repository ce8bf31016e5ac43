#pragma once
/// Suggesters: read a recorded loss-vs-LR curve and pick a learning rate.
///
/// Two layers:
///  - `suggest_minimum`, `suggest_steep`, `suggest_valley`, `suggest_slide`,
///    `suggest_slide_forum`: pure functions of (lrs, losses) exactly as their
///    reference computes them, on points the caller already prepared (finite,
///    trimmed). Indices are positions in those vectors.
///  - `suggest(curve, method, options)`: trims the curve (fastai's defaults or
///    explicit skip_start/skip_end), keeps the finite points before the
///    curve's non-finite tail (a divergence), leaves out a NaN/inf with finite
///    points after it (a bad batch, with a NonFiniteLeftOut warning), calls
///    the method, maps indices back to the whole curve and adds the warnings
///    a user needs (too few points, no divergence, flat or noisy).
/// No suggester throws on a curve it cannot read: it returns no LR and says why.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "autolr/arg.h"
#include "autolr/curve.h"

namespace autolr {

enum class Method {
  Minimum,     ///< fastai: the LR at the lowest loss, divided by 10
  Steep,       ///< fastai: left end of the steepest descent in d loss / d ln(lr)
  Valley,      ///< fastai's default: inside the longest descending run
  Slide,       ///< fastai's interval slide rule (lr_diff 15, threshold 0.005)
  SlideForum,  ///< the original forum slide rule (lr_diff 15, loss_threshold 0.05)
  /// Not a max LR: where the descent starts (the first point 10% of the way
  /// down from the start to the lowest loss), the lower end of a
  /// discriminative slice(lo, hi). Not in all_methods().
  DescentStart,
  /// autolr's own, the default of auto_fit and the CLI: one decade below
  /// where the lag-free smoothed raw loss climbs back above its starting
  /// level (the range's end when it never does). Windows in decades of LR,
  /// thresholds relative to the curve: nothing to tune per data set. See
  /// bench/quality/results.md for how it was chosen and how it does.
  Auto,
};
/// The default suggester of auto_fit, LRFinder::suggest, the demo and
/// `autolr suggest`: one source for all of them.
inline constexpr Method kDefaultMethod = Method::Auto;

std::string to_string(Method method);
/// Accepts "minimum", "steep", "valley", "slide", "slide-forum", "descent-start", "auto".
/// Throws InvalidArgument naming `method`, its value and the valid names.
Method method_from_string(const std::string& name);
/// The methods that suggest a max LR: the fastai ones, then Auto (all but DescentStart).
const std::vector<Method>& all_methods();
/// "minimum, steep, ...": the names of `methods`, for messages and help texts.
std::string method_names(const std::vector<Method>& methods);

enum class WarningKind {
  TooFewPoints,    ///< fewer points than the method needs; no LR
  NoAnswer,        ///< the method's rule found nothing on this curve; no LR
  NoDivergence,    ///< the loss never rose by the end of the range: only a lower bound
  FlatCurve,       ///< the loss barely changes over the range
  NoisyCurve,      ///< noise larger than what the method can read
  NoWindowMet,     ///< slide: no window met the threshold; the answer is the first point
  FirstWindowMet,  ///< slide: the first window already met the threshold
  IndexWrapped,    ///< valley: fastai's index arithmetic gave -1, which Python wraps to the last point
  /// NaN/inf losses with finite ones after them, read as bad batches: left
  /// out, the points after them kept (a non-finite tail is a divergence).
  NonFiniteLeftOut,
  /// Auto: the curve answers less clearly than AutoSuggestOptions::min_confidence; no LR.
  LowConfidence,
};
std::string to_string(WarningKind kind);

struct Warning {
  WarningKind kind;
  std::string message;
};

/// Inclusive range of curve indices that decided a suggestion: the slide
/// rule's final window, the valley's descending run, the steepest segment,
/// the minimum point.
struct Span {
  std::size_t first = 0;
  std::size_t last = 0;
};

struct Suggestion {
  Method method = Method::Valley;
  std::optional<double> lr;          ///< none when the method has no answer
  std::optional<std::size_t> index;  ///< the point the LR was read from
  std::optional<Span> evidence;      ///< what decided it
  std::vector<Warning> warnings;
  /// Auto only: 0..1, how clearly the curve answers. 1 when the loss fell by
  /// 10 noise sigmas or more and blew up within the range; lower for flat or
  /// noisy curves; halved when the range ended before the blow-up.
  std::optional<double> confidence;

  bool has_warning(WarningKind kind) const;
};

/// The slide rules' adjust_value is a factor on the answer, such as 0.5 or 2:
/// a value past this would only ever give an absurd learning rate.
inline constexpr double kMaxAdjustValue = 1e6;
inline constexpr const char* kAdjustValueExpectation = "a finite value > 0, at most 1e6 (a factor on the answer)";

/// fastai's `slide`. lr_diff is in points (indices), threshold in loss units
/// per point, so both depend on num_iter and on the loss scale.
struct SlideOptions {
  AUTOLR_ARG(std::size_t, lr_diff) = 15;
  AUTOLR_ARG(double, threshold) = 0.005;
  AUTOLR_ARG(double, adjust_value) = 1.0;
};

/// The original forum rule ("interval slide rule").
struct SlideForumOptions {
  AUTOLR_ARG(std::size_t, lr_diff) = 15;
  AUTOLR_ARG(double, loss_threshold) = 0.05;
  AUTOLR_ARG(double, adjust_value) = 1.0;
};

/// The optimizer of the fit, as far as it moves where in the curve's valley
/// the best one-cycle max LR lies (bench/quality: SGD's lies closer to the
/// blow-up than Adam's).
enum class OptimizerFamily {
  Sgd,            ///< SGD with momentum (Nesterov too)
  SgdNoMomentum,  ///< SGD without momentum
  Adam,
  AdamW,
  RMSprop,
  Adagrad,
};
/// "sgd", "sgd-nomomentum", "adam", "adamw", "rmsprop", "adagrad".
std::string to_string(OptimizerFamily family);
/// Throws InvalidArgument naming `optimizer`, its value and the valid names.
OptimizerFamily optimizer_family_from_string(const std::string& name);
/// "sgd, sgd-nomomentum, ...": every family's name, for messages and help texts.
std::string optimizer_family_names();

/// What the fit knows that a curve cannot tell, for Method::Auto; each is
/// optional (auto_fit fills both in, the CLI takes --optimizer and --fit-steps).
struct FitFacts {
  AUTOLR_ARG(std::optional<OptimizerFamily>, optimizer);
  /// The optimizer steps the one-cycle fit will take (epochs x batches).
  AUTOLR_ARG(std::optional<int64_t>, fit_steps);
};

/// Method::Auto's knobs; the defaults were chosen on bench/quality's design part.
struct AutoSuggestOptions {
  /// Half-width of the smoothing window, in decades of LR.
  AUTOLR_ARG(double, window_decades) = 0.25;
  /// How far below the blow-up the answer is, in decades. Unset: from the
  /// fit's facts (auto_decades_below_blowup).
  AUTOLR_ARG(std::optional<double>, decades_below_blowup);
  AUTOLR_ARG(FitFacts, fit) = {};
  /// Below this confidence Auto gives no answer (WarningKind::LowConfidence),
  /// so that nobody trains with a guess: a curve whose descent is lost in its
  /// noise, or whose answer lies among its first points (confidence 0).
  /// Every design task of bench/quality had 0.06 or more. 0: always answer.
  AUTOLR_ARG(double, min_confidence) = 0.05;
};

/// How far below the blow-up Auto answers for a fit with these facts: 0.625
/// decades for SGD with momentum and Adagrad, 0.25 for plain SGD and
/// RMSprop, 1.125 for Adam and AdamW, 1 when the optimizer is not known.
/// fit_steps is taken but not used: on the design part the best offset
/// showed no trend with the fit's length.
double auto_decades_below_blowup(const FitFacts& fit);

/// Which loss series a suggester reads.
enum class LossSeries {
  Auto,      ///< smoothed when the smoothing was recorded with the curve, else the loss column as given
  Raw,       ///< the `loss` column / the raw per-step losses
  Smoothed,  ///< the smoothed losses (computed by autolr if the curve had none)
};

struct SuggestOptions {
  /// Points skipped at the start. Unset: fastai's planned_steps/10 (the curve's
  /// size/10 when the plan is unknown) for the fastai methods, 0 for slide-forum and auto.
  AUTOLR_ARG(std::optional<std::size_t>, skip_start);
  /// Points skipped at the end. Unset: 5 for the fastai methods, 0 for slide-forum and auto.
  AUTOLR_ARG(std::optional<std::size_t>, skip_end);
  /// Auto (the default) means: the raw losses for Method::Auto, which
  /// smooths them itself without lag; for the others as LossSeries::Auto says.
  AUTOLR_ARG(LossSeries, loss_series) = LossSeries::Auto;
  AUTOLR_ARG(SlideOptions, slide) = {};
  AUTOLR_ARG(SlideForumOptions, slide_forum) = {};
  AUTOLR_ARG(AutoSuggestOptions, auto_rule) = {};
};

// Pure functions on prepared points. Requires: lrs and losses of equal size,
// all finite, lrs > 0 and strictly increasing (Throws InvalidArgument otherwise).
Suggestion suggest_minimum(const std::vector<double>& lrs, const std::vector<double>& losses);
Suggestion suggest_steep(const std::vector<double>& lrs, const std::vector<double>& losses);
/// O(n log n): the longest strictly decreasing subsequence by patience sorting.
Suggestion suggest_valley(const std::vector<double>& lrs, const std::vector<double>& losses);
/// Throws InvalidArgument for lr_diff < 1, a negative or NaN threshold, adjust_value <= 0 or > kMaxAdjustValue.
Suggestion suggest_slide(const std::vector<double>& lrs, const std::vector<double>& losses,
                         const SlideOptions& options = {});
Suggestion suggest_slide_forum(const std::vector<double>& lrs, const std::vector<double>& losses,
                               const SlideForumOptions& options = {});
Suggestion suggest_descent_start(const std::vector<double>& lrs, const std::vector<double>& losses);
/// Throws InvalidArgument for window_decades or decades_below_blowup not finite and > 0 (>= 0).
Suggestion suggest_auto(const std::vector<double>& lrs, const std::vector<double>& losses,
                        const AutoSuggestOptions& options = {});
/// The lag-free smoothing Auto reads: a centred moving average over
/// +-window_decades of log10(lr), applied twice. O(n).
std::vector<double> smooth_in_log_lr(const std::vector<double>& lrs, const std::vector<double>& losses,
                                     double window_decades);

/// The loss series `series` selects on `curve`.
const std::vector<double>& select_losses(const LRCurve& curve, LossSeries series);

/// Suggests on a whole curve (see the top of this file).
/// Throws InvalidArgument for invalid method options; never for the curve's shape.
Suggestion suggest(const LRCurve& curve, Method method, const SuggestOptions& options = {});
/// Every method, in all_methods() order.
std::vector<Suggestion> suggest_all(const LRCurve& curve, const SuggestOptions& options = {});

}  // namespace autolr
