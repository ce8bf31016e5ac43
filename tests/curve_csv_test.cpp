#include "autolr/curve_csv.h"

#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

#include "autolr/error.h"
#include "test_support.h"

namespace autolr {
namespace {

LRCurve parse(const std::string& text) {
  std::istringstream in(text);
  return parse_curve_csv(in, "curve.csv");
}

TEST(CurveCsv, ReadsRequiredColumnsAndIgnoresOthers) {
  const LRCurve curve = parse("step,lr,extra,loss\n0,1e-7,x,2.5\n1,1e-6,y,2.25\n");
  EXPECT_EQ(curve.lrs(), (std::vector<double>{1e-7, 1e-6}));
  EXPECT_EQ(curve.losses(), (std::vector<double>{2.5, 2.25}));
  EXPECT_EQ(curve.smoothing_source(), SmoothingSource::Computed);
}

TEST(CurveCsv, ReadsSmoothLossColumnInAnyPosition) {
  const LRCurve curve = parse("smooth_loss,loss,lr\n2.5,2.5,0.001\n2.4,2.3,0.01\n");
  EXPECT_EQ(curve.smoothing_source(), SmoothingSource::Recorded);
  EXPECT_EQ(curve.smoothed_losses(), (std::vector<double>{2.5, 2.4}));
}

TEST(CurveCsv, AcceptsPandasStyleFilesWithCrlfQuotesAndBlankIndex) {
  const LRCurve curve = parse(",\"lr\",\"loss\"\r\n0,0.001,2.0\r\n1,0.01,1.0\r\n\r\n");
  EXPECT_EQ(curve.size(), 2u);
  EXPECT_EQ(curve.losses()[1], 1.0);
}

TEST(CurveCsv, ReadsNanAndInfLossesWrittenByPythonOrCpp) {
  const LRCurve curve = parse("lr,loss\n0.001,2.0\n0.01,nan\n0.1,inf\n1,-Infinity\n10,NaN\n");
  EXPECT_TRUE(std::isnan(curve.losses()[1]));
  EXPECT_TRUE(std::isinf(curve.losses()[2]));
  EXPECT_TRUE(std::isinf(curve.losses()[3]));
  EXPECT_TRUE(std::isnan(curve.losses()[4]));
}

TEST(CurveCsv, WriteThenReadGivesTheSameDoublesBitForBit) {
  const LRCurve original = read_curve_csv(test::curve_path("nan_tail"));
  test::TempDir dir;
  write_curve_csv(original, dir.file("copy.csv"));
  const LRCurve copy = read_curve_csv(dir.file("copy.csv"));
  ASSERT_EQ(copy.size(), original.size());
  for (std::size_t i = 0; i < copy.size(); ++i) {
    EXPECT_EQ(copy.lrs()[i], original.lrs()[i]);
    if (std::isnan(original.losses()[i])) {
      EXPECT_TRUE(std::isnan(copy.losses()[i]));
    } else {
      EXPECT_EQ(copy.losses()[i], original.losses()[i]);
      EXPECT_EQ(copy.smoothed_losses()[i], original.smoothed_losses()[i]);
    }
  }
}

struct BadCsv {
  const char* name;
  const char* content;
  const char* message;
};

void PrintTo(const BadCsv& c, std::ostream* os) { *os << c.name; }

class CurveCsvRejects : public ::testing::TestWithParam<BadCsv> {};

TEST_P(CurveCsvRejects, WithAMessageNamingTheProblem) {
  EXPECT_THROW_WITH(parse(GetParam().content), FormatError, GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    BadInputs, CurveCsvRejects,
    ::testing::Values(
        BadCsv{"Empty", "", "curve.csv: the file is empty"},
        BadCsv{"HeaderOnly", "lr,loss\n", "curve.csv: a header but no data rows, expected at least 2"},
        BadCsv{"OneRow", "lr,loss\n0.001,2\n", "curve.csv: only one data row"},
        BadCsv{"TextInLr", "lr,loss\n0.001,2\nabc,1\n", "row 2 (line 3), column lr: 'abc' is not a number"},
        BadCsv{"TextInLoss", "lr,loss\n0.001,2\n0.01,1.5x\n", "row 2 (line 3), column loss: '1.5x' is not a number"},
        BadCsv{"EmptyField", "lr,loss\n0.001,\n0.01,1\n", "row 1 (line 2), column loss: '' is not a number"},
        BadCsv{"TextInSmooth", "lr,loss,smooth_loss\n0.001,2,2\n0.01,1,?\n", "column smooth_loss: '?' is not a number"},
        BadCsv{"NanLr", "lr,loss\n0.001,2\nnan,1\n", "row 2 (line 3), column lr: lr = nan, expected a finite"},
        BadCsv{"InfLr", "lr,loss\n0.001,2\ninf,1\n", "column lr: lr = inf"},
        BadCsv{"ZeroLr", "lr,loss\n0,2\n0.01,1\n",
               "row 1 (line 2), column lr: lr = 0, expected a finite learning rate > 0"},
        BadCsv{"NegativeLr", "lr,loss\n-0.001,2\n0.01,1\n", "lr = -0.001"},
        BadCsv{"DecreasingLr", "lr,loss\n0.01,2\n0.001,1\n",
               "row 2 (line 3), column lr: lr = 0.001, expected greater than the previous row's lr = 0.01"},
        BadCsv{"RepeatedLr", "lr,loss\n0.01,2\n0.01,1\n", "strictly increasing"},
        BadCsv{"MissingLr", "learning_rate,loss\n0.01,2\n0.1,1\n", "missing column lr"},
        BadCsv{"MissingLoss", "lr,val\n0.01,2\n0.1,1\n", "missing column loss"},
        BadCsv{"RepeatedColumn", "lr,loss,lr\n0.01,2,0.01\n0.1,1,0.1\n", "column lr appears twice"},
        BadCsv{"ShortRow", "lr,loss\n0.01,2\n0.1\n", "row 2 (line 3): 1 fields, expected 2"},
        BadCsv{"HugeNumber", "lr,loss\n0.01,2\n0.1,1e999\n", "out of the range of a double"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(CurveCsv, MissingFileIsAFormatErrorNamingThePath) {
  EXPECT_THROW_WITH(read_curve_csv("/nonexistent/x.csv"), FormatError, "/nonexistent/x.csv: cannot open");
}

}  // namespace
}  // namespace autolr
