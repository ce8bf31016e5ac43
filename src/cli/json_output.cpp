#include "cli/json_output.h"

namespace autolr::cli {

nlohmann::ordered_json to_json(const Suggestion& s) {
  nlohmann::ordered_json warnings = nlohmann::ordered_json::array();
  for (const auto& w : s.warnings) warnings.push_back({{"kind", to_string(w.kind)}, {"message", w.message}});
  nlohmann::ordered_json out = {{"method", to_string(s.method)},
                                {"lr", s.lr ? nlohmann::ordered_json(*s.lr) : nlohmann::ordered_json(nullptr)},
                                {"index", s.index ? nlohmann::ordered_json(*s.index) : nlohmann::ordered_json(nullptr)},
                                {"warnings", warnings}};
  if (s.evidence) out["evidence"] = {s.evidence->first, s.evidence->last};
  if (s.confidence) out["confidence"] = *s.confidence;
  return out;
}

}  // namespace autolr::cli
