#include "text_file.h"

#include <fmt/format.h>

#include <fstream>

#include "autolr/error.h"

namespace autolr::detail {

void write_text_file(const std::string& path, const std::string& text) {
  std::ofstream file(path);
  if (!file) throw FormatError(fmt::format("{}: cannot open the file for writing", path));
  file << text;
  file.flush();
  if (!file) throw FormatError(fmt::format("{}: writing the file failed", path));
}

}  // namespace autolr::detail
