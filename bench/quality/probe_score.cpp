#include "probe_score.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <sstream>

#include "autolr/error.h"
#include "core/text_file.h"
#include "task_record.h"

namespace autolr::quality {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// The grid fit nearest `lr` in log LR: its seconds are one fit's cost.
double fit_seconds_near(const TaskRecord& record, double lr) {
  const auto nearest =
      std::min_element(record.grid.begin(), record.grid.end(), [&](const GridFit& a, const GridFit& b) {
        return std::abs(std::log(a.max_lr / lr)) < std::abs(std::log(b.max_lr / lr));
      });
  return nearest->seconds;
}

}  // namespace

void write_probe_record(const ProbeRecord& record, const std::string& path) {
  std::string text =
      fmt::format("# center_lr: {:.17g}\n# fit_steps: {}\n# steps_per_probe: {}\n# start_loss: {:.17g}\n",
                  record.center_lr, record.fit_steps, record.steps_per_probe, record.start_loss);
  text += "offset,max_lr,loss,diverged,steps,seconds\n";
  for (const ProbeFit& f : record.fits)
    text += fmt::format("{:.17g},{:.17g},{:.17g},{},{},{:.3f}\n", f.offset, f.group_max_lrs.back(), f.loss,
                        f.diverged ? 1 : 0, f.steps, f.seconds);
  detail::write_text_file(path, text);
}

ProbeRecord read_probe_record(const std::string& path) {
  const RecordFile file = read_record_file(path, "probe record", "offset,");
  ProbeRecord record;
  for (const auto& [where, line] : file.rows) {
    std::vector<std::string> fields;
    std::stringstream row(line);
    for (std::string field; std::getline(row, field, ',');) fields.push_back(field);
    if (fields.size() != 6) throw FormatError(fmt::format("{}: {} fields, expected 6", where, fields.size()));
    ProbeFit f;
    f.offset = parse_record_number(fields[0], where);
    f.group_max_lrs = {parse_record_number(fields[1], where)};
    f.loss = parse_record_number(fields[2], where);
    f.diverged = parse_record_number(fields[3], where) != 0;
    f.steps = static_cast<int64_t>(parse_record_number(fields[4], where));
    f.seconds = parse_record_number(fields[5], where);
    record.fits.push_back(f);
  }
  const auto number = [&](const std::string& key) { return parse_record_number(file.field(key), path); };
  record.center_lr = number("center_lr");
  record.fit_steps = static_cast<int64_t>(number("fit_steps"));
  record.steps_per_probe = static_cast<int64_t>(number("steps_per_probe"));
  record.start_loss = number("start_loss");
  if (record.fits.empty()) throw FormatError(fmt::format("{}: no probe", path));
  return record;
}

std::vector<ProbeRecord> read_probe_records(const std::string& directory, const std::string& name) {
  std::vector<ProbeRecord> records;
  for (int order = 1; order <= kDataOrders; ++order) {
    const std::string path = directory + "/" + name + order_suffix(order) + ".probe.csv";
    if (std::filesystem::exists(path)) records.push_back(read_probe_record(path));
  }
  return records;
}

ProbeScore score_probes(const RecordedTask& task, const std::vector<ProbeRecord>& probes, double horizon_correction) {
  ProbeScore score;
  double regret_sum = 0, steps_sum = 0, seconds_sum = 0;
  bool answered = !probes.empty();
  for (const ProbeRecord& p : probes) {
    const auto offset = probe_choice(p.fits, horizon_correction);
    score.chosen_offsets.push_back(offset.value_or(kNaN));
    int64_t steps = 0;
    double seconds = 0;
    for (const ProbeFit& f : p.fits) {
      steps += f.steps;
      seconds += f.seconds;
    }
    steps_sum += static_cast<double>(steps) / static_cast<double>(p.fit_steps);
    seconds_sum += seconds / fit_seconds_near(task.record, p.center_lr);
    if (!offset) {
      answered = false;
      continue;
    }
    const double regret = loss_at(task.record, p.center_lr * std::pow(10.0, *offset)) / best_loss(task.record);
    regret_sum += regret;
    score.worst_order_regret = std::max(score.worst_order_regret, regret);
  }
  const double n = static_cast<double>(std::max<std::size_t>(1, probes.size()));
  score.regret = answered ? regret_sum / n : kNaN;
  if (!answered) score.worst_order_regret = kNaN;
  score.cost_steps = steps_sum / n;
  score.cost_seconds = seconds_sum / n;
  return score;
}

double fit_horizon_correction(const std::vector<RecordedTask>& tasks,
                              const std::vector<std::vector<ProbeRecord>>& probes) {
  double best = 0, best_mean = std::numeric_limits<double>::infinity();
  for (int k = -16; k <= 16; ++k) {
    const double correction = k / 16.0;
    double sum = 0;
    int n = 0;
    for (std::size_t t = 0; t < tasks.size(); ++t) {
      if (!design_may_read(tasks[t])) continue;
      const ProbeScore s = score_probes(tasks[t], probes[t], correction);
      if (std::isnan(s.regret)) continue;
      sum += std::log(s.regret);
      ++n;
    }
    if (n > 0 && sum / n < best_mean - 1e-12) {
      best_mean = sum / n;
      best = correction;
    }
  }
  return best;
}

std::string probe_markdown(const std::vector<RecordedTask>& tasks, const std::vector<std::vector<ProbeRecord>>& probes,
                           const std::vector<Score>& curve_only, double horizon_correction) {
  std::vector<ProbeScore> corrected, uncorrected;
  for (std::size_t t = 0; t < tasks.size(); ++t) {
    corrected.push_back(score_probes(tasks[t], probes[t], horizon_correction));
    uncorrected.push_back(score_probes(tasks[t], probes[t], 0.0));
  }
  const auto summary_row = [&](const std::string& label, const std::vector<double>& regrets, int tasks_in_part,
                               const std::string& cost) {
    std::vector<double> answered;
    for (double r : regrets)
      if (!std::isnan(r)) answered.push_back(r);
    const auto within = std::count_if(answered.begin(), answered.end(), [](double r) { return r <= 1.1; });
    return fmt::format("| {} | {:.3f} | {:.3f} | {} / {} | {} | {} |\n", label, median(answered),
                       answered.empty() ? kNaN : *std::max_element(answered.begin(), answered.end()), within,
                       tasks_in_part, tasks_in_part - static_cast<int>(answered.size()), cost);
  };
  std::string out;
  for (const Part& part : parts()) {
    std::vector<double> curve, with, without, steps, seconds;
    for (std::size_t t = 0; t < tasks.size(); ++t) {
      if (!part.has(tasks[t])) continue;
      curve.push_back(curve_only[t].regret);
      with.push_back(corrected[t].regret);
      without.push_back(uncorrected[t].regret);
      steps.push_back(corrected[t].cost_steps);
      seconds.push_back(corrected[t].cost_seconds);
    }
    if (curve.empty()) continue;
    const int n = static_cast<int>(curve.size());
    const std::string cost = fmt::format("{:.2f} steps, {:.2f} time (median; worst {:.2f})", median(steps),
                                         median(seconds), *std::max_element(seconds.begin(), seconds.end()));
    out += fmt::format("## {} ({} tasks)\n\n", part.title, n);
    out +=
        "| mode | median regret | worst regret | within 10% of best | no answer | extra cost in fits |\n"
        "|---|---:|---:|---:|---:|---|\n";
    out += summary_row("auto, curve only", curve, n, "0");
    out += summary_row(fmt::format("auto + probes, horizon correction {:+.4g} decades", horizon_correction), with, n,
                       cost);
    out += summary_row("auto + probes, no correction", without, n, cost);
    out += "\n";
  }
  out +=
      "## Every task\n\nRegret is the mean over the data orders; the offsets are where the probes pointed in each "
      "order (decades from auto's answer, correction included).\n\n"
      "| task | half | auto, curve only | auto + probes | worst order | offsets | extra cost (time) |\n"
      "|---|---|---:|---:|---:|---|---:|\n";
  for (std::size_t t = 0; t < tasks.size(); ++t) {
    const ProbeScore& s = corrected[t];
    std::string offsets;
    for (double o : s.chosen_offsets) offsets += fmt::format("{}{:+.2f}", offsets.empty() ? "" : ", ", o);
    out += fmt::format("| {} | {} | {:.3f} | {:.3f} | {:.3f} | {} | {:.2f} |\n", tasks[t].record.name,
                       tasks[t].record.half, curve_only[t].regret, s.regret, s.worst_order_regret, offsets,
                       s.cost_seconds);
  }
  return out;
}

}  // namespace autolr::quality
