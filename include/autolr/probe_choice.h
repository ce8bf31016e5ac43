#pragma once
/// What probe fits (autolr/probe.h) measured, as plain values, and the rule
/// that reads them: no LibTorch, so benchmarks score it cheaply.

#include <cstdint>
#include <optional>
#include <vector>

namespace autolr {

struct ProbeFit {
  double offset = 0;                  ///< decades from the suggestion
  std::vector<double> group_max_lrs;  ///< the max LR of each param group
  /// The validation loss after the probe, or without validation data the
  /// mean training loss of its last fifth of batches; inf when a training
  /// loss was not finite (the probe stopped there).
  double loss = 0;
  /// The loss is not finite or above where the probe started (the
  /// validation loss before the probes; the probe's first training loss):
  /// no candidate.
  bool diverged = false;
  int64_t steps = 0;  ///< optimizer steps it ran (fewer when it diverged)
  double seconds = 0;
};

/// Where `fits` point, in decades: the offset of the lowest loss of a probe that did not diverge,
/// moved to the vertex of the parabola through it and its two neighbours
/// (in offset order) when neither diverged, plus `horizon_correction`. None
/// when every probe diverged.
std::optional<double> probe_choice(const std::vector<ProbeFit>& fits, double horizon_correction);

}  // namespace autolr
