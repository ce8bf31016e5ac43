#pragma once
// Recording auto_fit's verified mode on one task in one data order: the
// library's probe_fits around auto's answer, from the task's initial state
// and that order's seed, as auto_fit runs them after the range test.

#include <string>

#include "probe_score.h"
#include "tasks.h"

namespace autolr::quality {

/// Writes `<directory>/<task><order_suffix(order)>.probe.csv`; returns the record.
ProbeRecord record_probes(const Task& task, double center_lr, const std::string& directory, int order);

}  // namespace autolr::quality
