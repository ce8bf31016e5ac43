#pragma once
/// All of autolr (target autolr::autolr): the core, the training loop, the
/// range test, one cycle and auto_fit.

#include "autolr/auto_fit.h"
#include "autolr/batch.h"
#include "autolr/callback.h"
#include "autolr/core.h"
#include "autolr/distributed.h"
#include "autolr/lr_finder.h"
#include "autolr/one_cycle.h"
#include "autolr/optim.h"
#include "autolr/probe.h"
#include "autolr/progress.h"
#include "autolr/range_test_options.h"
#include "autolr/snapshot.h"
#include "autolr/trainer.h"
