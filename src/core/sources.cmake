# The sources of autolr::core, shared by its library (CMakeLists.txt here) and
# the fuzzer's own small project (tests/fuzz).
set(AUTOLR_CORE_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/atomic_file.cpp
  ${CMAKE_CURRENT_LIST_DIR}/check.cpp
  ${CMAKE_CURRENT_LIST_DIR}/csv_reader.cpp
  ${CMAKE_CURRENT_LIST_DIR}/curve.cpp
  ${CMAKE_CURRENT_LIST_DIR}/curve_csv.cpp
  ${CMAKE_CURRENT_LIST_DIR}/json_text.cpp
  ${CMAKE_CURRENT_LIST_DIR}/one_cycle_schedule.cpp
  ${CMAKE_CURRENT_LIST_DIR}/plot.cpp
  ${CMAKE_CURRENT_LIST_DIR}/plot_schedule.cpp
  ${CMAKE_CURRENT_LIST_DIR}/printable.cpp
  ${CMAKE_CURRENT_LIST_DIR}/probe_choice.cpp
  ${CMAKE_CURRENT_LIST_DIR}/record.cpp
  ${CMAKE_CURRENT_LIST_DIR}/report.cpp
  ${CMAKE_CURRENT_LIST_DIR}/svg_canvas.cpp
  ${CMAKE_CURRENT_LIST_DIR}/text_file.cpp
  ${CMAKE_CURRENT_LIST_DIR}/suggest/auto.cpp
  ${CMAKE_CURRENT_LIST_DIR}/suggest/curve_checks.cpp
  ${CMAKE_CURRENT_LIST_DIR}/suggest/descent_start.cpp
  ${CMAKE_CURRENT_LIST_DIR}/suggest/fit_facts.cpp
  ${CMAKE_CURRENT_LIST_DIR}/suggest/minimum.cpp
  ${CMAKE_CURRENT_LIST_DIR}/suggest/slide.cpp
  ${CMAKE_CURRENT_LIST_DIR}/suggest/steep.cpp
  ${CMAKE_CURRENT_LIST_DIR}/suggest/suggest.cpp
  ${CMAKE_CURRENT_LIST_DIR}/suggest/valley.cpp
)
