// libFuzzer target: any bytes as a run record, then the report of it (page,
// Markdown, JSON) and the record written and read again. autolr::Error is
// the expected answer to bad input; anything else (a crash, a sanitizer
// report, another exception) is a bug. Run by tools/fuzz for a bounded time.

#include <cstddef>
#include <cstdint>
#include <string>

#include "autolr/error.h"
#include "autolr/record.h"
#include "autolr/report.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    autolr::RunCollection runs;
    runs.runs.push_back({"fuzz.json", autolr::parse_run_record(text, "fuzz.json")});
    runs.runs.push_back(runs.runs.front());  // a duplicate name too
    autolr::parse_run_record(autolr::run_record_json(runs.runs.front().record), "again.json");
    for (auto format : {autolr::ReportFormat::Html, autolr::ReportFormat::Markdown, autolr::ReportFormat::Json}) {
      if (autolr::render_report(runs, format).empty()) __builtin_trap();
    }
  } catch (const autolr::Error&) {
    // Bad input, rejected with a message: what autolr promises.
  }
  return 0;
}
