#pragma once
/// The torch-free part of autolr (target autolr::core): curves and their CSV
/// files, the suggesters, plots, the one-cycle schedule as numbers, run
/// records and the report over many of them.
/// Builds and links without LibTorch.

#include "autolr/curve.h"
#include "autolr/curve_csv.h"
#include "autolr/error.h"
#include "autolr/one_cycle_schedule.h"
#include "autolr/plot.h"
#include "autolr/probe_choice.h"
#include "autolr/record.h"
#include "autolr/report.h"
#include "autolr/suggest.h"
