#include "test_support.h"

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace autolr::test {

std::string data_path(const std::string& relative) { return std::string(AUTOLR_TEST_DATA_DIR) + "/" + relative; }

std::string curve_path(const std::string& name) { return data_path("curves/" + name + ".csv"); }

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "autolr-test-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::string TempDir::write(const std::string& name, const std::string& content) const {
  const std::string path = file(name);
  std::ofstream(path) << content;
  return path;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

ProcessResult run_cli(const std::string& arguments) {
  TempDir dir;
  const std::string command = std::string("'") + AUTOLR_CLI_PATH + "' " + arguments + " >'" + dir.file("out") +
                              "' 2>'" + dir.file("err") + "' </dev/null";
  const int status = std::system(command.c_str());
  const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return {code, read_file(dir.file("out")), read_file(dir.file("err"))};
}

}  // namespace autolr::test
