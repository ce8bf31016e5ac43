#include "autolr/curve_csv.h"

#include <fmt/format.h>

#include <charconv>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <vector>

#include "autolr/error.h"
#include "core/check.h"
#include "core/csv_reader.h"
#include "core/printable.h"
#include "core/text_file.h"

namespace autolr {
namespace {

using detail::for_message;

constexpr const char* kExpectedHeader = "lr,loss[,smooth_loss]";

// Where a problem is, for messages: "curve.csv, row 3 (line 4), column lr".
struct Location {
  const std::string& source;
  std::size_t row;   // 1-based data row
  std::size_t line;  // 1-based line in the file; the header is line 1

  std::string at(const std::string& column) const {
    return fmt::format("{}, row {} (line {}), column {}", source, row, line, column);
  }
};

// Locale-independent and strict: the whole field must be one number.
// Accepts nan and inf (any case), as Python and C++ write them.
double parse_number(const std::string& field, const Location& where, const std::string& column) {
  const char* begin = field.data();
  const char* end = begin + field.size();
  if (begin != end && *begin == '+') ++begin;  // from_chars rejects a leading '+'
  double value = 0;
  const auto [stop, error] = std::from_chars(begin, end, value);
  if (field.empty() || error == std::errc::invalid_argument || stop != end) {
    throw FormatError(fmt::format("{}: '{}' is not a number", where.at(column), for_message(field)));
  }
  if (error == std::errc::result_out_of_range) {
    throw FormatError(fmt::format("{}: '{}' is out of the range of a double", where.at(column), for_message(field)));
  }
  return value;
}

struct Columns {
  std::size_t lr;
  std::size_t loss;
  std::optional<std::size_t> smooth_loss;
  std::size_t count;
};

Columns find_columns(const std::vector<std::string>& names, const std::string& source) {
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
      std::string header;
      for (const auto& column : names) header += (header.empty() ? "" : ",") + column;
      throw FormatError(
          fmt::format("{}, line 1 (header): missing column {} (header is '{}'; expected at least lr,loss)", source,
                      name, for_message(header)));
    }
  }
  return Columns{*lr, *loss, smooth_loss, names.size()};
}

// autolr and pandas end every line with a newline, so a last line without
// one is a file cut short: perhaps inside its last number, which would
// otherwise read back as a valid, shorter curve.
void check_complete(const detail::CsvRecord& record, const std::string& source) {
  if (record.ends_with_newline) return;
  throw FormatError(fmt::format(
      "{}, line {}: the last line does not end with a newline, so the file looks cut short (autolr and pandas end "
      "every line with one); expected a complete file",
      source, record.line));
}

// The header: the first line, which must not be blank.
std::vector<std::string> read_header(detail::CsvReader& reader, const std::string& source) {
  detail::CsvRecord record;
  if (!reader.next(record)) {
    throw FormatError(
        fmt::format("{}: the file is empty, expected a header row {} and data rows", source, kExpectedHeader));
  }
  if (record.blank) {
    std::size_t blank_lines = 1;
    detail::CsvRecord next;
    while (reader.next(next)) {
      if (!next.blank) {
        throw FormatError(fmt::format("{}, line 1: a blank line where the header should be, expected the header row {}",
                                      source, kExpectedHeader));
      }
      ++blank_lines;
    }
    throw FormatError(fmt::format("{}: the file is empty ({} blank line{}), expected a header row {} and data rows",
                                  source, blank_lines, blank_lines == 1 ? "" : "s", kExpectedHeader));
  }
  check_complete(record, source);
  return std::move(record.fields);
}

}  // namespace

LRCurve parse_curve_csv(std::istream& in, const std::string& source_name) {
  const std::string source = for_message(source_name, std::string::npos);
  detail::CsvReader reader(in, source_name, kMaxCurveLineBytes);
  const Columns columns = find_columns(read_header(reader, source), source);

  std::vector<double> lrs, losses, smoothed;
  detail::CsvRecord record;
  while (reader.next(record)) {
    if (record.blank) continue;
    check_complete(record, source);
    if (lrs.size() == kMaxCurveRows) {
      throw FormatError(
          fmt::format("{}, line {}: more than {} data rows, expected at most {} (autolr's limit for a "
                      "curve file)",
                      source, record.line, kMaxCurveRows, kMaxCurveRows));
    }
    const Location where{source, lrs.size() + 1, record.line};
    const auto& fields = record.fields;
    if (fields.size() != columns.count) {
      throw FormatError(fmt::format("{}, row {} (line {}): {} fields, expected {} as in the header", source, where.row,
                                    where.line, fields.size(), columns.count));
    }
    const double lr = parse_number(fields[columns.lr], where, "lr");
    const double* previous = lrs.empty() ? nullptr : &lrs.back();
    if (!detail::learning_rate_ok(lr, previous)) {
      throw FormatError(fmt::format("{}: lr = {}, expected {}", where.at("lr"), for_message(fields[columns.lr]),
                                    detail::learning_rate_expectation(lr, previous, "the previous row's lr")));
    }
    lrs.push_back(lr);
    losses.push_back(parse_number(fields[columns.loss], where, "loss"));
    if (columns.smooth_loss) smoothed.push_back(parse_number(fields[*columns.smooth_loss], where, "smooth_loss"));
  }

  if (lrs.size() < 2) {
    throw FormatError(fmt::format("{}: {}, expected at least 2 data rows (a curve needs two points)", source,
                                  lrs.empty() ? "a header but no data rows" : "only one data row"));
  }
  if (columns.smooth_loss) return LRCurve(std::move(lrs), std::move(losses), std::move(smoothed));
  return LRCurve(std::move(lrs), std::move(losses));
}

LRCurve read_curve_csv(const std::string& path) {
  // A directory opens as a file and fails only when read: say what it is.
  std::error_code ignored;
  if (std::filesystem::is_directory(path, ignored)) {
    throw FormatError(fmt::format("{}: a directory, expected a CSV file", for_message(path, std::string::npos)));
  }
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    throw FormatError(fmt::format("{}: cannot open the file for reading", for_message(path, std::string::npos)));
  }
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
