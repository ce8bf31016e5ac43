// Every C++ block of the README is a region of an example that the build
// compiles and the tests run, marked "// [readme-NAME]" there: this checks the
// README still holds each region verbatim (dedented), so the two cannot drift.

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "autolr/auto_fit.h"
#include "autolr/lr_finder.h"
#include "autolr/plot.h"
#include "test_support.h"

namespace autolr {
namespace {

const std::string kSourceDir = std::filesystem::path(AUTOLR_TEST_DATA_DIR).parent_path().parent_path().string();

// The lines between the two markers, with their common indentation removed.
std::string region(const std::string& source, const std::string& marker) {
  std::istringstream lines(source);
  std::vector<std::string> kept;
  bool inside = false;
  for (std::string line; std::getline(lines, line);) {
    if (line.find(marker) != std::string::npos) {
      if (inside) break;
      inside = true;
      continue;
    }
    if (inside) kept.push_back(line);
  }
  std::size_t indent = std::string::npos;
  for (const auto& line : kept) {
    if (!line.empty()) indent = std::min(indent, line.find_first_not_of(' '));
  }
  std::string text;
  for (const auto& line : kept) text += (line.empty() ? line : line.substr(indent)) + "\n";
  return text;
}

TEST(Readme, EveryCppBlockIsCodeThatAnExampleCompiles) {
  const std::string readme = test::read_file(kSourceDir + "/README.md");
  ASSERT_FALSE(readme.empty());
  const std::vector<std::pair<std::string, std::string>> regions = {
      {"examples/suggest_from_csv.cpp", "[readme-suggest]"},
      {"examples/trainer_range_test.cpp", "[readme-trainer]"},
      {"examples/hand_written_loop.cpp", "[readme-hand-written-loop]"},
      {"examples/transfer_learning.cpp", "[readme-transfer]"},
      {"examples/distributed_training.cpp", "[readme-distributed]"},
      {"examples/regression.cpp", "[readme-probe]"},
  };
  for (const auto& [file, marker] : regions) {
    const std::string code = region(test::read_file(kSourceDir + "/" + file), marker);
    ASSERT_GT(code.size(), 100u) << file << " " << marker;
    EXPECT_NE(readme.find("```cpp\n" + code + "```"), std::string::npos)
        << file << " " << marker << " is not in the README as it stands in the example:\n"
        << code;
  }
  // And no C++ block in the README that is not one of these regions.
  std::size_t blocks = 0;
  for (std::size_t at = readme.find("```cpp\n"); at != std::string::npos; at = readme.find("```cpp\n", at + 1))
    ++blocks;
  EXPECT_EQ(blocks, regions.size());
}

// The "default" column of the table under "## <heading>" in a markdown file,
// by option name (the "name" column, or the first one when it is headed by
// the struct's name), without backticks.
std::map<std::string, std::string> documented_defaults(const std::string& doc, const std::string& heading) {
  std::istringstream lines(doc.substr(doc.find("## " + heading + "\n")));
  std::map<std::string, std::string> defaults;
  std::vector<std::string> columns;
  auto cells = [](const std::string& row) {
    std::vector<std::string> out;
    std::string cell;
    for (std::size_t i = 1; i < row.size(); ++i) {
      if (row[i] == '|') {
        cell.erase(std::remove(cell.begin(), cell.end(), '`'), cell.end());
        const auto first = cell.find_first_not_of(' '), last = cell.find_last_not_of(' ');
        out.push_back(first == std::string::npos ? "" : cell.substr(first, last - first + 1));
        cell.clear();
      } else {
        cell += row[i];
      }
    }
    return out;
  };
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("|", 0) != 0) {
      if (!columns.empty()) break;
      continue;
    }
    if (columns.empty()) {
      columns = cells(line);
      continue;
    }
    if (line.rfind("|---", 0) == 0) continue;
    const auto row = cells(line);
    const auto at = [&](const std::string& column) {
      const auto found = std::find(columns.begin(), columns.end(), column);
      return found == columns.end() ? std::string() : row.at(static_cast<std::size_t>(found - columns.begin()));
    };
    const std::string name = at("name").empty() ? row.at(0) : at("name");
    defaults[name] = at("default");
  }
  return defaults;
}

// "1e-7", "0.98", "true", "Exponential", "Auto (kDefaultMethod)": the first
// word, compared with the code's value as a number or case-insensitively.
void expect_documented(const std::map<std::string, std::string>& docs, const std::string& name,
                       const std::string& actual) {
  ASSERT_TRUE(docs.count(name)) << name << " is not in the table";
  const std::string documented = docs.at(name).substr(0, docs.at(name).find(' '));
  char* end = nullptr;
  const double number = std::strtod(documented.c_str(), &end);
  if (end && *end == '\0' && !documented.empty()) {
    ADD_FAILURE() << name << ": documented as the number " << documented << ", the code's default is " << actual;
    return;
  }
  auto lower = [](std::string text) {
    std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
    return text;
  };
  EXPECT_EQ(lower(documented), lower(actual)) << name;
}

void expect_documented(const std::map<std::string, std::string>& docs, const std::string& name, double actual) {
  ASSERT_TRUE(docs.count(name)) << name << " is not in the table";
  EXPECT_DOUBLE_EQ(std::stod(docs.at(name)), actual) << name << " is documented as " << docs.at(name);
}

TEST(Readme, ReferenceTablesGiveTheCodesDefaults) {
  const std::string doc = test::read_file(kSourceDir + "/docs/reference.md");
  const LRFinderOptions range;
  const auto r = documented_defaults(doc, "LRFinderOptions");
  expect_documented(r, "start_lr", static_cast<double>(range.start_lr()));
  expect_documented(r, "end_lr", static_cast<double>(range.end_lr()));
  expect_documented(r, "num_iter", static_cast<double>(range.num_iter()));
  expect_documented(r, "mode", range.mode() == RangeMode::Exponential ? "exponential" : "linear");
  expect_documented(r, "smoothing", static_cast<double>(range.smoothing()));
  expect_documented(r, "diverge_factor", static_cast<double>(*range.diverge_factor()));
  expect_documented(r, "accumulation_steps", static_cast<double>(range.accumulation_steps()));
  expect_documented(r, "use_validation", range.use_validation() ? "true" : "false");
  expect_documented(r, "restore", range.restore() ? "true" : "false");
  expect_documented(r, "readback_every", static_cast<double>(range.readback_every()));
  expect_documented(r, "progress", range.progress() ? "true" : "false");

  const AutoFitOptions fit;
  const auto f = documented_defaults(doc, "AutoFitOptions");
  expect_documented(f, "method", to_string(fit.method()));
  expect_documented(f, "group_ratio", static_cast<double>(fit.group_ratio()));
  expect_documented(f, "lower_end_from_curve", fit.lower_end_from_curve() ? "true" : "false");
  expect_documented(f, "max_group_ratio", static_cast<double>(fit.max_group_ratio()));
  expect_documented(f, "print", fit.print() ? "true" : "false");

  const ProbeOptions probe;
  const auto p = documented_defaults(doc, "ProbeOptions");
  expect_documented(p, "fraction", probe.fraction());
  expect_documented(p, "horizon_correction", probe.horizon_correction());
  expect_documented(p, "lower_when_all_diverge", probe.lower_when_all_diverge() ? "true" : "false");
  EXPECT_EQ(p.at("offsets"), fmt::format("{{{}}}", fmt::join(probe.offsets(), ", ")));

  const PlotOptions plot;
  const auto pl = documented_defaults(doc, "PlotOptions");
  expect_documented(pl, "width", static_cast<double>(plot.width()));
  expect_documented(pl, "height", static_cast<double>(plot.height()));
  expect_documented(pl, "probes", plot.probes().fits.empty() && !plot.probes().trained_lr ? "none" : "some");
}

}  // namespace
}  // namespace autolr
