// The facts of a fit that Method::Auto can use, and how far below the blow-up
// they put its answer. The offsets were fitted on bench/quality's design part
// (bench/quality/results.md, "What the fit knows").

#include <fmt/format.h>

#include <cmath>
#include <utility>

#include "autolr/error.h"
#include "autolr/suggest.h"
#include "core/printable.h"

namespace autolr {
namespace {

const std::pair<OptimizerFamily, const char*> kFamilies[] = {
    {OptimizerFamily::Sgd, "sgd"},         {OptimizerFamily::SgdNoMomentum, "sgd-nomomentum"},
    {OptimizerFamily::Adam, "adam"},       {OptimizerFamily::AdamW, "adamw"},
    {OptimizerFamily::RMSprop, "rmsprop"}, {OptimizerFamily::Adagrad, "adagrad"}};

}  // namespace

std::string to_string(OptimizerFamily family) {
  for (const auto& [f, name] : kFamilies)
    if (f == family) return name;
  return "unknown";
}

std::string optimizer_family_names() {
  std::string names;
  for (const auto& [f, name] : kFamilies) names += (names.empty() ? "" : ", ") + std::string(name);
  return names;
}

OptimizerFamily optimizer_family_from_string(const std::string& name) {
  for (const auto& [f, known] : kFamilies)
    if (name == known) return f;
  throw InvalidArgument(fmt::format("optimizer = \"{}\", expected one of {}", detail::for_message(name),
                                    optimizer_family_names()));
}

double auto_decades_below_blowup(const FitFacts& fit) {
  double below = 1.0;
  if (fit.optimizer()) {
    switch (*fit.optimizer()) {
      case OptimizerFamily::Sgd:
      case OptimizerFamily::SgdNoMomentum:
      case OptimizerFamily::Adagrad:
        below = 0.5;
        break;
      case OptimizerFamily::Adam:
      case OptimizerFamily::AdamW:
      case OptimizerFamily::RMSprop:
        below = 1.0;
        break;
    }
  }
  return below;
}

}  // namespace autolr
