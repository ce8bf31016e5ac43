// Every suggester against results computed by the reference implementation
// of fastai's functions and the forum rule (tools/make_suggester_vectors.py),
// on 15 curves of different shapes. Exact: same index, same double.

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "autolr/curve_csv.h"
#include "autolr/suggest.h"
#include "test_support.h"

namespace autolr {
namespace {

struct VectorCase {
  std::string curve, method, lr_diff, threshold, adjust, skip_start, skip_end, lr, index;
  std::string label() const {
    return curve + " " + method + " lr_diff=" + lr_diff + " threshold=" + threshold + " adjust=" + adjust +
           " skip_start=" + skip_start + " skip_end=" + skip_end;
  }
};

std::vector<VectorCase> load_cases() {
  std::ifstream in(test::data_path("suggester_vectors.csv"));
  std::string line;
  std::getline(in, line);  // header
  std::vector<VectorCase> cases;
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    std::stringstream row(line);
    std::string field;
    while (std::getline(row, field, ',')) f.push_back(field);
    if (!line.empty() && line.back() == ',') f.emplace_back();
    if (f.size() != 9) throw std::runtime_error("bad vector row: " + line);
    cases.push_back({f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8]});
  }
  return cases;
}

SuggestOptions options_for(const VectorCase& c) {
  SuggestOptions options;
  if (!c.lr_diff.empty()) {
    options.slide().lr_diff(std::stoul(c.lr_diff));
    options.slide_forum().lr_diff(std::stoul(c.lr_diff));
  }
  if (!c.threshold.empty()) {
    options.slide().threshold(std::stod(c.threshold));
    options.slide_forum().loss_threshold(std::stod(c.threshold));
  }
  if (!c.adjust.empty()) {
    options.slide().adjust_value(std::stod(c.adjust));
    options.slide_forum().adjust_value(std::stod(c.adjust));
  }
  if (!c.skip_start.empty()) options.skip_start(std::stoul(c.skip_start));
  if (!c.skip_end.empty()) options.skip_end(std::stoul(c.skip_end));
  return options;
}

TEST(SuggestVectors, EveryMethodMatchesTheReferenceOnEveryCurve) {
  const auto cases = load_cases();
  ASSERT_GE(cases.size(), 150u);
  std::size_t with_answer = 0;
  for (const auto& c : cases) {
    SCOPED_TRACE(c.label());
    const LRCurve curve = read_curve_csv(test::curve_path(c.curve));
    const Suggestion s = suggest(curve, method_from_string(c.method), options_for(c));
    if (c.lr == "none") {
      EXPECT_FALSE(s.lr.has_value()) << "got " << *s.lr;
      EXPECT_FALSE(s.index.has_value());
      EXPECT_FALSE(s.warnings.empty()) << "no answer must say why";
      continue;
    }
    ++with_answer;
    ASSERT_TRUE(s.lr.has_value()) << (s.warnings.empty() ? "" : s.warnings[0].message);
    EXPECT_EQ(*s.lr, std::stod(c.lr));
    EXPECT_EQ(*s.index, std::stoul(c.index));
  }
  EXPECT_GE(with_answer, 150u);
}

TEST(SuggestVectors, CoverEveryMethodAndEnoughCurveShapes) {
  std::set<std::string> curves, methods;
  for (const auto& c : load_cases()) {
    curves.insert(c.curve);
    methods.insert(c.method);
  }
  EXPECT_GE(curves.size(), 10u);
  for (Method m : all_methods()) {
    if (m != Method::Auto) EXPECT_EQ(methods.count(to_string(m)), 1u) << to_string(m);  // Auto is autolr's own
  }
}

}  // namespace
}  // namespace autolr
