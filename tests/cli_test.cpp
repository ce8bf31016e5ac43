// The command-line tool, run as a real process.

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "autolr/curve_csv.h"
#include "autolr/suggest.h"
#include "test_support.h"

namespace autolr {
namespace {

using test::run_cli;

std::string quoted(const std::string& path) { return "'" + path + "'"; }

TEST(Cli, PrintsATableWithTheDefaultAuto) {
  const auto r = run_cli("suggest " + quoted(test::curve_path("clean_valley")));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Suggestion expected = suggest(read_curve_csv(test::curve_path("clean_valley")), Method::Auto);
  EXPECT_NE(r.out.find("auto"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(std::to_string(*expected.index)), std::string::npos) << r.out;
}

TEST(Cli, OptimizerAndFitStepsAreToldToAuto) {
  const std::string file = quoted(test::curve_path("clean_valley"));
  const auto r = run_cli("suggest " + file + " --optimizer adam --fit-steps 900 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Suggestion expected =
      suggest(read_curve_csv(test::curve_path("clean_valley")), Method::Auto,
              SuggestOptions().auto_rule(AutoSuggestOptions().fit(FitFacts().optimizer(OptimizerFamily::Adam))));
  EXPECT_NE(r.out.find("\"index\": " + std::to_string(*expected.index)), std::string::npos) << r.out;
  const auto bad = run_cli("suggest " + file + " --optimizer lamb");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("--optimizer = lamb: expected one of sgd, sgd-nomomentum, adam"), std::string::npos)
      << bad.err;
  const auto zero = run_cli("suggest " + file + " --fit-steps 0");
  EXPECT_EQ(zero.exit_code, 2);
  EXPECT_NE(zero.err.find("--fit-steps = 0: expected at least 1"), std::string::npos) << zero.err;
}

TEST(Cli, JsonAllListsEveryMethodWithNullForNoAnswer) {
  const auto r = run_cli("suggest " + quoted(test::curve_path("plateau")) + " --method all --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.front(), '[');
  for (Method m : all_methods()) EXPECT_NE(r.out.find("\"method\": \"" + to_string(m) + "\""), std::string::npos);
  EXPECT_NE(r.out.find("\"lr\": null"), std::string::npos) << "slide-forum has no answer on a plateau";
  EXPECT_NE(r.out.find("\"kind\": \"no_answer\""), std::string::npos);
}

TEST(Cli, JsonSingleMethodIsOneObjectWithTheExactLr) {
  const auto r = run_cli("suggest " + quoted(test::curve_path("clean_valley")) + " --method slide --lr-diff 5 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.front(), '{');
  const Suggestion expected = suggest(read_curve_csv(test::curve_path("clean_valley")), Method::Slide,
                                      SuggestOptions().slide(SlideOptions().lr_diff(5)));
  EXPECT_NE(r.out.find("\"index\": " + std::to_string(*expected.index)), std::string::npos) << r.out;
}

TEST(Cli, LossColumnSelectsTheSeries) {
  const std::string file = quoted(test::curve_path("noisy_small_batch"));
  const auto raw = run_cli("suggest " + file + " --method minimum --json --loss-column loss");
  ASSERT_EQ(raw.exit_code, 0) << raw.err;
  const auto smooth = run_cli("suggest " + file + " --method minimum --json --loss-column smooth_loss");
  EXPECT_EQ(smooth.exit_code, 2);
  EXPECT_NE(smooth.err.find("--loss-column = smooth_loss"), std::string::npos) << smooth.err;
}

TEST(Cli, NumIterSetsFastaisDefaultSkipStart) {
  const std::string file = quoted(test::curve_path("clean_valley"));
  const auto planned = run_cli("suggest " + file + " --method minimum --json --num-iter 700 --skip-end 0");
  const auto explicit_skip = run_cli("suggest " + file + " --method minimum --json --skip-start 70 --skip-end 0");
  ASSERT_EQ(planned.exit_code, 0) << planned.err;
  EXPECT_EQ(planned.out, explicit_skip.out);
  const auto unplanned = run_cli("suggest " + file + " --method minimum --json --skip-end 0");
  EXPECT_NE(planned.out, unplanned.out) << "skipping 70 instead of 10 points moves the minimum on this curve";
}

TEST(Cli, WritesAPlot) {
  test::TempDir dir;
  const auto r = run_cli("suggest " + quoted(test::curve_path("clean_valley")) + " --method all --plot " +
                         quoted(dir.file("p.svg")));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(test::read_file(dir.file("p.svg")).find("</svg>"), std::string::npos);
}

struct BadCall {
  const char* name;
  std::string content;    // curve file content, or empty to use clean_valley
  std::string arguments;  // after the file
  const char* message;
};

void PrintTo(const BadCall& c, std::ostream* os) { *os << c.name; }

class CliRejects : public ::testing::TestWithParam<BadCall> {};

TEST_P(CliRejects, WithExitStatusTwoAndOneLine) {
  test::TempDir dir;
  const BadCall& call = GetParam();
  const std::string file = call.content.empty() ? test::curve_path("clean_valley") : dir.write("c.csv", call.content);
  const auto r = run_cli("suggest " + quoted(file) + " " + call.arguments);
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find(call.message), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
}

INSTANTIATE_TEST_SUITE_P(
    BadInputs, CliRejects,
    ::testing::Values(
        BadCall{"EmptyFile", "\n", "", "the file is empty"},
        BadCall{"HeaderOnly", "lr,loss\n", "", "a header but no data rows"},
        BadCall{"OneRow", "lr,loss\n0.1,2\n", "", "only one data row"},
        BadCall{"TextInNumberColumn", "lr,loss\n0.1,2\n0.2,two\n", "",
                "row 2 (line 3), column loss: 'two' is not a number"},
        BadCall{"NanLr", "lr,loss\n0.1,2\nnan,1\n", "", "column lr: lr = nan"},
        BadCall{"NonIncreasingLr", "lr,loss\n0.1,2\n0.1,1\n", "", "strictly increasing"},
        BadCall{"NonPositiveLr", "lr,loss\n-1,2\n0.1,1\n", "", "lr = -1, expected a finite learning rate > 0"},
        BadCall{"MissingColumn", "lr,val_loss\n0.1,2\n0.2,1\n", "", "missing column loss"},
        BadCall{"LrDiffTooLarge", "", "--method slide --lr-diff 100",
                "--lr-diff = 100: expected less than the 100 points"},
        BadCall{"LrDiffZero", "", "--method slide --lr-diff 0", "--lr-diff = 0: expected at least 1"},
        BadCall{"NegativeThreshold", "", "--method slide --threshold -0.5",
                "--threshold = -0.5: expected a value >= 0"},
        BadCall{"ZeroAdjust", "", "--adjust 0", "--adjust = 0: expected a finite value > 0"},
        BadCall{"AbsurdAdjust", "", "--method slide --adjust 1e308",
                "--adjust = 1e+308: expected a finite value > 0, at most 1e6"},
        BadCall{"IntegerOutOfRange", "", "--skip-start 99999999999999999999",
                "--skip-start: 99999999999999999999 is out of range, expected an integer from"},
        BadCall{"DoubleOutOfRange", "", "--threshold 1e999", "--threshold: 1e999 is out of the range of a double"},
        BadCall{"CutFile", "lr,loss\n0.1,2\n0.2,1", "", "line 3: the last line does not end with a newline"},
        BadCall{"ControlBytesInAnOption", "", "--method \"$(printf 'a\\nb')\"", "--method = a\\x0ab: expected one of"},
        BadCall{"PlotThatCannotBeWritten", "", "--json --plot /nonexistent/dir/p.svg", "/nonexistent/dir/p.svg"},
        BadCall{"SkipTooLarge", "", "--skip-start 100", "--skip-start = 100: expected 0 to 99"},
        BadCall{"NumIterBelowRows", "", "--num-iter 50", "--num-iter = 50: expected at least the 100 points"},
        BadCall{"UnknownMethod", "", "--method best", "--method = best: expected one of minimum"},
        BadCall{"UnknownLossColumn", "", "--loss-column val", "--loss-column = val: expected loss or smooth_loss"},
        BadCall{"NotANumberOption", "", "--lr-diff many", "--lr-diff"},
        BadCall{"UnknownOption", "", "--frobnicate", "frobnicate"}),
    [](const auto& info) { return std::string(info.param.name); });

// Rows "step,lr,momentum" of `autolr schedule` against PyTorch's vectors.
TEST(CliSchedule, PrintsPyTorchsOneCycleValuesWithFullPrecision) {
  const struct {
    std::string config, arguments;
  } cases[] = {
      {"defaults_100", "--max-lr 0.1 --total-steps 100"},
      {"three_phase_linear_100", "--max-lr 0.1 --total-steps 100 --three-phase --anneal linear"},
      {"pct_0_5_odd_13",
       "--max-lr 0.3 --epochs 1 --steps-per-epoch 13 --pct-start 0.5 --div-factor 10 --final-div-factor 100 "
       "--base-momentum 0.8 --max-momentum 0.9"},
      {"pct_0_25_fastai_1000", "--max-lr 3e-3 --total-steps 1000 --preset fastai"},
  };
  std::ifstream vectors(test::data_path("one_cycle_vectors.csv"));
  std::string line;
  std::vector<std::string> rows;
  while (std::getline(vectors, line)) rows.push_back(line);
  for (const auto& c : cases) {
    SCOPED_TRACE(c.config);
    const auto r = run_cli("schedule " + c.arguments);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::istringstream out(r.out);
    std::getline(out, line);
    EXPECT_EQ(line, "step,lr,momentum");
    std::size_t compared = 0;
    for (const auto& row : rows) {
      if (row.rfind(c.config + ",", 0) != 0) continue;
      std::vector<std::string> f;
      std::stringstream fields(row);
      for (std::string field; std::getline(fields, field, ',');) f.push_back(field);
      if (f[11] == std::to_string(std::stoll(f[3]))) continue;  // one past the end: not printed
      ASSERT_TRUE(std::getline(out, line));
      double lr = 0, momentum = 0;
      long step = 0;
      ASSERT_EQ(std::sscanf(line.c_str(), "%ld,%lf,%lf", &step, &lr, &momentum), 3) << line;
      EXPECT_EQ(step, std::stol(f[11]));
      EXPECT_NEAR(lr, std::stod(f[13]), 1e-12 * std::stod(f[13])) << line;
      EXPECT_NEAR(momentum, std::stod(f[14]), 1e-12) << line;
      ++compared;
    }
    EXPECT_GT(compared, 10u);
    EXPECT_FALSE(std::getline(out, line)) << "no rows beyond total_steps";
  }
}

TEST(CliSchedule, RejectsBadOptionsWithExitTwoNamingTheFlag) {
  for (const auto& [arguments, message] : std::vector<std::pair<std::string, std::string>>{
           {"--max-lr 0.1 --total-steps 10 --pct-start 1.5", "--pct-start = 1.5, expected a value in [0, 1]"},
           {"--max-lr 0.1 --total-steps 0", "--total-steps = 0, expected a positive integer"},
           {"--max-lr -1 --total-steps 10", "--max-lr = -1, expected a finite value > 0"},
           {"--max-lr 0.1", "either total_steps or (epochs and steps_per_epoch)"},
           {"--max-lr 0.1 --total-steps 10 --epochs 2 --steps-per-epoch 5", "either --total-steps or --epochs"},
           {"--max-lr 0.1 --total-steps 10 --anneal cosine", "--anneal = cosine: expected cos or linear"},
           {"--max-lr 0.1 --total-steps 10 --preset keras", "--preset = keras: expected pytorch or fastai"},
           {"--max-lr 0.1 --epochs 4611686018427387905 --steps-per-epoch 4",
            "--epochs * --steps-per-epoch = 4611686018427387905 * 4, expected a product of at most "
            "9223372036854775807"},
           {"--max-lr 0.1 --total-steps 99999999999999999999",
            "--total-steps: 99999999999999999999 is out of range, expected an integer from"},
           {"--max-lr 0.1 --total-steps 10 --plot /nonexistent/dir/s.svg", "/nonexistent/dir/s.svg"},
           {"--total-steps 10", "--max-lr is required"}}) {
    const auto r = run_cli("schedule " + arguments);
    EXPECT_EQ(r.exit_code, 2) << arguments;
    EXPECT_NE(r.err.find(message), std::string::npos) << arguments << ": " << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
  }
}

TEST(CliSchedule, StreamsItsRowsSoAHugeScheduleCanBePipedIntoHead) {
  // Not run_cli: its redirection of standard input would go to head.
  test::TempDir dir;
  const std::string command = "'" + std::string(AUTOLR_CLI_PATH) +
                              "' schedule --max-lr 0.1 --total-steps 1000000000000 | head -n 3 >'" + dir.file("out") +
                              "'";
  ASSERT_EQ(std::system(command.c_str()), 0);
  std::istringstream out(test::read_file(dir.file("out")));
  std::string line;
  ASSERT_TRUE(std::getline(out, line));
  EXPECT_EQ(line, "step,lr,momentum");
  ASSERT_TRUE(std::getline(out, line));
  EXPECT_EQ(line.rfind("0,0.0040000000000000", 0), 0u) << line;
}

TEST(CliSchedule, WritesAPlotThatRendersWhenAsked) {
  test::TempDir dir;
  const auto r = run_cli("schedule --max-lr 0.01 --total-steps 50 --plot " + quoted(dir.file("s.svg")));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string svg = test::read_file(dir.file("s.svg"));
  EXPECT_NE(svg.find("momentum / beta1"), std::string::npos);
  if (std::system("command -v rsvg-convert >/dev/null 2>&1") == 0) {
    EXPECT_EQ(std::system(("rsvg-convert -o '" + dir.file("s.png") + "' '" + dir.file("s.svg") + "'").c_str()), 0);
  }
}

bool have_fashion_mnist() {
  return std::system("test -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz") == 0;
}

// Everything but the timings of a demo's report.json.
std::string without_timings(std::string json) {
  std::string out;
  std::istringstream lines(json);
  for (std::string line; std::getline(lines, line);) {
    if (line.find("\"seconds\"") == std::string::npos) out += line + "\n";
  }
  return out;
}

TEST(CliDemo, PrintsTheTableAndTestAccuracyWritesThePicturesAndIsReproducible) {
  if (!have_fashion_mnist()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  test::TempDir dir;
  const std::string quick = " --model mlp --epochs 1 --no-progress --threads 2 --seed 5 --out-dir ";
  const auto first = run_cli("demo" + quick + quoted(dir.file("a")));
  ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
  for (const char* part : {"method", "minimum", "valley", "slide-forum", "auto", "decision: max lr",
                           "epoch 1/1: train loss", "test accuracy"}) {
    EXPECT_NE(first.out.find(part), std::string::npos) << part << "\n" << first.out;
  }
  for (const char* file : {"a/curve.csv", "a/lr_finder.svg", "a/report.json"}) {
    EXPECT_TRUE(std::filesystem::exists(dir.file(file))) << file;
  }
  EXPECT_NE(test::read_file(dir.file("a/report.json")).find("\"accuracy\""), std::string::npos);
  // The verified mode is the default: its probes are printed, decide and are kept.
  EXPECT_NE(first.out.find("probes: "), std::string::npos) << first.out;
  EXPECT_NE(first.out.find("; probes of "), std::string::npos) << first.out;
  EXPECT_NE(test::read_file(dir.file("a/report.json")).find("\"probes\""), std::string::npos);

  const auto second = run_cli("demo" + quick + quoted(dir.file("b")));
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(without_timings(test::read_file(dir.file("a/report.json"))),
            without_timings(test::read_file(dir.file("b/report.json"))))
      << "same seed, same numbers";
  EXPECT_EQ(test::read_file(dir.file("a/curve.csv")), test::read_file(dir.file("b/curve.csv")));
}

TEST(CliDemo, RejectsBadOptionsAndMissingDataWithExitTwo) {
  for (const auto& [arguments, message] : std::vector<std::pair<std::string, std::string>>{
           {"--model resnet", "--model = resnet: expected cnn or mlp"},
           {"--device tpu", "--device = tpu: expected cpu or cuda"},
           {"--epochs 0", "--epochs = 0: expected at least 1"},
           {"--batch-size 0", "--batch-size = 0: expected at least 1"},
           {"--method descent-start", "--method = descent-start: expected one of minimum"},
           {"--batch-size 999999999999999999999", "--batch-size: 999999999999999999999 is out of range"},
           {"--threads 99999999999", "--threads: 99999999999 is out of range, expected an integer from -2147483648"},
           {"--data-dir /nonexistent", "install Debian's dataset-fashion-mnist"}}) {
    const auto r = run_cli("demo --no-progress " + arguments);
    EXPECT_EQ(r.exit_code, 2) << arguments << r.out;
    EXPECT_NE(r.err.find(message), std::string::npos) << arguments << ": " << r.err;
  }
}

TEST(Cli, ExitStatusIsOneWhenNoMethodAnswers) {
  const std::string plateau = quoted(test::curve_path("plateau"));
  const auto none = run_cli("suggest " + plateau + " --method slide-forum --json");
  EXPECT_EQ(none.exit_code, 1) << none.err;
  EXPECT_NE(none.out.find("\"lr\": null"), std::string::npos) << "the answer is still printed: " << none.out;
  EXPECT_EQ(run_cli("suggest " + plateau + " --method all").exit_code, 0) << "some methods answer";
}

TEST(Cli, RefusesToWriteThePlotOverItsInputBeforeWritingAnything) {
  test::TempDir dir;
  const std::string original = test::read_file(test::curve_path("clean_valley"));
  const std::string curve = dir.write("curve.csv", original);
  std::filesystem::create_symlink(curve, dir.file("link.csv"));
  for (const std::string& plot : {curve, dir.path() + "/./curve.csv", dir.file("link.csv")}) {
    const auto r = run_cli("suggest " + quoted(curve) + " --plot " + quoted(plot));
    EXPECT_EQ(r.exit_code, 2) << plot;
    EXPECT_NE(r.err.find("--plot = " + plot + ": expected a path other than the input"), std::string::npos) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
  }
  EXPECT_EQ(test::read_file(curve), original) << "the input is untouched";
}

TEST(Cli, MissingFileIsExitTwoNamingThePath) {
  const auto r = run_cli("suggest /nonexistent/curve.csv");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("/nonexistent/curve.csv: cannot open"), std::string::npos) << r.err;
}

// Fashion-MNIST files (IDX, uncompressed: zlib reads those too) in `dir`,
// `train` and `test` images. Image i is of class i % 10, a bright band at
// rows 2 * class to 2 * class + 2 on black: easy to learn, so a demo on more
// than its 5000 validation images trains in seconds; 10 images are too few.
void write_fashion_mnist(const std::string& dir, uint32_t train, uint32_t test) {
  const auto big_endian = [](uint32_t v) {
    return std::string{static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
                       static_cast<char>(v)};
  };
  std::filesystem::create_directories(dir);
  for (const auto& [part, images] : {std::pair{"train", train}, std::pair{"t10k", test}}) {
    std::string pixels, labels;
    for (uint32_t i = 0; i < images; ++i) {
      const int label = static_cast<int>(i % 10);
      std::string image(28 * 28, '\0');
      std::fill(image.begin() + 28 * 2 * label, image.begin() + 28 * (2 * label + 3), '\xff');
      pixels += image;
      labels += static_cast<char>(label);
    }
    std::ofstream(dir + "/" + part + "-images-idx3-ubyte.gz", std::ios::binary)
        << big_endian(0x803) << big_endian(images) << big_endian(28) << big_endian(28) << pixels;
    std::ofstream(dir + "/" + part + "-labels-idx1-ubyte.gz", std::ios::binary)
        << big_endian(0x801) << big_endian(images) << labels;
  }
}

// A demo of an MLP on 1280 training images, one epoch: a few seconds.
std::string small_demo(const std::string& data, const std::string& out) {
  return "demo --no-progress --model mlp --epochs 1 --threads 2 --method minimum --data-dir " + quoted(data) +
         " --out-dir " + quoted(out);
}

std::size_t lines(const std::string& text) {
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

TEST(CliDemo, LibTorchErrorsAreOneLineWithExitThreeAndTheBacktraceBehindVerbose) {
  test::TempDir data;
  write_fashion_mnist(data.path(), 10, 10);
  const std::string call =
      "demo --no-progress --data-dir " + quoted(data.path()) + " --out-dir " + quoted(data.file("out"));
  const auto r = run_cli(call);
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_EQ(r.err, "autolr: start (0) + length (5000) exceeds dimension size (10).\n");
  const auto verbose = run_cli(call + " --verbose");
  EXPECT_EQ(verbose.exit_code, 3);
  EXPECT_EQ(verbose.err.rfind(r.err, 0), 0u) << verbose.err;
  EXPECT_NE(verbose.err.find("Exception raised from"), std::string::npos) << verbose.err;
}

TEST(Cli, ExitStatusTwoWhenStandardOutputCannotBeWritten) {
  if (!std::filesystem::exists("/dev/full")) GTEST_SKIP() << "no /dev/full";
  const int status = std::system(
      ("'" + std::string(AUTOLR_CLI_PATH) + "' schedule --max-lr 0.1 --total-steps 10 >/dev/full 2>/dev/null").c_str());
  EXPECT_EQ(WEXITSTATUS(status), 2);
}

TEST(Cli, NoSubcommandIsAUsageError) {
  const auto r = run_cli("");
  EXPECT_EQ(r.exit_code, 2);
}

TEST(CliDemo, RefusesANameThatIsNotUtf8BeforeTraining) {
  // A folder named on a Latin-1 system: the demo trained for 41 s, then could
  // not write its JSON report and wrote nothing.
  test::TempDir dir;
  const std::string latin1 = dir.file("caf\xe9");
  write_fashion_mnist(latin1, 5000 + 1280, 100);
  const std::string data = dir.file("data");
  write_fashion_mnist(data, 5000 + 1280, 100);
  const std::string out = quoted(dir.file("out"));
  for (const auto& [arguments, message] : std::vector<std::pair<std::string, std::string>>{
           {"--data-dir " + quoted(latin1) + " --out-dir " + out,
            "--data-dir = " + dir.path() + "/caf\\xe9: expected valid UTF-8"},
           {"--data-dir " + quoted(data) + " --out-dir " + quoted(dir.file("\xff")),
            "--out-dir = " + dir.path() + "/\\xff: expected valid UTF-8"},
           {"--data-dir " + quoted(data) + " --out-dir " + out + " --record-dir " + quoted(dir.file("runs\xff")),
            "--record-dir = " + dir.path() + "/runs\\xff: expected valid UTF-8"},
           {"--data-dir " + quoted(data) + " --out-dir " + out + " --run-name 'caf\xe9'",
            "--run-name = caf\\xe9: expected valid UTF-8"},
           {"--data-dir " + quoted(data) + " --out-dir " + out + " --tag seed=1 --tag 'lr=\xff'",
            "--tag = lr=\\xff: expected valid UTF-8"}}) {
    const auto r = run_cli("demo --no-progress --model mlp --epochs 1 " + arguments);
    EXPECT_EQ(r.exit_code, 2) << arguments << "\n" << r.out << r.err;
    EXPECT_EQ(r.err.rfind("autolr: " + message, 0), 0u) << r.err;
    EXPECT_EQ(lines(r.err), 1u) << r.err;
    EXPECT_EQ(r.out, "") << "nothing read, nothing trained";
    EXPECT_FALSE(std::filesystem::exists(dir.file("out"))) << "nothing written";
  }
  const auto good = run_cli(small_demo(data, dir.file("out")));
  EXPECT_EQ(good.exit_code, 0) << "the same data under a UTF-8 name trains: " << good.out << good.err;
  EXPECT_NE(good.out.find("no probe fits: each would have 1 of the fit's 10 steps"), std::string::npos) << good.out;

  // --no-probe trains at the curve's answer: no probe is run, kept or mentioned.
  const auto curve_only = run_cli(small_demo(data, dir.file("curve-only")) + " --no-probe");
  EXPECT_EQ(curve_only.exit_code, 0) << curve_only.out << curve_only.err;
  EXPECT_EQ(curve_only.out.find("probe"), std::string::npos) << curve_only.out;
  EXPECT_EQ(test::read_file(dir.file("curve-only/report.json")).find("\"probes\""), std::string::npos);
}

TEST(CliDemo, KeepsAFinishedFitsResultsWhenAnOutputCannotBeWritten) {
  test::TempDir dir;
  const std::string data = dir.file("data");
  write_fashion_mnist(data, 5000 + 1280, 100);

  // The picture's name is taken by a folder: the curve, the fit, the test
  // accuracy and report.json are still there; one line says what is missing.
  const std::string out = dir.file("svg-taken");
  std::filesystem::create_directories(out + "/lr_finder.svg");
  dir.write("svg-taken/lr_finder.svg/keep", "not the demo's");
  const auto r = run_cli(small_demo(data, out));
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  for (const std::string& part :
       {std::string("minimum"), std::string("epoch 1/1: train loss"), std::string("test accuracy"),
        "wrote " + out + "/curve.csv", "wrote " + out + "/report.json"}) {
    EXPECT_NE(r.out.find(part), std::string::npos) << part << "\n" << r.out;
  }
  EXPECT_EQ(r.out.find("wrote " + out + "/lr_finder.svg"), std::string::npos) << r.out;
  EXPECT_EQ(r.err.rfind(
                "autolr: demo: the results are above, but not written: lr_finder.svg (" + out + "/lr_finder.svg: ", 0),
            0u)
      << r.err;
  EXPECT_EQ(lines(r.err), 1u) << r.err;
  EXPECT_NE(test::read_file(out + "/report.json").find("\"accuracy\""), std::string::npos);
  EXPECT_NE(test::read_file(out + "/report.json").find("\"train\": 1280"), std::string::npos)
      << "the counts of this data set";
  EXPECT_EQ(test::read_file(out + "/curve.csv").rfind("lr,loss", 0), 0u);
  EXPECT_FALSE(std::filesystem::exists(out + "/lr_finder.png"));

  // The report's name is taken: the picture and the run record are written.
  const std::string out2 = dir.file("report-taken");
  std::filesystem::create_directories(out2 + "/report.json/x");
  const auto r2 = run_cli(small_demo(data, out2) + " --record-dir " + quoted(dir.file("runs")) + " --run-name one");
  EXPECT_EQ(r2.exit_code, 2) << r2.out << r2.err;
  EXPECT_NE(r2.out.find("test accuracy"), std::string::npos) << r2.out;
  EXPECT_EQ(
      r2.err.rfind("autolr: demo: the results are above, but not written: report.json (" + out2 + "/report.json: ", 0),
      0u)
      << r2.err;
  EXPECT_EQ(lines(r2.err), 1u) << r2.err;
  EXPECT_TRUE(std::filesystem::exists(out2 + "/lr_finder.svg"));
  EXPECT_TRUE(std::filesystem::exists(out2 + "/curve.csv"));
  EXPECT_TRUE(std::filesystem::exists(dir.file("runs/one.json")));
}

TEST(CliDemo, RemovesThePreviousRunsOutputsBeforeTraining) {
  // A run cut short after its curve used to leave it beside the previous
  // run's report. Here the run fails before training (10 images are fewer
  // than the validation set): the previous run's files are gone, others stay.
  test::TempDir data;
  write_fashion_mnist(data.path(), 10, 10);
  const std::vector<std::string> outputs = {"curve.csv", "lr_finder.svg", "lr_finder.png", "report.json"};
  std::filesystem::create_directories(data.file("out"));
  for (const auto& name : outputs) data.write("out/" + name, "the previous run's");
  data.write("out/notes.txt", "the user's");
  const auto r =
      run_cli("demo --no-progress --data-dir " + quoted(data.path()) + " --out-dir " + quoted(data.file("out")));
  EXPECT_EQ(r.exit_code, 3) << r.err;
  for (const auto& name : outputs) EXPECT_FALSE(std::filesystem::exists(data.file("out/" + name))) << name;
  EXPECT_EQ(test::read_file(data.file("out/notes.txt")), "the user's");
}

}  // namespace
}  // namespace autolr
