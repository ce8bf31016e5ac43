# The sources of autolr::core (curves, suggesters, plots; no LibTorch),
# shared by the main build and the fuzzer's (tests/fuzz), relative to the root.
set(AUTOLR_CORE_SOURCES
  src/curve.cpp
  src/curve_csv.cpp
  src/check.cpp
  src/one_cycle_schedule.cpp
  src/plot.cpp
  src/plot_schedule.cpp
  src/progress.cpp
  src/svg_canvas.cpp
  src/text_file.cpp
  src/suggest/curve_checks.cpp
  src/suggest/auto.cpp
  src/suggest/descent_start.cpp
  src/suggest/minimum.cpp
  src/suggest/slide.cpp
  src/suggest/steep.cpp
  src/suggest/suggest.cpp
  src/suggest/valley.cpp
)
