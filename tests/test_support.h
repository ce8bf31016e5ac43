#pragma once
// Helpers shared by the tests: data paths, error-message checks, running the CLI.

#include <gtest/gtest.h>

#include <string>

namespace autolr::test {

std::string data_path(const std::string& relative);
std::string curve_path(const std::string& name);

/// A fresh, empty directory under the system temp dir, removed by the destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  /// Writes `content` to file(name) and returns its path.
  std::string write(const std::string& name, const std::string& content) const;

 private:
  std::string path_;
};

struct ProcessResult {
  int exit_code;
  std::string out;
  std::string err;
};
/// Runs the autolr CLI with `arguments` (a shell-quoted string) as a real process.
ProcessResult run_cli(const std::string& arguments);

std::string read_file(const std::string& path);

}  // namespace autolr::test

/// Checks that `statement` throws `type` and that what() contains `substring`
/// (as fmt's EXPECT_THROW_MSG, but a substring: messages carry values).
#define EXPECT_THROW_WITH(statement, type, substring)                                                         \
  do {                                                                                                        \
    try {                                                                                                     \
      statement;                                                                                              \
      ADD_FAILURE() << "expected " #type " containing \"" << (substring) << "\", got none";                   \
    } catch (const type& error) {                                                                             \
      EXPECT_NE(std::string(error.what()).find(substring), std::string::npos) << "message: " << error.what(); \
    }                                                                                                         \
  } while (false)
