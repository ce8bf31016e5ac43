#pragma once
// Recording one task: its range-test curve and its grid of one-cycle fits,
// every one from the task's initial state with the same data order.

#include <string>

#include "task_record.h"
#include "tasks.h"

namespace autolr::quality {

/// Writes `<directory>/<task>.curve.csv` and `<directory>/<task>.grid.csv`; returns the record.
TaskRecord record_task(const Task& task, const std::string& directory);

}  // namespace autolr::quality
