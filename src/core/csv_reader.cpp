#include "core/csv_reader.h"

#include <fmt/format.h>

#include <cstdio>
#include <ios>
#include <string_view>

#include "autolr/error.h"
#include "core/printable.h"

namespace autolr::detail {

CsvReader::CsvReader(std::istream& in, std::string source_name, std::size_t max_record_bytes)
    : in_(*in.rdbuf()), source_(std::move(source_name)), max_record_bytes_(max_record_bytes) {
  std::size_t matched = 0;
  for (const char expected : std::string_view("\xEF\xBB\xBF")) {
    if (peek() != static_cast<unsigned char>(expected)) {
      // Not a byte order mark: what was read of it goes back.
      for (; matched > 0; --matched) in_.sungetc();
      return;
    }
    get();
    ++matched;
  }
}

// libstdc++ reports a read error (EISDIR for a directory) by throwing from
// the stream buffer; anything else would see it as the end of the file.
int CsvReader::get() {
  try {
    const int c = in_.sbumpc();
    if (c == '\n') ++line_;
    return c;
  } catch (const std::ios_base::failure& e) {
    fail(line_, fmt::format("cannot read the file: {}", e.code() ? e.code().message() : e.what()));
  }
}

int CsvReader::peek() {
  try {
    return in_.sgetc();
  } catch (const std::ios_base::failure& e) {
    fail(line_, fmt::format("cannot read the file: {}", e.code() ? e.code().message() : e.what()));
  }
}

void CsvReader::fail(std::size_t line, const std::string& problem) const {
  throw FormatError(fmt::format("{}, line {}: {}", for_message(source_, std::string::npos), line, problem));
}

bool CsvReader::next(CsvRecord& record) {
  record.fields.clear();
  record.line = line_;
  if (peek() == EOF) return false;
  std::size_t record_bytes = 0;
  const auto take = [&] {
    const int c = get();
    if (c != EOF && ++record_bytes > max_record_bytes_) {
      fail(record.line,
           fmt::format("a line longer than {} bytes (the reader's limit), expected a CSV row", max_record_bytes_));
    }
    return c;
  };
  bool any_quoted = false;
  for (std::string field;; field.clear()) {
    int c = take();
    while (c == ' ' || c == '\t') c = take();
    if (c == '"') {
      any_quoted = true;
      const std::size_t opened = line_;
      for (c = take(); c != '"' || peek() == '"'; c = take()) {
        if (c == EOF)
          fail(opened, "a quoted field that never closes, expected a closing \" (the file may be cut short)");
        if (c == '"') c = take();  // a doubled quote stands for one
        field += static_cast<char>(c);
      }
      for (c = take(); c == ' ' || c == '\t' || c == '\r';) c = take();
      if (c != ',' && c != '\n' && c != EOF) {
        fail(line_, fmt::format("field {}: text after its closing quote, expected a comma or the end of the line",
                                record.fields.size() + 1));
      }
    } else {
      for (; c != ',' && c != '\n' && c != EOF; c = take()) field += static_cast<char>(c);
      while (!field.empty() && (field.back() == ' ' || field.back() == '\t' || field.back() == '\r')) field.pop_back();
    }
    record.fields.push_back(field);
    if (c == ',') continue;
    record.ends_with_newline = c == '\n';
    break;
  }
  record.blank = !any_quoted && record.fields.size() == 1 && record.fields[0].empty();
  return true;
}

}  // namespace autolr::detail
