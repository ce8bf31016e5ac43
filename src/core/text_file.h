#pragma once
// Writing a whole text file, with the error autolr gives for files.

#include <string>

namespace autolr::detail {

/// Writes `text` to `path`, replacing it whole or not at all (AtomicFile).
/// Throws FormatError naming the path.
void write_text_file(const std::string& path, const std::string& text);

}  // namespace autolr::detail
