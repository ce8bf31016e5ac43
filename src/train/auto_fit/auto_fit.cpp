#include "autolr/auto_fit.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <torch/torch.h>

#include <cmath>
#include <iostream>
#include <sstream>

#include "autolr/error.h"
#include "core/check.h"

namespace autolr {
namespace {

std::string lr_text(const Suggestion& s) { return s.lr ? fmt::format("{:.4g}", *s.lr) : "none"; }

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
  out << "decision: " << decision << '\n';
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

  AutoFitReport report;
  report.curve = lr_find(trainer, options.range_test());
  report.suggestions = suggest_all(report.curve, options.suggest());
  report.chosen = suggest(report.curve, options.method(), options.suggest());
  report.descent_start = suggest(report.curve, Method::DescentStart, options.suggest());

  if (!report.chosen.lr) {
    const std::string why = report.chosen.warnings.empty() ? "no reason given" : report.chosen.warnings[0].message;
    report.decision = fmt::format("{} has no answer on this curve ({}); not training with a guessed LR",
                                  to_string(options.method()), why);
    if (options.before_fit()) options.before_fit()(report);
  } else {
    const double hi = *report.chosen.lr;
    const bool lo_from_curve =
        options.lower_end_from_curve() && groups > 1 && report.descent_start.lr && *report.descent_start.lr < hi;
    const double curve_ratio = lo_from_curve ? hi / *report.descent_start.lr : 0;
    const bool capped = lo_from_curve && curve_ratio > options.max_group_ratio();
    const double ratio = lo_from_curve ? std::min(curve_ratio, options.max_group_ratio()) : options.group_ratio();
    report.group_max_lrs = discriminative_lrs(hi, ratio, groups);
    report.decision = fmt::format("max lr {:.4g} from {} (point {} of the curve)", hi, to_string(options.method()),
                                  *report.chosen.index);
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
    if (options.before_fit()) options.before_fit()(report);
    OneCycleOptions schedule = options.one_cycle();
    schedule.max_lr(report.group_max_lrs);
    const std::size_t before = trainer.history().size();
    report.schedule = fit_one_cycle(trainer, epochs, schedule);
    report.history.assign(trainer.history().begin() + static_cast<std::ptrdiff_t>(before), trainer.history().end());
    report.trained = true;
  }
  if (options.print() && trainer.is_main_process()) std::cout << report.text() << std::flush;
  return report;
}

}  // namespace autolr
