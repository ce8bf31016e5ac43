#include "autolr/auto_fit.h"

#include <cxxabi.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <torch/torch.h>
#include <torch/version.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <mutex>
#include <sstream>
#include <typeinfo>

#include "autolr/error.h"
#include "autolr/record.h"
#include "core/check.h"
#include "core/printable.h"

namespace autolr {
namespace {

std::string lr_text(const Suggestion& s) { return s.lr ? fmt::format("{:.4g}", *s.lr) : "none"; }

std::string type_name(const std::type_info& type) {
  int status = 0;
  const std::unique_ptr<char, void (*)(void*)> name(abi::__cxa_demangle(type.name(), nullptr, nullptr, &status),
                                                    std::free);
  return status == 0 && name ? std::string(name.get()) : std::string(type.name());
}

// The optimizer's name and its first group's options, as the user configured
// them (read before the range test and the schedule change the LR and momentum).
struct OptimizerDescription {
  std::string name;
  std::vector<std::pair<std::string, std::string>> options;
};

OptimizerDescription describe(torch::optim::Optimizer& optimizer) {
  using namespace torch::optim;
  const auto number = [](double v) { return detail::format_double(v); };
  const auto flag = [](bool b) { return std::string(b ? "true" : "false"); };
  const auto betas = [&](const std::tuple<double, double>& b) {
    return number(std::get<0>(b)) + ", " + number(std::get<1>(b));
  };
  OptimizerDescription d;
  const auto& groups = optimizer.param_groups();
  if (groups.empty()) {
    d.name = type_name(typeid(optimizer));
    return d;
  }
  const OptimizerOptions& o = groups.front().options();
  if (const auto* sgd = dynamic_cast<const SGDOptions*>(&o)) {
    d.name = "SGD";
    d.options = {{"lr", number(sgd->lr())},
                 {"momentum", number(sgd->momentum())},
                 {"dampening", number(sgd->dampening())},
                 {"weight_decay", number(sgd->weight_decay())},
                 {"nesterov", flag(sgd->nesterov())}};
  } else if (const auto* adamw = dynamic_cast<const AdamWOptions*>(&o)) {
    d.name = "AdamW";
    d.options = {{"lr", number(adamw->lr())},
                 {"betas", betas(adamw->betas())},
                 {"eps", number(adamw->eps())},
                 {"weight_decay", number(adamw->weight_decay())},
                 {"amsgrad", flag(adamw->amsgrad())}};
  } else if (const auto* adam = dynamic_cast<const AdamOptions*>(&o)) {
    d.name = "Adam";
    d.options = {{"lr", number(adam->lr())},
                 {"betas", betas(adam->betas())},
                 {"eps", number(adam->eps())},
                 {"weight_decay", number(adam->weight_decay())},
                 {"amsgrad", flag(adam->amsgrad())}};
  } else if (const auto* rmsprop = dynamic_cast<const RMSpropOptions*>(&o)) {
    d.name = "RMSprop";
    d.options = {{"lr", number(rmsprop->lr())},
                 {"alpha", number(rmsprop->alpha())},
                 {"eps", number(rmsprop->eps())},
                 {"weight_decay", number(rmsprop->weight_decay())},
                 {"momentum", number(rmsprop->momentum())},
                 {"centered", flag(rmsprop->centered())}};
  } else if (const auto* adagrad = dynamic_cast<const AdagradOptions*>(&o)) {
    d.name = "Adagrad";
    d.options = {{"lr", number(adagrad->lr())},
                 {"lr_decay", number(adagrad->lr_decay())},
                 {"weight_decay", number(adagrad->weight_decay())},
                 {"initial_accumulator_value", number(adagrad->initial_accumulator_value())},
                 {"eps", number(adagrad->eps())}};
  } else {
    d.name = type_name(typeid(optimizer));
    d.options = {{"lr", number(o.get_lr())}};
  }
  d.options.emplace_back("param_groups", std::to_string(groups.size()));
  return d;
}

int64_t parameter_count(torch::nn::Module& model) {
  int64_t count = 0;
  for (const auto& p : model.parameters()) count += p.numel();
  return count;
}

RunRecord make_record(const AutoFitReport& report, const AutoFitOptions& options, const std::string& name,
                      const std::string& created, OptimizerDescription optimizer, int64_t parameters, double seconds) {
  RunRecord r;
  r.name = name;
  r.tags = options.tags();
  r.created = created;
  r.libtorch_version = TORCH_VERSION;
  r.curve = report.curve;
  r.suggestions = report.suggestions;
  r.suggestions.push_back(report.descent_start);
  r.chosen_method = options.method();
  r.decision = report.decision;
  r.group_max_lrs = report.group_max_lrs;
  r.trained = report.trained;
  if (report.probe) r.probes = report.probe->fits;
  r.schedule = report.schedule;
  for (const EpochRecord& e : report.history) {
    r.epochs.push_back({e.epoch, e.steps, e.train_loss, e.valid_loss, e.metric, e.seconds});
  }
  r.optimizer = std::move(optimizer.name);
  r.optimizer_options = std::move(optimizer.options);
  r.parameter_count = parameters;
  r.wall_seconds = seconds;
  return r;
}

std::string first_warning(const Suggestion& s) {
  return s.warnings.empty() ? "no reason given" : s.warnings.front().message;
}

// "; told sgd, 940 fit steps: 0.625 decades below the blow-up" when Auto was told anything.
std::string facts_text(const FitFacts& fit, Method method) {
  if (method != Method::Auto || (!fit.optimizer() && !fit.fit_steps())) return "";
  std::string told = fit.optimizer() ? to_string(*fit.optimizer()) : "";
  if (fit.fit_steps()) told += fmt::format("{}{} fit steps", told.empty() ? "" : ", ", *fit.fit_steps());
  return fmt::format("; told {}: {:.3g} decades below the blow-up", told, auto_decades_below_blowup(fit));
}

SuggestOptions with_fit_facts(const AutoFitOptions& options, Trainer& trainer, int64_t epochs) {
  SuggestOptions suggest_options = options.suggest();
  if (!options.use_fit_facts()) return suggest_options;
  FitFacts given = suggest_options.auto_rule().fit();
  const FitFacts known = fit_facts(trainer, epochs, options.one_cycle());
  if (!given.optimizer()) given.optimizer(known.optimizer());
  if (!given.fit_steps()) given.fit_steps(known.fit_steps());
  suggest_options.auto_rule(AutoSuggestOptions(suggest_options.auto_rule()).fit(given));
  return suggest_options;
}

void read_curve(AutoFitReport& report, LRCurve curve, Method method, const SuggestOptions& options) {
  report.curve = std::move(curve);
  report.suggestions = suggest_all(report.curve, options);
  report.chosen = suggest(report.curve, method, options);
  report.descent_start = suggest(report.curve, Method::DescentStart, options);
}

// The range test again in another data order: the CPU generator (which
// shuffles the batches) reseeded from its own seed, then put back, so the fit
// draws what it would have drawn after one test.
LRCurve range_test_in_another_order(Trainer& trainer, const LRFinderOptions& options) {
  auto cpu = at::detail::getDefaultCPUGenerator();
  torch::Tensor state;
  {
    std::lock_guard<std::mutex> lock(cpu.mutex());
    state = cpu.get_state();
    cpu.set_current_seed(cpu.current_seed() + 1);
  }
  struct PutBack {
    at::Generator& generator;
    const torch::Tensor& state;
    ~PutBack() {
      std::lock_guard<std::mutex> lock(generator.mutex());
      generator.set_state(state);
    }
  } put_back{cpu, state};
  return lr_find(trainer, options);
}

// The verified mode: probes around the curve's max LRs move them by what the
// probes point to, or clear them (no fit) when every probe diverged.
void verify_by_probes(AutoFitReport& report, Trainer& trainer, int64_t fit_steps, const AutoFitOptions& options) {
  report.probe = probe_fits(trainer, report.group_max_lrs, fit_steps, options.one_cycle(), *options.probe());
  const ProbeResult& probe = *report.probe;
  std::string losses;
  for (const ProbeFit& f : probe.fits) {
    losses += fmt::format("{}{:.4g}: {}", losses.empty() ? "" : ", ", f.group_max_lrs.back(),
                          f.diverged ? std::string("diverged") : fmt::format("{:.4g}", f.loss));
  }
  const std::string scored = probe.validation ? "validation loss" : "late training loss";
  if (!probe.chosen_offset) {
    report.group_max_lrs.clear();
    report.decision +=
        fmt::format("; every probe of {} steps diverged ({}): not training", probe.steps_per_probe, losses);
    return;
  }
  for (double& lr : report.group_max_lrs) lr *= std::pow(10.0, *probe.chosen_offset);
  report.decision +=
      fmt::format("; probes of {} steps ({} {}) moved it {:+.3g} decades to {:.4g}", probe.steps_per_probe, scored,
                  losses, *probe.chosen_offset, report.group_max_lrs.back());
}

}  // namespace

std::vector<double> discriminative_lrs(double hi, double ratio, std::size_t groups) {
  AUTOLR_CHECK_ARGUMENT(std::isfinite(hi) && hi > 0, "discriminative_lrs", "hi", detail::format_double(hi),
                        "a finite value > 0");
  AUTOLR_CHECK_ARGUMENT(std::isfinite(ratio) && ratio >= 1, "discriminative_lrs", "ratio", detail::format_double(ratio),
                        "a finite value >= 1");
  AUTOLR_CHECK_ARGUMENT(groups >= 1, "discriminative_lrs", "groups", std::to_string(groups), "at least 1");
  std::vector<double> lrs(groups, hi);
  const double lo = hi / ratio;
  for (std::size_t g = 0; g + 1 < groups; ++g) {
    lrs[g] = lo * std::pow(ratio, static_cast<double>(g) / static_cast<double>(groups - 1));
  }
  return lrs;
}

std::string AutoFitReport::suggestions_text() const {
  std::ostringstream out;
  out << fmt::format("range test: {} steps, lr {:.3g} to {:.3g}, {}\n", curve.size(),
                     curve.empty() ? 0.0 : curve.lrs().front(), curve.empty() ? 0.0 : curve.lrs().back(),
                     to_string(curve.stop_reason()));
  out << fmt::format("{:<14} {:>12}\n", "method", "suggested lr");
  for (const Suggestion& s : suggestions) out << fmt::format("{:<14} {:>12}\n", to_string(s.method), lr_text(s));
  out << fmt::format("{:<14} {:>12}  (lower end of a discriminative slice)\n", "descent-start", lr_text(descent_start));
  for (const Suggestion& s : suggestions) {
    for (const Warning& w : s.warnings) out << fmt::format("warning: {}: {}\n", to_string(s.method), w.message);
  }
  if (probe) out << probe->text();
  out << "decision: " << decision << '\n';
  if (!record_path.empty()) out << "run record: " << record_path << '\n';
  return out.str();
}

std::string AutoFitReport::text() const {
  std::ostringstream out;
  out << suggestions_text();
  if (schedule) {
    const OneCycleOptions& o = *schedule;
    out << fmt::format("one cycle: max lr {}, {} steps, pct_start {}, {}, div {}, final div {}{}\n",
                       fmt::join(group_max_lrs, ", "), o.total_steps().value_or(0), o.pct_start(),
                       o.anneal() == Anneal::Cos ? "cos" : "linear", o.div_factor(), o.final_div_factor(),
                       o.cycle_momentum() ? fmt::format(", momentum {} -> {} -> {}", o.max_momentum(),
                                                        o.base_momentum(), o.max_momentum())
                                          : "");
  }
  for (const EpochRecord& e : history) {
    out << fmt::format("epoch {}: train loss {:.4f}", e.epoch + 1, e.train_loss);
    if (e.valid_loss) out << fmt::format(", valid loss {:.4f}", *e.valid_loss);
    if (e.metric) out << fmt::format(", metric {:.4f}", *e.metric);
    out << fmt::format(" ({:.1f} s)\n", e.seconds);
  }
  return out.str();
}

AutoFitReport auto_fit(Trainer& trainer, int64_t epochs, const AutoFitOptions& options) {
  AUTOLR_CHECK_ARGUMENT(epochs >= 1, "auto_fit", "epochs", std::to_string(epochs), "at least 1");
  AUTOLR_CHECK_ARGUMENT(options.method() != Method::DescentStart, "auto_fit", "method", "descent-start",
                        "a method that suggests a max LR");
  const std::size_t groups = trainer.optimizer().param_groups().size();
  discriminative_lrs(1.0, options.group_ratio(), groups);  // checks group_ratio before anything runs
  AUTOLR_CHECK_ARGUMENT(options.max_group_ratio() >= 1, "auto_fit", "max_group_ratio",
                        detail::format_double(options.max_group_ratio()), "a value >= 1");
  std::optional<int64_t> probe_fit_steps;
  if (options.probe()) {
    check_probe_options(*options.probe());
    probe_fit_steps = fit_facts(trainer, epochs, options.one_cycle()).fit_steps();
    AUTOLR_CHECK_ARGUMENT(probe_fit_steps.has_value(), "auto_fit", "probe", "on (the default)",
                          "a fit whose step count is known, to size the probes (training data with a size(), or "
                          "one_cycle's total_steps, or its epochs and steps_per_epoch); probe(std::nullopt) turns "
                          "them off");
  }
  std::string why_not;
  AUTOLR_CHECK_ARGUMENT(options.run_name().empty() || valid_run_name(options.run_name(), &why_not), "auto_fit",
                        "run_name", detail::for_message(options.run_name()), "a file name (" + why_not + ")");
  const bool record = !options.record_dir().empty() && trainer.is_main_process();
  if (record) {
    std::error_code error;
    const bool usable = std::filesystem::is_directory(options.record_dir(), error) &&
                        ::access(options.record_dir().c_str(), W_OK | X_OK) == 0;
    AUTOLR_CHECK_ARGUMENT(usable, "auto_fit", "record_dir", detail::for_message(options.record_dir()),
                          "an existing directory this process can write to");
  }
  const auto started = std::chrono::steady_clock::now();
  const std::string created = utc_timestamp();
  const std::string run_name = options.run_name().empty() ? unique_run_name() : options.run_name();
  OptimizerDescription optimizer;
  if (record) optimizer = describe(trainer.optimizer());

  AutoFitReport report;
  const SuggestOptions suggest_options = with_fit_facts(options, trainer, epochs);
  report.fit = suggest_options.auto_rule().fit();
  report.range_tests.push_back(lr_find(trainer, options.range_test()));
  read_curve(report, report.range_tests.back(), options.method(), suggest_options);
  const bool unclear = !report.chosen.lr && report.chosen.has_warning(WarningKind::LowConfidence);
  std::string read = "this curve";
  if (unclear && options.low_confidence() == LowConfidencePolicy::CombineSecondRangeTest) {
    read = fmt::format("the mean of two range tests in other data orders (the first was not clear: {})",
                       first_warning(report.chosen));
    report.range_tests.push_back(range_test_in_another_order(trainer, options.range_test()));
    read_curve(report, combine_curves(report.range_tests[0], report.range_tests[1]), options.method(), suggest_options);
  }

  if (!report.chosen.lr) {
    report.decision = fmt::format("{} has no answer on {} ({}); not training with a guessed LR",
                                  to_string(options.method()), read, first_warning(report.chosen));
  } else {
    const double hi = *report.chosen.lr;
    const bool lo_from_curve =
        options.lower_end_from_curve() && groups > 1 && report.descent_start.lr && *report.descent_start.lr < hi;
    const double curve_ratio = lo_from_curve ? hi / *report.descent_start.lr : 0;
    const bool capped = lo_from_curve && curve_ratio > options.max_group_ratio();
    const double ratio = lo_from_curve ? std::min(curve_ratio, options.max_group_ratio()) : options.group_ratio();
    report.group_max_lrs = discriminative_lrs(hi, ratio, groups);
    report.decision = fmt::format("max lr {:.4g} from {} (point {} of {}{})", hi, to_string(options.method()),
                                  *report.chosen.index, read, facts_text(report.fit, options.method()));
    if (groups > 1 && ratio > 1) {
      report.decision +=
          fmt::format(", spread over {} groups down to {:.4g}{}", groups, report.group_max_lrs.front(),
                      capped          ? fmt::format(" (the descent start, {:.4g}, is {:.0f}x lower: capped at "
                                                             "max_group_ratio {:.4g})",
                                                    *report.descent_start.lr, curve_ratio, options.max_group_ratio())
                      : lo_from_curve ? " (the descent start)"
                                      : "");
    }
    if (!report.chosen.warnings.empty()) report.decision += "; see the warnings";
    if (options.probe()) {
      const int64_t steps = probe_steps(*options.probe(), *probe_fit_steps);
      if (steps >= options.probe()->min_steps()) {
        verify_by_probes(report, trainer, *probe_fit_steps, options);
      } else {
        report.decision +=
            fmt::format("; no probe fits: each would have {} of the fit's {} steps, fewer than min_steps ({})", steps,
                        *probe_fit_steps, options.probe()->min_steps());
      }
    }
  }
  if (options.before_fit()) options.before_fit()(report);
  if (!report.group_max_lrs.empty()) {
    OneCycleOptions schedule = options.one_cycle();
    schedule.max_lr(report.group_max_lrs);
    const std::size_t before = trainer.history().size();
    report.schedule = fit_one_cycle(trainer, epochs, schedule);
    report.history.assign(trainer.history().begin() + static_cast<std::ptrdiff_t>(before), trainer.history().end());
    report.trained = true;
  }
  if (record) {
    // The fit is done: a record that cannot be written is said, not thrown.
    const std::string path = (std::filesystem::path(options.record_dir()) / (run_name + ".json")).string();
    try {
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      write_run_record(make_record(report, options, run_name, created, std::move(optimizer),
                                   parameter_count(trainer.model()), seconds),
                       path);
      report.record_path = path;
    } catch (const std::exception& e) {
      const std::string message = "run record not written: " + detail::for_message(e.what(), 400);
      report.decision += "; " + message;
      std::cerr << "autolr: auto_fit: " << message << std::endl;
    }
  }
  if (options.print() && trainer.is_main_process()) std::cout << report.text() << std::flush;
  return report;
}

}  // namespace autolr
