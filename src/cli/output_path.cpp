#include "cli/output_path.h"

#include <fmt/format.h>

#include <filesystem>

#include "cli/bad_option.h"
#include "core/printable.h"

namespace autolr::cli {

bool same_file(const std::string& a, const std::string& b) {
  namespace fs = std::filesystem;
  std::error_code error;
  if (fs::equivalent(a, b, error)) return true;  // both exist: hard and symbolic links too
  const fs::path first = fs::weakly_canonical(a, error);
  if (error) return false;
  const fs::path second = fs::weakly_canonical(b, error);
  return !error && first == second;
}

void check_not_the_input(const std::string& option, const std::string& output, const std::string& input) {
  if (same_file(output, input)) {
    bad_option(
        option, output,
        fmt::format("a path other than the input {}, which it would overwrite", autolr::detail::for_message(input)));
  }
}

}  // namespace autolr::cli
