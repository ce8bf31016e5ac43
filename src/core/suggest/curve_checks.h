#pragma once
// Shared by the suggesters: input checks on prepared points, the "no answer"
// result, and the heuristics behind the curve-shape warnings.

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "autolr/suggest.h"

namespace autolr::detail {

/// Throws InvalidArgument unless lrs/losses have equal sizes, are finite and
/// lrs are > 0 and strictly increasing. `where` names the calling function.
void check_points(const char* where, const std::vector<double>& lrs, const std::vector<double>& losses);

/// numpy.gradient with unit spacing: central differences inside, one-sided at
/// the two ends. Fewer than 2 points give zeros.
std::vector<double> index_gradient(const std::vector<double>& values);

/// A suggestion without LR, carrying one warning.
Suggestion no_answer(Method method, WarningKind kind, std::string message);

/// No LR when fewer than `needed` points; the message says how many are needed.
std::optional<Suggestion> require_points(Method method, std::size_t have, std::size_t needed);

/// Noise per point, robust to the curve's own shape: the median absolute
/// second difference scaled to a standard deviation (white noise of sigma has
/// second differences of sigma * sqrt(6)). 0 for fewer than 3 points.
double noise_sigma(const std::vector<double>& losses);

/// FlatCurve when the loss varies by less than 1% of its typical size.
std::optional<Warning> check_flat(const std::vector<double>& losses);
/// NoisyCurve when the per-point noise exceeds 10% of the loss's descent to
/// its lowest point (measured on a moving average of ~n/10 points).
std::optional<Warning> check_noisy(const std::vector<double>& losses);
/// NoDivergence when the loss never rose appreciably after its lowest point:
/// less than 10% of the loss's range above the minimum and less than twice it.
std::optional<Warning> check_no_divergence(const std::vector<double>& lrs, const std::vector<double>& losses);

}  // namespace autolr::detail
