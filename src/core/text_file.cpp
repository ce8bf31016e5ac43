#include "core/text_file.h"

#include "core/atomic_file.h"

namespace autolr::detail {

void write_text_file(const std::string& path, const std::string& text) { write_file_atomically(path, text); }

}  // namespace autolr::detail
