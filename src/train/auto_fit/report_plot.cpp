#include "autolr/auto_fit.h"

namespace autolr {
namespace {

std::vector<Suggestion> marked_suggestions(const AutoFitReport& report) {
  std::vector<Suggestion> marked = report.suggestions;
  marked.push_back(report.descent_start);
  return marked;
}

ProbeMarks probe_marks(const AutoFitReport& report) {
  return ProbeMarks::of_fit(report.probe ? report.probe->fits : std::vector<ProbeFit>{}, report.group_max_lrs);
}

}  // namespace

std::string render_svg(const AutoFitReport& report, PlotOptions options) {
  return render_svg(report.curve, marked_suggestions(report), options.probes(probe_marks(report)));
}

void write_svg(const std::string& path, const AutoFitReport& report, PlotOptions options) {
  write_svg(path, report.curve, marked_suggestions(report), options.probes(probe_marks(report)));
}

}  // namespace autolr
