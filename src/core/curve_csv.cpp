#include "autolr/curve_csv.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <fstream>
#include <optional>
#include <sstream>
#include <vector>

#include "autolr/error.h"
#include "core/check.h"
#include "core/text_file.h"

namespace autolr {
namespace {

// Where a problem is, for messages: "curve.csv, row 3 (line 4), column lr".
struct Location {
  const std::string& source;
  std::size_t line;  // 1-based line in the file; the header is line 1

  std::string at(const std::string& column) const {
    return fmt::format("{}, row {} (line {}), column {}", source, line - 1, line, column);
  }
};

std::string trim(const std::string& text) {
  const auto first = text.find_first_not_of(" \t\r");
  if (first == std::string::npos) return "";
  const auto last = text.find_last_not_of(" \t\r");
  std::string field = text.substr(first, last - first + 1);
  // Tools that quote every field (csv.QUOTE_ALL) write "lr": accept it.
  if (field.size() >= 2 && field.front() == '"' && field.back() == '"') field = field.substr(1, field.size() - 2);
  return field;
}

std::vector<std::string> split_fields(const std::string& line) {
  std::vector<std::string> fields;
  std::string field;
  std::istringstream stream(line);
  while (std::getline(stream, field, ',')) fields.push_back(trim(field));
  if (!line.empty() && line.back() == ',') fields.emplace_back();
  return fields;
}

// Locale-independent and strict: the whole field must be one number.
// Accepts nan and inf (any case), as Python and C++ write them.
double parse_number(const std::string& field, const Location& where, const std::string& column) {
  const char* begin = field.data();
  const char* end = begin + field.size();
  if (begin != end && *begin == '+') ++begin;  // from_chars rejects a leading '+'
  double value = 0;
  const auto [stop, error] = std::from_chars(begin, end, value);
  if (field.empty() || error == std::errc::invalid_argument || stop != end) {
    throw FormatError(fmt::format("{}: '{}' is not a number", where.at(column), field));
  }
  if (error == std::errc::result_out_of_range) {
    throw FormatError(fmt::format("{}: '{}' is out of the range of a double", where.at(column), field));
  }
  return value;
}

struct Columns {
  std::size_t lr;
  std::size_t loss;
  std::optional<std::size_t> smooth_loss;
  std::size_t count;
};

Columns find_columns(const std::string& header, const std::string& source) {
  const auto names = split_fields(header);
  std::optional<std::size_t> lr, loss, smooth_loss;
  for (std::size_t i = 0; i < names.size(); ++i) {
    std::optional<std::size_t>* slot = names[i] == "lr"            ? &lr
                                       : names[i] == "loss"        ? &loss
                                       : names[i] == "smooth_loss" ? &smooth_loss
                                                                   : nullptr;
    if (slot == nullptr) continue;
    if (*slot) {
      throw FormatError(fmt::format("{}, line 1 (header): column {} appears twice", source, names[i]));
    }
    *slot = i;
  }
  for (const auto& [name, index] : {std::pair{"lr", lr}, std::pair{"loss", loss}}) {
    if (!index) {
      throw FormatError(
          fmt::format("{}, line 1 (header): missing column {} (header is '{}'; expected at least lr,loss)", source,
                      name, trim(header)));
    }
  }
  return Columns{*lr, *loss, smooth_loss, names.size()};
}

}  // namespace

LRCurve parse_curve_csv(std::istream& in, const std::string& source_name) {
  std::string line;
  if (!std::getline(in, line) || trim(line).empty()) {
    throw FormatError(
        fmt::format("{}: the file is empty, expected a header row lr,loss[,smooth_loss] and data rows", source_name));
  }
  const Columns columns = find_columns(line, source_name);

  std::vector<double> lrs, losses, smoothed;
  std::size_t line_number = 1;
  while (std::getline(in, line)) {
    ++line_number;
    if (trim(line).empty()) continue;
    const Location where{source_name, line_number};
    const auto fields = split_fields(line);
    if (fields.size() != columns.count) {
      throw FormatError(fmt::format("{}, row {} (line {}): {} fields, expected {} as in the header", source_name,
                                    line_number - 1, line_number, fields.size(), columns.count));
    }
    const double lr = parse_number(fields[columns.lr], where, "lr");
    const double* previous = lrs.empty() ? nullptr : &lrs.back();
    if (!detail::learning_rate_ok(lr, previous)) {
      throw FormatError(fmt::format("{}: lr = {}, expected {}", where.at("lr"), fields[columns.lr],
                                    detail::learning_rate_expectation(lr, previous, "the previous row's lr")));
    }
    lrs.push_back(lr);
    losses.push_back(parse_number(fields[columns.loss], where, "loss"));
    if (columns.smooth_loss) smoothed.push_back(parse_number(fields[*columns.smooth_loss], where, "smooth_loss"));
  }

  if (lrs.size() < 2) {
    throw FormatError(fmt::format("{}: {}, expected at least 2 data rows (a curve needs two points)", source_name,
                                  lrs.empty() ? "a header but no data rows" : "only one data row"));
  }
  if (columns.smooth_loss) return LRCurve(std::move(lrs), std::move(losses), std::move(smoothed));
  return LRCurve(std::move(lrs), std::move(losses));
}

LRCurve read_curve_csv(const std::string& path) {
  std::ifstream file(path);
  if (!file) throw FormatError(fmt::format("{}: cannot open the file for reading", path));
  return parse_curve_csv(file, path);
}

void write_curve_csv(const LRCurve& curve, std::ostream& out) {
  // Per-group LRs go in extra columns, which readers ignore.
  out << "lr,loss,smooth_loss";
  for (std::size_t g = 0; g < curve.group_lrs().size(); ++g) out << ",lr_group_" << g;
  out << '\n';
  for (std::size_t i = 0; i < curve.size(); ++i) {
    out << fmt::format("{},{},{}", curve.lrs()[i], curve.losses()[i], curve.smoothed_losses()[i]);
    for (const auto& group : curve.group_lrs()) out << fmt::format(",{}", group[i]);
    out << '\n';
  }
}

void write_curve_csv(const LRCurve& curve, const std::string& path) {
  std::ostringstream text;
  write_curve_csv(curve, text);
  detail::write_text_file(path, text.str());
}

}  // namespace autolr
