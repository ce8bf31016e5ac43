#pragma once
// Outputs must not overwrite the command's inputs.

#include <string>

namespace autolr::cli {

/// True when `a` and `b` name the same file: the same path once made
/// absolute and normal, or the same file through a link.
bool same_file(const std::string& a, const std::string& b);

/// Throws InvalidArgument "<option> = <output>: expected a path other than
/// <input>, ..." when `output` is `input`, before anything is written.
void check_not_the_input(const std::string& option, const std::string& output, const std::string& input);

}  // namespace autolr::cli
