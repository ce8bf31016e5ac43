#include "task_record.h"

#include <fmt/format.h>

#include <cmath>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>
#include <vector>

#include "autolr/error.h"
#include "core/text_file.h"

namespace autolr::quality {
double parse_record_number(const std::string& text, const std::string& where) {
  try {
    std::size_t used = 0;
    const double value = std::stod(text, &used);
    if (used == text.size()) return value;
  } catch (const std::exception&) {
  }
  // stod rejects "nan"/"inf" spellings only on some platforms; accept fmt's.
  if (text == "nan") return std::numeric_limits<double>::quiet_NaN();
  if (text == "inf") return std::numeric_limits<double>::infinity();
  throw FormatError(fmt::format("{}: '{}' is not a number", where, text));
}

double scored_valid_loss(double valid_loss, double untrained_loss) {
  return std::isfinite(valid_loss) && valid_loss <= untrained_loss ? valid_loss : untrained_loss;
}

uint64_t data_seed(int order) { return 6 + static_cast<uint64_t>(order); }

std::string order_suffix(int order) { return order == 1 ? "" : fmt::format(".order{}", order); }

void write_fit_facts(const std::map<std::string, FitFacts>& facts, const std::string& directory) {
  std::string text = "name,optimizer,fit_steps\n";
  for (const auto& [name, fit] : facts)
    text += fmt::format("{},{},{}\n", name, fit.optimizer() ? to_string(*fit.optimizer()) : "",
                        fit.fit_steps() ? std::to_string(*fit.fit_steps()) : "");
  detail::write_text_file(directory + "/fit_facts.csv", text);
}

std::map<std::string, FitFacts> read_fit_facts(const std::string& directory) {
  std::map<std::string, FitFacts> facts;
  const std::string path = directory + "/fit_facts.csv";
  std::ifstream in(path);
  if (!in) return facts;
  std::string line;
  std::getline(in, line);
  for (int number = 2; std::getline(in, line); ++number) {
    std::vector<std::string> fields;
    std::stringstream row(line);
    for (std::string field; std::getline(row, field, ',');) fields.push_back(field);
    if (fields.size() == 2) fields.emplace_back();  // no fit_steps: getline drops the empty last field
    const std::string where = fmt::format("{}, line {}", path, number);
    if (fields.size() != 3) throw FormatError(fmt::format("{}: {} fields, expected 3", where, fields.size()));
    FitFacts fit;
    try {
      if (!fields[1].empty()) fit.optimizer(optimizer_family_from_string(fields[1]));
    } catch (const InvalidArgument& e) {
      throw FormatError(fmt::format("{}: {}", where, e.what()));
    }
    if (!fields[2].empty()) fit.fit_steps(static_cast<int64_t>(parse_record_number(fields[2], where)));
    facts[fields[0]] = fit;
  }
  return facts;
}

void write_task_record(const TaskRecord& record, const std::string& path) {
  std::string text;
  text += fmt::format("# name: {}\n# half: {}\n# description: {}\n# metric: {}\n", record.name, record.half,
                      record.description, record.metric_name);
  text += fmt::format("# planned_steps: {}\n# stop_reason: {}\n# initial_valid_loss: {:.17g}\n", record.planned_steps,
                      record.stop_reason, record.initial_valid_loss);
  text += "max_lr,valid_loss,metric,seconds\n";
  for (const GridFit& fit : record.grid)
    text += fmt::format("{:.17g},{:.17g},{:.17g},{:.3f}\n", fit.max_lr, fit.valid_loss, fit.metric, fit.seconds);
  detail::write_text_file(path, text);
}

RecordFile read_record_file(const std::string& path, const std::string& what, const std::string& columns) {
  std::ifstream in(path);
  if (!in) throw FormatError(fmt::format("{}: cannot open the {}", path, what));
  RecordFile file;
  file.path = path;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    const std::string where = fmt::format("{}, line {}", path, number);
    if (line.rfind("# ", 0) == 0) {
      const auto colon = line.find(": ");
      if (colon == std::string::npos) throw FormatError(where + ": a header line needs '# key: value'");
      file.header[line.substr(2, colon - 2)] = line.substr(colon + 2);
    } else if (!line.empty() && line.rfind(columns, 0) != 0) {
      file.rows.emplace_back(where, line);
    }
  }
  return file;
}

const std::string& RecordFile::field(const std::string& key) const {
  const auto found = header.find(key);
  if (found == header.end()) throw FormatError(fmt::format("{}: no '# {}:' line", path, key));
  return found->second;
}

TaskRecord read_task_record(const std::string& path) {
  const RecordFile file = read_record_file(path, "task record", "max_lr,");
  TaskRecord record;
  for (const auto& [where, line] : file.rows) {
    std::istringstream fields(line);
    std::string a, b, c, d;
    if (!std::getline(fields, a, ',') || !std::getline(fields, b, ',') || !std::getline(fields, c, ',') ||
        !std::getline(fields, d))
      throw FormatError(where + ": expected max_lr,valid_loss,metric,seconds");
    record.grid.push_back({parse_record_number(a, where), parse_record_number(b, where), parse_record_number(c, where),
                           parse_record_number(d, where)});
  }
  record.name = file.field("name");
  record.half = file.field("half");
  record.description = file.field("description");
  record.metric_name = file.field("metric");
  record.planned_steps = static_cast<std::size_t>(parse_record_number(file.field("planned_steps"), path));
  record.stop_reason = file.field("stop_reason");
  record.initial_valid_loss = parse_record_number(file.field("initial_valid_loss"), path);
  if (record.grid.size() < 2) throw FormatError(fmt::format("{}: fewer than 2 grid fits", path));
  return record;
}

}  // namespace autolr::quality
