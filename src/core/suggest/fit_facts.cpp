// The facts of a fit that Method::Auto can use, and how far below the blow-up
// they put its answer. The offsets were fitted on bench/quality's design part
// (build/bench/quality_bench --design-table) and scored once on the held-out
// part (bench/quality/results.md).

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
  // Per family, the offset with the least mean log regret on the design part
  // (SGD with momentum: 0.625, worst 1.21 over 16 tasks; Adam and AdamW:
  // 1.125). Plain SGD and RMSprop, without momentum, had their best LR nearer
  // the blow-up; Adagrad's sat where momentum SGD's does (one task each).
  // The fit's steps are not used: on the design part the best offset showed
  // no trend with them (57 to 500 steps).
  if (!fit.optimizer()) return 1.0;  // the offset that does best over all families together
  switch (*fit.optimizer()) {
    case OptimizerFamily::Sgd:
    case OptimizerFamily::Adagrad:
      return 0.625;
    case OptimizerFamily::SgdNoMomentum:
    case OptimizerFamily::RMSprop:
      return 0.25;
    case OptimizerFamily::Adam:
    case OptimizerFamily::AdamW:
      break;
  }
  return 1.125;
}

}  // namespace autolr
