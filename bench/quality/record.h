#pragma once
// Recording one task in one data order: its range-test curve and its grid of
// one-cycle fits, every one from the task's initial state with that order.

#include <string>

#include "task_record.h"
#include "tasks.h"

namespace autolr::quality {

/// Writes `<directory>/<task><order_suffix(order)>.curve.csv` and `.grid.csv`; returns the record.
TaskRecord record_task(const Task& task, const std::string& directory, int order);

}  // namespace autolr::quality
