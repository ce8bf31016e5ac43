#pragma once
// The one way autolr turns JSON into text. Internal to autolr.

#include <nlohmann/json.hpp>
#include <string>

namespace autolr::detail {

/// `value` as JSON text (`indent` as nlohmann's dump: -1 for one line).
/// Bytes that are not valid UTF-8 (a file name from a Latin-1 system) become
/// U+FFFD instead of nlohmann's type_error 316, so no name can cost a
/// finished run its report.
std::string json_text(const nlohmann::ordered_json& value, int indent = -1);

}  // namespace autolr::detail
