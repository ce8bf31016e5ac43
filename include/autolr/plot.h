#pragma once
/// SVG pictures of a range test, readable without Python or matplotlib:
/// loss vs LR on a log axis with each suggestion marked, and below it the
/// loss gradient per index with the slide rule's final window drawn, as in
/// the forum post that introduced the rule. With probe fits (auto_fit's
/// verified mode), each candidate LR is marked with the loss it reached.

#include <optional>
#include <string>
#include <vector>

#include "autolr/arg.h"
#include "autolr/curve.h"
#include "autolr/one_cycle_schedule.h"
#include "autolr/probe_choice.h"
#include "autolr/suggest.h"

namespace autolr {

/// What probe fits decided, for the loss panel: each fit at the highest of
/// its group_max_lrs, and the LR the fit then trained with.
struct ProbeMarks {
  std::vector<ProbeFit> fits;
  std::optional<double> trained_lr;  ///< the highest param group's max LR

  /// The marks of a fit: `fits`, and the highest of `group_max_lrs` (none
  /// when it is empty: the fit did not train).
  static ProbeMarks of_fit(std::vector<ProbeFit> fits, const std::vector<double>& group_max_lrs);
};

struct PlotOptions {
  AUTOLR_ARG(int, width) = 900;
  AUTOLR_ARG(int, height) = 760;
  AUTOLR_ARG(std::string, title) = "LR range test";
  /// The series drawn solid and differentiated in the lower panel; the raw
  /// loss is drawn faintly behind it when they differ.
  AUTOLR_ARG(LossSeries, loss_series) = LossSeries::Auto;
  /// Drawn as vertical lines labelled with their losses; none by default.
  AUTOLR_ARG(ProbeMarks, probes) = {};
};

/// Returns a complete SVG document.
/// Throws InvalidArgument for a width below 300 or a height below 300, or
/// for a probe fit without group_max_lrs or with one or a trained_lr that is
/// not finite and positive.
std::string render_svg(const LRCurve& curve, const std::vector<Suggestion>& suggestions,
                       const PlotOptions& options = {});

/// Writes render_svg()'s result to `path`. Throws FormatError when the file cannot be written.
void write_svg(const std::string& path, const LRCurve& curve, const std::vector<Suggestion>& suggestions,
               const PlotOptions& options = {});

/// Two panels: the LR and the momentum of `schedule` (group 0) against the step.
std::string render_schedule_svg(const OneCycleSchedule& schedule, const PlotOptions& options = {});
void write_schedule_svg(const std::string& path, const OneCycleSchedule& schedule, const PlotOptions& options = {});

}  // namespace autolr
