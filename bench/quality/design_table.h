#pragma once
// The table the fit-aware default was designed from: for every task the design
// may read (never the second corpus's held-out part), where the blow-up lies,
// where the best one-cycle LR lies, and the regret of answering d decades
// below the blow-up for d in 0, 0.125, ..., 2.

#include <string>
#include <vector>

#include "score.h"

namespace autolr::quality {

/// CSV: name,half,optimizer,fit_steps,orders,confidence,blowup_lr,best_lr,r0,r0.125,...,r2
std::string design_table_csv(const std::vector<RecordedTask>& tasks);

}  // namespace autolr::quality
