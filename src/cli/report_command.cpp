#include "cli/report_command.h"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "autolr/error.h"
#include "autolr/report.h"
#include "cli/bad_option.h"
#include "cli/exit_status.h"
#include "cli/output_path.h"
#include "core/printable.h"

namespace autolr::cli {
namespace {

namespace fs = std::filesystem;

struct ReportArguments {
  std::vector<std::string> inputs;
  std::string out;  // empty: report.html for the page, standard output for --markdown and --json
  bool markdown = false;
  bool json = false;
  std::string title = ReportOptions().title();
};

int run_report(const ReportArguments& a) {
  if (a.markdown && a.json) throw InvalidArgument("--markdown and --json: expected one of them, not both");
  for (const auto& input : a.inputs) {
    std::error_code error;
    if (!fs::exists(input, error)) bad_option("DIR", input, "an existing folder of run records (or a record file)");
  }
  const ReportFormat format = a.markdown ? ReportFormat::Markdown : a.json ? ReportFormat::Json : ReportFormat::Html;
  const std::string out = !a.out.empty() ? a.out : format == ReportFormat::Html ? "report.html" : "-";
  const bool to_stdout = out == "-";
  if (!to_stdout) {
    std::error_code error;
    if (fs::is_directory(out, error)) bad_option("--out", out, "a file to write, not a folder");
    for (const auto& input : a.inputs) check_not_the_input("--out", out, input);
  }

  const RunCollection runs = collect_run_records(a.inputs);
  if (!to_stdout) {
    // Not over a record it is reporting on (--out runs/a.json), nor a file it skipped.
    for (const auto& run : runs.runs) check_not_the_input("--out", out, run.path);
  }
  for (const auto& problem : runs.problems) std::cerr << "autolr report: skipped " << problem << '\n';
  if (runs.runs.empty()) {
    std::string inputs;
    for (const auto& input : a.inputs) inputs += (inputs.empty() ? "" : ", ") + autolr::detail::for_message(input);
    std::cerr << "autolr report: no run records in " << inputs << ": nothing to report\n";
    return kNoAnswer;
  }
  const ReportOptions options = ReportOptions().title(a.title).sources(a.inputs);
  if (to_stdout) {
    std::cout << render_report(runs, format, options);
    return kSuccess;
  }
  write_report(out, runs, format, options);
  const std::vector<RunReview> rows = review_runs(runs, options.review());
  const auto looks = std::count_if(rows.begin(), rows.end(), [](const RunReview& r) { return r.needs_look(); });
  std::cout << fmt::format("wrote {}: {} run{}, {} to look at{}\n", out, rows.size(), rows.size() == 1 ? "" : "s",
                           looks,
                           runs.problems.empty() ? "" : fmt::format(", {} file(s) skipped", runs.problems.size()));
  return kSuccess;
}

}  // namespace

void add_report_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<ReportArguments>();
  CLI::App* cmd = app.add_subcommand(
      "report", "One page of many runs from their run records (demo --record-dir), the ones to look at first");
  cmd->add_option("DIR", args->inputs, "folders searched for *.json run records (recursively), or record files")
      ->required();
  cmd->add_option("--out", args->out,
                  "the file to write (default report.html; with --markdown or --json standard output; - for it)");
  cmd->add_flag("--markdown", args->markdown, "write the summary table as Markdown instead of the page");
  cmd->add_flag("--json", args->json, "write the summary table as JSON (the same rows, doubtful first)");
  cmd->add_option("--title", args->title, "the page's title (autolr runs)");
  cmd->callback([args, &exit_code] { exit_code = run_report(*args); });
}

}  // namespace autolr::cli
