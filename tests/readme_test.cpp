// Every C++ block of the README is a region of an example that the build
// compiles and the tests run, marked "// [readme-NAME]" there: this checks the
// README still holds each region verbatim (dedented), so the two cannot drift.

#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

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

}  // namespace
}  // namespace autolr
