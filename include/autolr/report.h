#pragma once
/// A folder of run records (autolr/record.h) as one page: the runs a person
/// should look at first, with the reason, then the rest; a thumbnail of each
/// range test, a detail section per run and a scatter of chosen LR against
/// final validation loss. `autolr report` is a thin command over this.
/// The HTML page is one self-contained file (inline CSS, SVG and a small
/// sorting script; no network), readable from file://.

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "autolr/arg.h"
#include "autolr/record.h"

namespace autolr {

/// The records found under some folders, and what could not be read.
struct RunCollection {
  struct Run {
    std::string path;  ///< the file it was read from
    RunRecord record;
  };
  std::vector<Run> runs;  ///< in path order
  /// One line per skipped file or folder, "<path>: <why>": not JSON, cut
  /// short, not a run record, a newer or unknown schema, cannot be read.
  std::vector<std::string> problems;
};

/// Reads every *.json file under `paths`: folders are searched recursively
/// (links to folders are not followed), in path order; a path that is a file
/// is read whatever its name. A file reached twice is read once. Never throws
/// for a bad file or folder: each becomes one line in `problems`.
RunCollection collect_run_records(const std::vector<std::string>& paths);

/// What makes a run worth a person's look.
struct ReviewOptions {
  /// Method::Auto's confidence below this is doubtful.
  AUTOLR_ARG(double, min_confidence) = 0.5;
  /// A chosen LR within this fraction of the range's log span of either end.
  AUTOLR_ARG(double, edge_fraction) = 0.05;
};

/// One reason to look at a run.
struct Doubt {
  /// low_confidence, warnings, no_answer, not_trained, diverged, got_worse,
  /// lr_at_edge, empty_curve, duplicate_name
  std::string kind;
  std::string text;  ///< for a person: "low confidence 0.31 (< 0.5)"
};

/// One row of the summary.
struct RunReview {
  std::size_t run = 0;        ///< index in RunCollection::runs
  std::vector<Doubt> doubts;  ///< empty when nothing calls for a look
  std::optional<double> chosen_lr;
  /// Where the chosen LR sits in the range test's log span: 0 its start, 1 its end.
  std::optional<double> lr_position;
  std::optional<double> confidence;
  std::vector<std::string> warnings;  ///< the chosen suggestion's warning kinds
  std::optional<double> first_valid_loss, final_valid_loss, final_train_loss, final_metric;
  bool duplicate_name = false;

  bool needs_look() const { return !doubts.empty(); }
};

/// A row per run: those that need a look first (more reasons first), then
/// the rest; by name, then path, within each.
std::vector<RunReview> review_runs(const RunCollection& runs, const ReviewOptions& options = {});

struct ReportOptions {
  AUTOLR_ARG(std::string, title) = "autolr runs";
  AUTOLR_ARG(ReviewOptions, review) = {};
  /// The folders the runs were read from, named on the page.
  AUTOLR_ARG(std::vector<std::string>, sources) = {};
};

enum class ReportFormat {
  Html,      ///< the page
  Markdown,  ///< the summary table as Markdown text
  Json,      ///< the summary table as data (schema "autolr.report.v1")
};

/// The page: every text from a record is escaped. Sort the table by
/// clicking a header, or open it with #sort=KEY (#sort=-KEY descending;
/// KEY one of order, name, why, lr, method, confidence, warnings, loss,
/// metric, epochs, created); #run-N opens run N's details.
std::string render_report_html(const RunCollection& runs, const ReportOptions& options = {});
std::string render_report_markdown(const RunCollection& runs, const ReportOptions& options = {});
std::string render_report_json(const RunCollection& runs, const ReportOptions& options = {});
std::string render_report(const RunCollection& runs, ReportFormat format, const ReportOptions& options = {});

/// Writes render_report() to `path` whole or not at all. Throws FormatError naming the path.
void write_report(const std::string& path, const RunCollection& runs, ReportFormat format,
                  const ReportOptions& options = {});

}  // namespace autolr
