#pragma once
// Scoring the learning-rate-free optimizers against the same one-cycle grid
// as the suggesters: regret = the fit's final validation loss (scored as the
// grid's: a fit that blew up counts as no training) / the grid's best. A
// regret below 1 beats every one-cycle fit of the grid.

#include <string>
#include <vector>

#include "lr_free_record.h"
#include "score.h"

namespace autolr::quality {

double lr_free_regret(const TaskRecord& record, const LrFreeFit& fit);

/// The section of results.md for them: per set of tasks, each method's median
/// and worst regret, how many within 10% of the grid's best and how many below
/// it, beside autolr's `auto` + one cycle on the same tasks; then per task.
/// `fits[t]` are task t's fits (empty when not recorded), `scores[t]` its
/// suggesters' scores (score_task with all_methods()).
std::string lr_free_markdown(const std::vector<RecordedTask>& tasks, const std::vector<std::vector<LrFreeFit>>& fits,
                             const std::vector<std::vector<Score>>& scores, const std::vector<std::string>& methods);

}  // namespace autolr::quality
