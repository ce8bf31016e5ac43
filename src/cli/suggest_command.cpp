#include "cli/suggest_command.h"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdint>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "autolr/curve_csv.h"
#include "autolr/error.h"
#include "autolr/plot.h"
#include "autolr/suggest.h"
#include "cli/bad_option.h"
#include "cli/exit_status.h"
#include "cli/json_output.h"
#include "cli/number_options.h"
#include "cli/output_path.h"
#include "core/check.h"
#include "core/json_text.h"

namespace autolr::cli {
namespace {

struct SuggestArguments {
  std::string file;
  std::string method = to_string(kDefaultMethod);
  std::optional<int> lr_diff;
  std::optional<double> threshold;
  std::optional<double> adjust;
  std::optional<int64_t> skip_start;
  std::optional<int64_t> skip_end;
  std::optional<int64_t> num_iter;
  std::optional<std::string> loss_column;
  std::optional<std::string> optimizer;
  std::optional<int64_t> fit_steps;
  bool json = false;
  std::string plot;
};

// Thrown for a bad option value; main prints it on one line and exits 2.
std::vector<Method> methods_from(const std::string& name) {
  if (name == "all") return all_methods();
  try {
    return {method_from_string(name)};
  } catch (const InvalidArgument&) {
    bad_option("--method", name, fmt::format("one of {}, descent-start, all", method_names(all_methods())));
  }
}

SuggestOptions options_from(const SuggestArguments& args, const LRCurve& curve, bool has_smooth_column) {
  SuggestOptions options;
  if (args.lr_diff) {
    if (*args.lr_diff < 1) bad_option("--lr-diff", std::to_string(*args.lr_diff), "at least 1");
    if (static_cast<std::size_t>(*args.lr_diff) >= curve.size()) {
      bad_option(
          "--lr-diff", std::to_string(*args.lr_diff),
          fmt::format("less than the {} points of {} (the window must fit in the curve)", curve.size(), args.file));
    }
    options.slide().lr_diff(static_cast<std::size_t>(*args.lr_diff));
    options.slide_forum().lr_diff(static_cast<std::size_t>(*args.lr_diff));
  }
  if (args.threshold) {
    if (!(*args.threshold >= 0)) bad_option("--threshold", detail::format_double(*args.threshold), "a value >= 0");
    options.slide().threshold(*args.threshold);
    options.slide_forum().loss_threshold(*args.threshold);
  }
  if (args.adjust) {
    if (!(*args.adjust > 0 && *args.adjust <= kMaxAdjustValue)) {
      bad_option("--adjust", detail::format_double(*args.adjust), kAdjustValueExpectation);
    }
    options.slide().adjust_value(*args.adjust);
    options.slide_forum().adjust_value(*args.adjust);
  }
  for (const auto& [name, value] :
       {std::pair{"--skip-start", args.skip_start}, std::pair{"--skip-end", args.skip_end}}) {
    if (value && (*value < 0 || static_cast<std::size_t>(*value) >= curve.size())) {
      bad_option(name, std::to_string(*value),
                 fmt::format("0 to {} (the curve has {} points)", curve.size() - 1, curve.size()));
    }
  }
  if (args.skip_start) options.skip_start(static_cast<std::size_t>(*args.skip_start));
  if (args.skip_end) options.skip_end(static_cast<std::size_t>(*args.skip_end));
  if (args.loss_column == std::optional<std::string>("smooth_loss")) {
    if (!has_smooth_column)
      bad_option("--loss-column", "smooth_loss", fmt::format("a column of {}, which has none", args.file));
    options.loss_series(LossSeries::Smoothed);
  } else if (args.loss_column) {
    options.loss_series(LossSeries::Raw);
  }
  FitFacts fit;
  if (args.optimizer) {
    try {
      fit.optimizer(optimizer_family_from_string(*args.optimizer));
    } catch (const InvalidArgument&) {
      bad_option("--optimizer", *args.optimizer, "one of " + optimizer_family_names());
    }
  }
  if (args.fit_steps) {
    if (*args.fit_steps < 1) bad_option("--fit-steps", std::to_string(*args.fit_steps), "at least 1");
    fit.fit_steps(*args.fit_steps);
  }
  options.auto_rule().fit(fit);
  return options;
}

void print_table(const SuggestArguments& args, const LRCurve& curve, const std::vector<Suggestion>& suggestions) {
  std::cout << fmt::format("{}: {} points, lr {:.3g} to {:.3g}\n", args.file, curve.size(), curve.lrs().front(),
                           curve.lrs().back());
  std::cout << fmt::format("{:<13} {:>14} {:>7}\n", "method", "suggested lr", "index");
  for (const auto& s : suggestions) {
    std::cout << fmt::format("{:<13} {:>14} {:>7}\n", to_string(s.method), s.lr ? fmt::format("{:.6g}", *s.lr) : "none",
                             s.index ? std::to_string(*s.index) : "-");
  }
  for (const auto& s : suggestions) {
    for (const auto& w : s.warnings) std::cout << fmt::format("warning: {}: {}\n", to_string(s.method), w.message);
  }
}

int run_suggest(const SuggestArguments& args) {
  const auto methods = methods_from(args.method);
  if (!args.plot.empty()) check_not_the_input("--plot", args.plot, args.file);
  if (args.loss_column && *args.loss_column != "loss" && *args.loss_column != "smooth_loss") {
    bad_option("--loss-column", *args.loss_column, "loss or smooth_loss");
  }
  LRCurve curve = read_curve_csv(args.file);
  if (args.num_iter) {
    if (*args.num_iter < static_cast<int64_t>(curve.size())) {
      bad_option("--num-iter", std::to_string(*args.num_iter),
                 fmt::format("at least the {} points of {}", curve.size(), args.file));
    }
    curve.set_planned_steps(static_cast<std::size_t>(*args.num_iter));
  }
  const bool has_smooth_column = curve.smoothing_source() == SmoothingSource::Recorded;
  const SuggestOptions options = options_from(args, curve, has_smooth_column);

  std::vector<Suggestion> suggestions;
  for (Method method : methods) suggestions.push_back(suggest(curve, method, options));

  // The plot first: when it cannot be written, the command fails with
  // nothing printed, rather than with an answer and exit status 2.
  if (!args.plot.empty()) {
    write_svg(args.plot, curve, suggestions, PlotOptions().title(args.file).loss_series(options.loss_series()));
  }
  if (args.json) {
    nlohmann::ordered_json out = nlohmann::ordered_json::array();
    for (const auto& s : suggestions) out.push_back(to_json(s));
    std::cout << autolr::detail::json_text(out.size() == 1 ? out[0] : out, 2) << '\n';
  } else {
    print_table(args, curve, suggestions);
    if (!args.plot.empty()) std::cout << "plot written to " << args.plot << '\n';
  }
  const bool answered = std::any_of(suggestions.begin(), suggestions.end(), [](const Suggestion& s) { return s.lr; });
  return answered ? kSuccess : kNoAnswer;
}

}  // namespace

void add_suggest_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<SuggestArguments>();
  CLI::App* cmd =
      app.add_subcommand("suggest", "Suggest learning rates on a curve CSV (columns lr, loss[, smooth_loss])");
  cmd->add_option("file", args->file, "curve CSV file")->required();
  cmd->add_option(
      "--method", args->method,
      fmt::format("{}, descent-start or all (default {})", method_names(all_methods()), to_string(kDefaultMethod)));
  add_number(*cmd, "--lr-diff", args->lr_diff, "slide rules: window length in points (default 15)");
  add_number(*cmd, "--threshold", args->threshold,
             "slide rules: gradient difference threshold (default 0.005 slide, 0.05 slide-forum)");
  add_number(*cmd, "--adjust", args->adjust, "slide rules: factor applied to the answer (default 1, at most 1e6)");
  add_number(*cmd, "--skip-start", args->skip_start,
             "points skipped at the start (default: fastai's n/10; 0 for slide-forum)");
  add_number(*cmd, "--skip-end", args->skip_end, "points skipped at the end (default: 5; 0 for slide-forum)");
  add_number(*cmd, "--num-iter", args->num_iter,
             "steps the range test planned, if it stopped early (fastai skips num_iter/10 at the start)");
  cmd->add_option("--loss-column", args->loss_column, "loss|smooth_loss (default: smooth_loss when present)");
  cmd->add_option("--optimizer", args->optimizer,
                  "auto: the fit's optimizer, " + optimizer_family_names() + " (where the best LR lies below the "
                  "blow-up depends on it)");
  add_number(*cmd, "--fit-steps", args->fit_steps, "auto: the optimizer steps of the planned fit");
  cmd->add_flag("--json", args->json, "print JSON: one object per method, a list when several");
  cmd->add_option("--plot", args->plot, "write an SVG of the curve, the suggestions and the slide window");
  cmd->callback([args, &exit_code] { exit_code = run_suggest(*args); });
}

}  // namespace autolr::cli
