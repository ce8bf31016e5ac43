#include "design_table.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace autolr::quality {

std::string design_table_csv(const std::vector<RecordedTask>& tasks) {
  std::string out = "name,half,optimizer,fit_steps,orders,confidence,blowup_lr,best_lr";
  for (int k = 0; k <= 16; ++k) out += fmt::format(",r{:g}", k / 8.0);
  out += "\n";
  for (const RecordedTask& task : tasks) {
    if (!design_may_read(task)) continue;
    const auto at_blowup = suggest(task.curve, Method::Auto,
                                   SuggestOptions().auto_rule(AutoSuggestOptions().decades_below_blowup(0).min_confidence(0)));
    const auto& grid = task.record.grid;
    const auto best = std::min_element(grid.begin(), grid.end(), [&](const GridFit& a, const GridFit& b) {
      return scored_loss(task.record, a) < scored_loss(task.record, b);
    });
    out += fmt::format("{},{},{},{},{},{:.4f},{:.4g},{:.4g}", task.record.name, task.record.half,
                       task.fit.optimizer() ? to_string(*task.fit.optimizer()) : "unknown",
                       task.fit.fit_steps().value_or(0), task.orders, at_blowup.confidence.value_or(0),
                       at_blowup.lr.value_or(0), best->max_lr);
    const double lowest = best_loss(task.record);
    for (int k = 0; k <= 16; ++k) {
      const double regret =
          at_blowup.lr ? loss_at(task.record, *at_blowup.lr * std::pow(10.0, -k / 8.0)) / lowest : std::nan("");
      out += fmt::format(",{:.4f}", regret);
    }
    out += "\n";
  }
  return out;
}

}  // namespace autolr::quality
