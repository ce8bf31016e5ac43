#include "lr_free_score.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace autolr::quality {
namespace {

struct Row {
  std::string method;
  std::vector<double> regrets;
};

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

std::string table(const std::vector<Row>& rows) {
  std::string out =
      "| method | tasks | median regret | worst regret | within 10% of the grid's best | beats the grid's best |\n"
      "|---|---:|---:|---:|---:|---:|\n";
  for (const Row& row : rows) {
    if (row.regrets.empty()) continue;
    const auto within = std::count_if(row.regrets.begin(), row.regrets.end(), [](double r) { return r <= 1.10; });
    const auto beats = std::count_if(row.regrets.begin(), row.regrets.end(), [](double r) { return r < 1; });
    const std::size_t n = row.regrets.size();
    out += fmt::format("| {} | {} | {:.3f} | {:.3f} | {} / {} | {} / {} |\n", row.method, n, median(row.regrets),
                       *std::max_element(row.regrets.begin(), row.regrets.end()), within, n, beats, n);
  }
  return out;
}

const Score* auto_score(const std::vector<Score>& scores) {
  const auto found =
      std::find_if(scores.begin(), scores.end(), [](const Score& s) { return s.method == Method::Auto; });
  return found == scores.end() || !found->lr ? nullptr : &*found;
}

const LrFreeFit* find_fit(const std::vector<LrFreeFit>& fits, const std::string& method) {
  const auto found = std::find_if(fits.begin(), fits.end(), [&](const LrFreeFit& f) { return f.method == method; });
  return found == fits.end() ? nullptr : &*found;
}

template <typename Keep>
std::vector<Row> rows_where(const std::vector<RecordedTask>& tasks, const std::vector<std::vector<LrFreeFit>>& fits,
                            const std::vector<std::vector<Score>>& scores, const std::vector<std::string>& methods,
                            Keep keep) {
  std::vector<Row> rows;
  for (const std::string& method : methods) rows.push_back(Row{method, {}});
  rows.push_back(Row{"auto + one cycle (autolr's default)", {}});
  for (std::size_t t = 0; t < tasks.size(); ++t) {
    if (fits[t].empty() || !keep(tasks[t])) continue;
    for (std::size_t m = 0; m < methods.size(); ++m)
      if (const LrFreeFit* fit = find_fit(fits[t], methods[m]))
        rows[m].regrets.push_back(lr_free_regret(tasks[t].record, *fit));
    if (const Score* automatic = auto_score(scores[t])) rows.back().regrets.push_back(automatic->regret);
  }
  return rows;
}

}  // namespace

double lr_free_regret(const TaskRecord& record, const LrFreeFit& fit) {
  return scored_loss(record, GridFit{fit.lr, fit.valid_loss, fit.metric, fit.seconds}) / best_loss(record);
}

std::string lr_free_markdown(const std::vector<RecordedTask>& tasks, const std::vector<std::vector<LrFreeFit>>& fits,
                             const std::vector<std::vector<Score>>& scores, const std::vector<std::string>& methods) {
  std::string out =
      "\n# Learning-rate-free optimizers\n\n"
      "Each task also trained, with the same budget, initial weights and data orders (the regret of the mean "
      "loss over the orders), by autolr's "
      "ports of the reference optimizers at their recommended defaults: Schedule-Free AdamW (lr 0.0025, 5% "
      "warm-up), Schedule-Free SGD (lr 1, 5% warm-up; SGD tasks only), Prodigy (lr 1, cosine annealing), and "
      "Schedule-Free AdamW with its lr read off a range test on itself by the first `auto` (one decade below "
      "the blow-up, recorded before the fit-aware default). Regret against the same "
      "one-cycle grid; below 1 beats every fit of the grid. Evaluated at Schedule-Free's averaged point, "
      "BatchNorm statistics as collected in training.\n\n";
  const auto every = [](const RecordedTask&) { return true; };
  out += "## All tasks\n\n" + table(rows_where(tasks, fits, scores, methods, every));
  for (const Part& part : parts()) {
    const auto in_part = [&](const RecordedTask& t) { return part.has(t); };
    out += fmt::format("\n## {}\n\n", part.title) + table(rows_where(tasks, fits, scores, methods, in_part));
  }
  out += "\n## Tasks (regret)\n\n| task | half |";
  for (const std::string& method : methods) out += fmt::format(" {} |", method);
  out += " auto + one cycle (the default) |\n|---|---|";
  for (std::size_t m = 0; m <= methods.size(); ++m) out += "---:|";
  out += "\n";
  for (std::size_t t = 0; t < tasks.size(); ++t) {
    if (fits[t].empty()) continue;
    out += fmt::format("| {} | {} |", tasks[t].record.name, tasks[t].record.half);
    for (const std::string& method : methods) {
      const LrFreeFit* fit = find_fit(fits[t], method);
      out += fit ? fmt::format(" {:.3f} |", lr_free_regret(tasks[t].record, *fit)) : " - |";
    }
    const Score* automatic = auto_score(scores[t]);
    out += automatic ? fmt::format(" {:.3f} |\n", automatic->regret) : " none |\n";
  }
  return out;
}

}  // namespace autolr::quality
