#include "cli/schedule_command.h"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cstdint>
#include <iostream>
#include <iterator>
#include <memory>
#include <optional>
#include <string>

#include "autolr/error.h"
#include "autolr/one_cycle_schedule.h"
#include "autolr/plot.h"
#include "cli/bad_option.h"
#include "cli/exit_status.h"
#include "cli/number_options.h"

namespace autolr::cli {
namespace {

struct ScheduleArguments {
  double max_lr = 0;
  std::optional<int64_t> total_steps, epochs, steps_per_epoch;
  std::optional<double> pct_start, div_factor, final_div_factor, base_momentum, max_momentum;
  std::optional<std::string> anneal;
  bool three_phase = false;
  std::string preset = "pytorch";
  std::string plot;
};

OneCycleOptions options_from(const ScheduleArguments& a) {
  if (a.preset != "pytorch" && a.preset != "fastai") bad_option("--preset", a.preset, "pytorch or fastai");
  if (a.total_steps && (a.epochs || a.steps_per_epoch)) {
    bad_option("--total-steps", std::to_string(*a.total_steps),
               "either --total-steps or --epochs with --steps-per-epoch");
  }
  OneCycleOptions o = a.preset == "fastai" ? OneCycleOptions::fastai({a.max_lr}) : OneCycleOptions(a.max_lr);
  o.total_steps(a.total_steps).epochs(a.epochs).steps_per_epoch(a.steps_per_epoch).three_phase(a.three_phase);
  if (a.pct_start) o.pct_start(*a.pct_start);
  if (a.div_factor) o.div_factor(*a.div_factor);
  if (a.final_div_factor) o.final_div_factor(*a.final_div_factor);
  if (a.base_momentum) o.base_momentum(*a.base_momentum);
  if (a.max_momentum) o.max_momentum(*a.max_momentum);
  if (a.anneal) {
    if (*a.anneal != "cos" && *a.anneal != "linear") bad_option("--anneal", *a.anneal, "cos or linear");
    o.anneal(*a.anneal == "cos" ? Anneal::Cos : Anneal::Linear);
  }
  return o;
}

// The library names options as OneCycleOptions does; the command line has dashes.
std::string as_flag(std::string message) {
  for (const auto& [name, flag] :
       {std::pair{"OneCycleOptions: total_steps", "--total-steps"},
        std::pair{"OneCycleOptions: epochs * steps_per_epoch", "--epochs * --steps-per-epoch"},
        std::pair{"OneCycleOptions: epochs", "--epochs"},
        std::pair{"OneCycleOptions: steps_per_epoch", "--steps-per-epoch"},
        std::pair{"OneCycleOptions: pct_start", "--pct-start"}, std::pair{"OneCycleOptions: max_lr[0]", "--max-lr"},
        std::pair{"OneCycleOptions: div_factor", "--div-factor"},
        std::pair{"OneCycleOptions: final_div_factor", "--final-div-factor"},
        std::pair{"OneCycleOptions: base_momentum", "--base-momentum"},
        std::pair{"OneCycleOptions: max_momentum", "--max-momentum"}}) {
    if (message.rfind(name, 0) == 0) return flag + message.substr(std::string(name).size());
  }
  return message;
}

// Streamed: each row is written as it is computed, so a schedule of 10^12
// steps needs no memory for its rows and `| head` answers at once. A write
// that fails (a closed pipe when SIGPIPE is ignored, a full disk) ends it.
void print_rows(const OneCycleSchedule& schedule) {
  constexpr std::size_t kFlushBytes = 1 << 16;
  fmt::memory_buffer rows;
  const auto flush = [&rows] {
    if (!std::cout.write(rows.data(), static_cast<std::streamsize>(rows.size()))) {
      throw FormatError("standard output: writing the schedule failed");
    }
    rows.clear();
  };
  fmt::format_to(std::back_inserter(rows), "step,lr,momentum\n");
  for (int64_t step = 0; step < schedule.total_steps(); ++step) {
    fmt::format_to(std::back_inserter(rows), "{},{:.17g},{:.17g}\n", step, schedule.lr(step), schedule.momentum(step));
    if (rows.size() >= kFlushBytes) flush();
  }
  flush();
}

int run_schedule(const ScheduleArguments& args) {
  std::optional<OneCycleSchedule> schedule;
  try {
    schedule.emplace(options_from(args));
  } catch (const InvalidArgument& e) {
    throw InvalidArgument(as_flag(e.what()));
  }
  // The plot first, so that a plot that cannot be written fails the command
  // before any row is printed.
  if (!args.plot.empty()) {
    write_schedule_svg(args.plot, *schedule, PlotOptions().title(fmt::format("one cycle, max lr {}", args.max_lr)));
  }
  print_rows(*schedule);
  return kSuccess;
}

}  // namespace

void add_schedule_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<ScheduleArguments>();
  CLI::App* cmd =
      app.add_subcommand("schedule", "Print a one-cycle schedule (PyTorch's OneCycleLR) as CSV step,lr,momentum");
  add_number(*cmd, "--max-lr", args->max_lr, "peak learning rate")->required();
  add_number(*cmd, "--total-steps", args->total_steps, "steps in the schedule");
  add_number(*cmd, "--epochs", args->epochs, "epochs (with --steps-per-epoch)");
  add_number(*cmd, "--steps-per-epoch", args->steps_per_epoch, "optimizer steps per epoch (with --epochs)");
  add_number(*cmd, "--pct-start", args->pct_start, "fraction of steps warming up (0.3; fastai 0.25)");
  cmd->add_option("--anneal", args->anneal, "cos|linear (cos)");
  add_number(*cmd, "--div-factor", args->div_factor, "initial lr = max lr / div factor (25)");
  add_number(*cmd, "--final-div-factor", args->final_div_factor, "final lr = initial lr / this (1e4; fastai 4000)");
  cmd->add_flag("--three-phase", args->three_phase, "warm up, come back down symmetrically, then anneal");
  add_number(*cmd, "--base-momentum", args->base_momentum, "lowest momentum (0.85)");
  add_number(*cmd, "--max-momentum", args->max_momentum, "highest momentum (0.95)");
  cmd->add_option("--preset", args->preset, "pytorch|fastai: the defaults above (pytorch)");
  cmd->add_option("--plot", args->plot, "write an SVG of the LR and momentum");
  cmd->callback([args, &exit_code] { exit_code = run_schedule(*args); });
}

}  // namespace autolr::cli
