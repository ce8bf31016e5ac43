#pragma once
// Recording one task's fits with the learning-rate-free optimizers at their
// reference defaults, with the task's budget, initial weights and data order,
// and one combination with autolr's range test.

#include <string>
#include <vector>

#include "lr_free_record.h"
#include "task_record.h"
#include "tasks.h"

namespace autolr::quality {

/// The methods, in the order of the results tables.
const std::vector<std::string>& lr_free_methods();

/// Trains the task once per method from its initial state in data order
/// `order` and writes `<directory>/<task><order_suffix(order)>.lrfree.csv`; returns the fits.
std::vector<LrFreeFit> record_lr_free(const Task& task, const std::string& directory, int order);

}  // namespace autolr::quality
