#include "autolr/curve_csv.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>
#include <streambuf>
#include <string>

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

TEST(CurveCsv, SkipsAUtf8ByteOrderMark) {
  const LRCurve curve = parse("\xEF\xBB\xBFlr,loss\n0.001,2.0\n0.01,1.0\n");  // as Excel writes it
  EXPECT_EQ(curve.lrs(), (std::vector<double>{0.001, 0.01}));
}

TEST(CurveCsv, ReadsRfc4180QuotingAsPandasWritesIt) {
  // pandas quotes a field that holds a comma, a quote or a newline, and doubles the quote.
  const LRCurve curve = parse(
      "\"name, with comma\",lr,\"say \"\"hi\"\"\",loss\n"
      "\"a,b\",0.001,\"x\"\"y\",2.0\n"
      "\"two\nlines\",0.01,\"\",1.0\n"
      "plain,0.1,z,0.5\n");
  EXPECT_EQ(curve.lrs(), (std::vector<double>{0.001, 0.01, 0.1}));
  EXPECT_EQ(curve.losses(), (std::vector<double>{2.0, 1.0, 0.5}));
  // A newline inside quotes is part of the field; lines are still counted.
  EXPECT_THROW_WITH(parse("i,lr,loss\n\"a\nb\",0.1,2\nc,x,1\n"), FormatError, "row 2 (line 4), column lr: 'x'");
}

// Text that would break a message: a NUL used to end it, a long value made it as long.
TEST(CurveCsv, MessagesEscapeControlBytesAndCutLongValuesShort) {
  const std::string with_nul("lr,loss\n0.1,2\n0.2,1\0x\n", 22);
  EXPECT_THROW_WITH(parse(with_nul), FormatError, "row 2 (line 3), column loss: '1\\x00x' is not a number");
  EXPECT_THROW_WITH(parse("lr,loss\n0.1,2\n0.2,\x01\xff\n0.3,1\n"), FormatError, "'\\x01\\xff' is not a number");
  try {
    parse("lr," + std::string(1'000'000, 'x') + "\n0.1,2\n0.2,1\n");  // a line just under the limit
    ADD_FAILURE() << "a header without loss was read";
  } catch (const FormatError& e) {
    const std::string message = e.what();
    EXPECT_LT(message.size(), 300u) << "the header is cut at 80 characters";
    EXPECT_NE(message.find("missing column loss (header is 'lr,xxxx"), std::string::npos) << message;
    EXPECT_NE(message.find("xxx...'"), std::string::npos) << message;
  }
}

// A stream of `bytes` NULs and no newline, as /dev/zero gives (but ending).
class Zeros : public std::streambuf {
 public:
  explicit Zeros(std::size_t bytes) : left_(bytes), block_(1 << 16, '\0') {}
  std::size_t given() const { return given_; }

 protected:
  int_type underflow() override {
    if (left_ == 0) return traits_type::eof();
    const std::size_t n = std::min(left_, block_.size());
    left_ -= n;
    given_ += n;
    setg(block_.data(), block_.data(), block_.data() + n);
    return traits_type::to_int_type(*gptr());
  }

 private:
  std::size_t left_, given_ = 0;
  std::string block_;
};

TEST(CurveCsv, ReadsNoLineLongerThanItsLimit) {
  Zeros zeros(64 << 20);
  std::istream in(&zeros);
  EXPECT_THROW_WITH(parse_curve_csv(in, "zeros"), FormatError,
                    "zeros, line 1: a line longer than 1048576 bytes (the reader's limit)");
  EXPECT_LE(zeros.given(), kMaxCurveLineBytes + (1 << 16)) << "stopped reading at the limit";
  EXPECT_THROW_WITH(read_curve_csv("/dev/zero"), FormatError, "/dev/zero, line 1: a line longer than 1048576 bytes");
}

// lr,loss and then `rows` rows, made as they are read.
class ManyRows : public std::streambuf {
 public:
  explicit ManyRows(std::size_t rows) : rows_(rows) {}

 protected:
  int_type underflow() override {
    if (row_ > rows_) return traits_type::eof();
    line_ = row_ == 0 ? "lr,loss\n" : std::to_string(row_) + ",1\n";
    ++row_;
    setg(line_.data(), line_.data(), line_.data() + line_.size());
    return traits_type::to_int_type(*gptr());
  }

 private:
  std::size_t rows_, row_ = 0;
  std::string line_;
};

TEST(CurveCsv, ReadsNoMoreRowsThanItsLimit) {
  ManyRows rows(kMaxCurveRows + 1);
  std::istream in(&rows);
  EXPECT_THROW_WITH(parse_curve_csv(in, "rows.csv"), FormatError,
                    "rows.csv, line 10000002: more than 10000000 data rows, expected at most 10000000");
}

TEST(CurveCsv, ADirectoryIsNamedAsOne) {
  test::TempDir dir;
  EXPECT_THROW_WITH(read_curve_csv(dir.path()), FormatError, dir.path() + ": a directory, expected a CSV file");
  std::ifstream opened(dir.path());  // opens; only reading fails
  EXPECT_THROW_WITH(parse_curve_csv(opened, "d"), FormatError, "d, line 1: cannot read the file: Is a directory");
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
        BadCsv{"OnlyBlankLines", "\n \r\n", "curve.csv: the file is empty (2 blank lines), expected a header row"},
        BadCsv{"BlankFirstLine", "\nlr,loss\n0.001,2\n0.01,1\n",
               "curve.csv, line 1: a blank line where the header should be, expected the header row lr,loss"},
        BadCsv{"CutInsideTheLastNumber", "lr,loss\n0.001,2\n0.01,1\n0.1,1.2",
               "curve.csv, line 4: the last line does not end with a newline, so the file looks cut short"},
        BadCsv{"CutHeader", "lr,lo", "line 1: the last line does not end with a newline"},
        BadCsv{"UnclosedQuote", "lr,loss\n0.001,2\n\"0.01,1\n",
               "curve.csv, line 3: a quoted field that never closes, expected a closing \""},
        BadCsv{"TextAfterAClosingQuote", "lr,loss\n\"0.001\"5,2\n0.01,1\n",
               "curve.csv, line 2: field 1: text after its closing quote"},
        BadCsv{"QuotedCommaIsOneField", "lr,loss\n0.001,2\n\"0.01,1\"\n", "row 2 (line 3): 1 fields, expected 2"},
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
