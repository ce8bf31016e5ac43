#include "score.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <map>

#include "autolr/curve_csv.h"
#include "autolr/error.h"
#include "core/svg_canvas.h"

namespace autolr::quality {
namespace {

std::string format_lr(const std::optional<double>& lr) { return lr ? fmt::format("{:.2e}", *lr) : "none"; }

std::string summary_table(const std::vector<Summary>& summaries) {
  std::string out =
      "| suggester | median regret | worst regret | within 10% of best | no answer |\n"
      "|---|---:|---:|---:|---:|\n";
  for (const Summary& s : summaries)
    out += fmt::format("| {} | {:.3f} | {:.3f} | {} / {} | {} |\n", to_string(s.method), s.median_regret,
                       s.worst_regret, s.within_10_percent, s.tasks, s.no_answer);
  return out;
}

template <typename Keep>
std::vector<Summary> summarize_where(const std::vector<RecordedTask>& tasks,
                                     const std::vector<std::vector<Score>>& scores, const std::vector<Method>& methods,
                                     Keep keep) {
  std::vector<std::vector<Score>> kept;
  for (std::size_t t = 0; t < tasks.size(); ++t)
    if (keep(tasks[t])) kept.push_back(scores[t]);
  return summarize(kept, methods);
}

}  // namespace

double median(std::vector<double> values) {
  if (values.empty()) return std::numeric_limits<double>::quiet_NaN();
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

bool Part::has(const RecordedTask& t) const {
  return std::find(halves.begin(), halves.end(), t.record.half) != halves.end();
}

const std::vector<Part>& parts() {
  static const std::vector<Part> list = {
      {"Held out: the second corpus's held-out part (recorded before the fit-aware default was designed, scored "
       "once)",
       {"second-held-out"}},
      {"Everything the fit-aware default was designed on", {"design", "held-out", "fresh-held-out", "second-design"}},
      {"First corpus, design half (the first auto was designed on these)", {"design"}},
      {"First corpus, held-out half", {"held-out"}},
      {"First corpus, fresh held-out set", {"fresh-held-out"}},
      {"Second corpus, design part", {"second-design"}}};
  return list;
}

namespace {

std::size_t auto_column(const std::vector<Method>& methods) {
  return static_cast<std::size_t>(std::find(methods.begin(), methods.end(), Method::Auto) - methods.begin());
}

}  // namespace

namespace {

RecordedTask read_with_facts(const std::string& directory, const std::string& name,
                             const std::map<std::string, FitFacts>& facts) {
  RecordedTask task;
  std::vector<double> sums;
  for (int order = 1; order <= kDataOrders; ++order) {
    const std::string stem = directory + "/" + name + order_suffix(order);
    if (order > 1 && !std::filesystem::exists(stem + ".grid.csv")) continue;
    const TaskRecord record = read_task_record(stem + ".grid.csv");
    LRCurve curve = read_curve_csv(stem + ".curve.csv");
    curve.set_planned_steps(std::max(record.planned_steps, curve.size()));
    curve.set_stop_reason(stop_reason_from_string(record.stop_reason));
    if (order == 1) {
      task.record = record;
      task.curve = curve;
      sums.assign(record.grid.size(), 0.0);
    } else if (record.grid.size() != sums.size()) {
      throw FormatError(fmt::format("{}.grid.csv: {} fits, order 1 has {}", stem, record.grid.size(), sums.size()));
    } else {
      task.orders += 1;
    }
    task.curves.push_back(curve);
    for (std::size_t k = 0; k < sums.size(); ++k) {
      if (record.grid[k].max_lr != task.record.grid[k].max_lr)
        throw FormatError(fmt::format("{}.grid.csv: fit {} at max_lr {}, order 1's at {}", stem, k + 1,
                                      record.grid[k].max_lr, task.record.grid[k].max_lr));
      sums[k] += scored_loss(record, record.grid[k]);
    }
  }
  for (std::size_t k = 0; k < sums.size(); ++k) task.record.grid[k].valid_loss = sums[k] / task.orders;
  if (const auto found = facts.find(name); found != facts.end()) task.fit = found->second;
  return task;
}

}  // namespace

RecordedTask read_recorded_task(const std::string& directory, const std::string& name) {
  return read_with_facts(directory, name, read_fit_facts(directory));
}

std::vector<RecordedTask> read_recorded_tasks(const std::string& directory, const std::vector<std::string>& names) {
  const auto facts = read_fit_facts(directory);
  std::vector<RecordedTask> tasks;
  for (const std::string& name : names) tasks.push_back(read_with_facts(directory, name, facts));
  return tasks;
}

double scored_loss(const TaskRecord& record, const GridFit& fit) {
  return scored_valid_loss(fit.valid_loss, record.initial_valid_loss);
}

double loss_at(const TaskRecord& record, double lr) {
  const auto& grid = record.grid;
  if (lr <= grid.front().max_lr) return scored_loss(record, grid.front());
  if (lr >= grid.back().max_lr) return scored_loss(record, grid.back());
  const auto upper = std::upper_bound(grid.begin(), grid.end(), lr,
                                      [](double value, const GridFit& fit) { return value < fit.max_lr; });
  const GridFit& hi = *upper;
  const GridFit& lo = *(upper - 1);
  const double t = (std::log10(lr) - std::log10(lo.max_lr)) / (std::log10(hi.max_lr) - std::log10(lo.max_lr));
  return (1 - t) * scored_loss(record, lo) + t * scored_loss(record, hi);
}

double best_loss(const TaskRecord& record) {
  double best = std::numeric_limits<double>::infinity();
  for (const GridFit& fit : record.grid) best = std::min(best, scored_loss(record, fit));
  return best;
}

bool design_may_read(const RecordedTask& task) { return task.record.half != "second-held-out"; }

std::vector<Score> score_task(const RecordedTask& task, const std::vector<Method>& methods, bool tell_fit) {
  std::vector<Score> out;
  const double best = best_loss(task.record);
  const SuggestOptions options = SuggestOptions().auto_rule(AutoSuggestOptions().fit(tell_fit ? task.fit : FitFacts()));
  for (Method method : methods) {
    Suggestion s = suggest(task.curve, method, options);
    // auto_fit's policy for an unclear curve: a second range test in another
    // data order, the mean of the two read instead.
    const bool second = method == Method::Auto && s.has_warning(WarningKind::LowConfidence) && task.curves.size() > 1;
    if (second) s = suggest(combine_curves(task.curves[0], task.curves[1]), method, options);
    Score score{method, s.lr, std::nan(""), !s.warnings.empty(), s.confidence, second};
    if (s.lr) score.regret = loss_at(task.record, *s.lr) / best;
    out.push_back(score);
  }
  return out;
}

std::vector<Summary> summarize(const std::vector<std::vector<Score>>& scores, const std::vector<Method>& methods) {
  std::vector<Summary> out;
  for (std::size_t m = 0; m < methods.size(); ++m) {
    Summary summary{methods[m]};
    std::vector<double> regrets;
    for (const auto& task_scores : scores) {
      const Score& s = task_scores[m];
      ++summary.tasks;
      if (!s.lr) {
        ++summary.no_answer;
        continue;
      }
      regrets.push_back(s.regret);
      if (s.regret <= 1.10) ++summary.within_10_percent;
    }
    if (!regrets.empty()) {
      summary.median_regret = median(regrets);
      summary.worst_regret = *std::max_element(regrets.begin(), regrets.end());
    }
    out.push_back(summary);
  }
  return out;
}

std::string results_markdown(const std::vector<RecordedTask>& tasks, const std::vector<std::vector<Score>>& scores,
                             const std::vector<Method>& methods) {
  std::string out = "# Suggestion quality\n\n";
  out +=
      "Made by `build/bench/quality_bench` from the recordings in `bench/quality/data/`. Regret = the final "
      "validation loss of a one-cycle fit at the suggested max LR (interpolated in log LR between the grid's fits, "
      "4 per decade) / the best fit of the grid. Every task was fitted in 3 data orders (shuffling and dropout "
      "draws); a grid point's loss is the mean over the orders. The suggesters read the range test of order 1; "
      "`auto` is told the task's optimizer family and fit steps, as auto_fit tells it, and where its confidence "
      "is below its floor it reads the mean of the range tests of orders 1 and 2, as auto_fit does. Median and "
      "worst are over the tasks with an answer; \"no answer\" counts the failures.\n\n";
  out += "## All tasks\n\n" + summary_table(summarize(scores, methods));
  for (const Part& part : parts()) {
    out += fmt::format("\n## {}\n\n", part.title) +
           summary_table(summarize_where(tasks, scores, methods, [&](const RecordedTask& t) { return part.has(t); }));
  }
  out += "\n## Tasks\n\n| task | half | best max LR | best loss |";
  for (Method m : methods) out += fmt::format(" {} |", to_string(m));
  out += "\n|---|---|---:|---:|";
  for (std::size_t m = 0; m < methods.size(); ++m) out += "---:|";
  out += "\n";
  for (std::size_t t = 0; t < tasks.size(); ++t) {
    const TaskRecord& r = tasks[t].record;
    const double best = best_loss(r);
    const auto best_fit =
        std::find_if(r.grid.begin(), r.grid.end(), [&](const GridFit& f) { return scored_loss(r, f) == best; });
    out += fmt::format("| {} | {} | {:.2e} | {:.4f} |", r.name, r.half, best_fit->max_lr, best);
    for (const Score& s : scores[t])
      out += s.lr ? fmt::format(" {} ({:.3f}){} |", format_lr(s.lr), s.regret, s.second_range_test ? " *" : "")
                  : " none |";
    out += "\n";
  }
  out += "\nCells: the suggested max LR (its regret); * read the mean of two range tests.\n\n## What each task is\n\n";
  for (const RecordedTask& t : tasks)
    out += fmt::format("- `{}` ({}): {}; range test {} after {} of {} steps.\n", t.record.name, t.record.half,
                       t.record.description, t.record.stop_reason, t.curve.size(), t.record.planned_steps);
  return out;
}

std::string fit_facts_markdown(const std::vector<RecordedTask>& tasks, const std::vector<std::vector<Score>>& told,
                               const std::vector<std::vector<Score>>& untold, const std::vector<Method>& methods) {
  const std::size_t a = auto_column(methods);
  std::string out =
      "| part | tasks | auto told the optimizer: median / worst | auto told nothing: median / worst |\n"
      "|---|---:|---:|---:|\n";
  for (const Part& part : parts()) {
    std::vector<std::vector<Score>> with, without;
    for (std::size_t t = 0; t < tasks.size(); ++t) {
      if (!part.has(tasks[t])) continue;
      with.push_back({told[t][a]});
      without.push_back({untold[t].front()});
    }
    if (with.empty()) continue;
    const Summary w = summarize(with, {Method::Auto})[0], wo = summarize(without, {Method::Auto})[0];
    out += fmt::format("| {} | {} | {:.3f} / {:.3f} | {:.3f} / {:.3f} |\n", part.title, with.size(), w.median_regret,
                       w.worst_regret, wo.median_regret, wo.worst_regret);
  }
  return out;
}

std::string confidence_markdown(const std::vector<std::vector<Score>>& scores, const std::vector<Method>& methods) {
  const std::size_t a = auto_column(methods);
  const std::pair<double, double> bands[] = {{0.9, 1.01}, {0.5, 0.9}, {0.2, 0.5}, {0.05, 0.2}, {0.0, 0.05}};
  std::string out =
      "| confidence | tasks | median regret | worst regret | within 10% of best |\n|---|---:|---:|---:|---:|\n";
  for (const auto& [low, high] : bands) {
    std::vector<std::vector<Score>> in_band;
    for (const auto& row : scores) {
      const Score& s = row[a];
      if (s.confidence && *s.confidence >= low && *s.confidence < high) in_band.push_back({s});
    }
    if (in_band.empty()) {
      out += fmt::format("| {:g} to {:g} | 0 | - | - | - |\n", low, std::min(high, 1.0));
      continue;
    }
    const Summary s = summarize(in_band, {Method::Auto})[0];
    out += fmt::format("| {:g} to {:g} | {} | {:.3f} | {:.3f} | {} / {} |\n", low, std::min(high, 1.0), s.tasks,
                       s.median_regret, s.worst_regret, s.within_10_percent, s.tasks);
  }
  return out;
}

std::string second_range_test_markdown(const std::vector<RecordedTask>& tasks, double below) {
  std::vector<double> one, two;
  for (const RecordedTask& task : tasks) {
    if (task.curves.size() < 2) continue;
    const SuggestOptions told = SuggestOptions().auto_rule(AutoSuggestOptions().fit(task.fit).min_confidence(0));
    const Suggestion first = suggest(task.curve, Method::Auto, told);
    if (!first.lr || !first.confidence || *first.confidence >= below) continue;
    const Suggestion mean = suggest(combine_curves(task.curves[0], task.curves[1]), Method::Auto, told);
    if (!mean.lr) continue;
    one.push_back(loss_at(task.record, *first.lr) / best_loss(task.record));
    two.push_back(loss_at(task.record, *mean.lr) / best_loss(task.record));
  }
  if (one.empty()) return fmt::format("No task had a confidence below {:g}.\n", below);
  return fmt::format(
      "On the {} tasks whose first range test gave a confidence below {:g}, reading the mean of two range tests "
      "(orders 1 and 2) instead of the first: median regret {:.3f} instead of {:.3f}, worst {:.3f} instead of "
      "{:.3f}.\n",
      one.size(), below, median(two), median(one), *std::max_element(two.begin(), two.end()),
      *std::max_element(one.begin(), one.end()));
}

std::string regret_svg(const std::vector<RecordedTask>& tasks, const std::vector<std::vector<Score>>& scores,
                       const std::vector<Method>& methods) {
  using detail::Box;
  using detail::Scale;
  const Box box{70, 30, std::max(400.0, 34.0 * static_cast<double>(tasks.size())), 300};
  detail::SvgCanvas svg(static_cast<int>(box.right() + 160), static_cast<int>(box.bottom() + 190));
  double worst = 1.5;
  for (const auto& row : scores)
    for (const Score& s : row)
      if (s.lr) worst = std::max(worst, s.regret);
  const Scale x(0, static_cast<double>(tasks.size()), box.left, box.right(), false);
  const Scale y(1.0, worst * 1.1, box.bottom(), box.top, true);
  svg.rect(box.left, box.top, box.width, box.height, "fill:white;stroke:#999");
  for (double v : {1.03, 1.15, 1.5, 2.0, 3.0, 5.0, 10.0}) {
    if (v > worst * 1.1) continue;
    svg.line(box.left, y(v), box.right(), y(v), v == 1.15 ? "stroke:#f99" : "stroke:#ddd");
    svg.text(box.left - 6, y(v) + 4, fmt::format("{:g}", v), detail::kLabelStyle, "end");
  }
  svg.text(18, box.top + box.height / 2, "regret (final loss / best on grid)", detail::kLabelStyle, "middle", -90);
  static const char* palette[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2"};
  for (std::size_t t = 0; t < tasks.size(); ++t) {
    const double cx = x(static_cast<double>(t) + 0.5);
    svg.text(cx, box.bottom() + 10, tasks[t].record.name, detail::kLabelStyle, "end", -60);
    if (tasks[t].record.half == "second-held-out")
      svg.rect(cx - 17, box.top, 34, box.height, "fill:#d62728;fill-opacity:0.08");
    if (tasks[t].record.half == "held-out") svg.rect(cx - 17, box.top, 34, box.height, "fill:#000;fill-opacity:0.04");
    if (tasks[t].record.half == "fresh-held-out")
      svg.rect(cx - 17, box.top, 34, box.height, "fill:#1f77b4;fill-opacity:0.08");
    for (std::size_t m = 0; m < methods.size(); ++m) {
      const Score& s = scores[t][m];
      if (!s.lr) continue;
      const double dx = (static_cast<double>(m) - 0.5 * static_cast<double>(methods.size() - 1)) * 4.0;
      svg.circle(cx + dx, y(std::max(1.0, s.regret)), 3.5, fmt::format("fill:{};fill-opacity:0.8", palette[m % 7]));
    }
  }
  for (std::size_t m = 0; m < methods.size(); ++m) {
    const double ly = box.top + 14 + 18 * static_cast<double>(m);
    svg.circle(box.right() + 20, ly - 4, 4, fmt::format("fill:{}", palette[m % 7]));
    svg.text(box.right() + 30, ly, to_string(methods[m]), detail::kLabelStyle);
  }
  const double below = box.top + 24 + 18 * static_cast<double>(methods.size());
  svg.text(box.right() + 14, below, "grey: held out", detail::kLabelStyle);
  svg.text(box.right() + 14, below + 18, "blue: fresh held out", detail::kLabelStyle);
  svg.text(box.right() + 14, below + 36, "red: second held out", detail::kLabelStyle);
  return svg.finish();
}

}  // namespace autolr::quality
