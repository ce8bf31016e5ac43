#pragma once
// Reads CSV records as pandas and Python's csv module write them (RFC 4180:
// a quoted field may hold commas, newlines and doubled quotes), with a limit
// on the length of a record so that no input, not even /dev/zero, can make
// the reader hold more than that in memory. Internal to autolr.

#include <cstddef>
#include <istream>
#include <string>
#include <vector>

namespace autolr::detail {

struct CsvRecord {
  std::vector<std::string> fields;  ///< unquoted; unquoted fields trimmed of spaces, tabs and \r
  std::size_t line = 0;             ///< the 1-based line the record starts on
  bool blank = false;               ///< nothing but spaces, tabs or \r on the line
  bool ends_with_newline = false;   ///< false for a last line cut off without its newline
};

class CsvReader {
 public:
  /// `source_name` stands for the input in messages; `max_record_bytes` is
  /// the longest record (a line, or several when a quoted field holds
  /// newlines) it reads. Skips a UTF-8 byte order mark at the start (Excel
  /// writes one).
  CsvReader(std::istream& in, std::string source_name, std::size_t max_record_bytes);

  /// Reads the next record into `record`; false at the end of the input.
  /// Throws FormatError naming the source and line for a record longer than
  /// max_record_bytes, a quoted field that never ends, text after a closing
  /// quote, and a read error (a directory, an I/O error).
  bool next(CsvRecord& record);

 private:
  int get();
  int peek();
  [[noreturn]] void fail(std::size_t line, const std::string& problem) const;

  std::streambuf& in_;
  std::string source_;
  std::size_t max_record_bytes_;
  std::size_t line_ = 1;  // the line the next byte is on
};

}  // namespace autolr::detail
