#pragma once
// JSON forms of autolr's results, shared by the commands that write JSON.

#include <nlohmann/json.hpp>

#include "autolr/suggest.h"

namespace autolr::cli {

/// {"method", "lr" (null when none), "index", "warnings": [{"kind", "message"}], "evidence": [first, last]}
nlohmann::ordered_json to_json(const Suggestion& suggestion);

}  // namespace autolr::cli
