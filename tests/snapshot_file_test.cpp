// A disk snapshot's file: every kind of tensor comes back exactly, damage is
// found before anything is used, and no file outlives its run: not after
// SIGINT or SIGTERM (a real process is signalled), and a killed process's
// file is removed by the next run in that folder.

#include "train/range_test/snapshot_file.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <torch/torch.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include "autolr/error.h"
#include "autolr/snapshot.h"
#include "test_support.h"
#include "torch_support.h"

namespace autolr::test {

// One process with a disk snapshot in AUTOLR_TEST_DIR, for the signal tests
// (tests/main.cpp starts it when AUTOLR_TEST_WORKER=snapshot). With
// AUTOLR_TEST_OWN_HANDLER set it first installs a SIGTERM handler of its own,
// as a program that checkpoints on SIGTERM would, then restores and exits 0.
namespace {
volatile sig_atomic_t terminated = 0;
void note_termination(int) { terminated = 1; }
}  // namespace

int run_snapshot_worker() {
  const bool own_handler = std::getenv("AUTOLR_TEST_OWN_HANDLER") != nullptr;
  if (own_handler) ::signal(SIGTERM, note_termination);
  torch::manual_seed(0);
  Classifier model;
  torch::optim::SGD optimizer(model->parameters(), 0.1);
  Snapshot snapshot(*model, optimizer,
                    SnapshotOptions().location(SnapshotLocation::Disk).directory(std::getenv("AUTOLR_TEST_DIR")));
  std::cout << snapshot.file() << std::endl;
  while (!terminated) ::pause();
  snapshot.restore();  // the file is still there: the program went on
  std::cout << "restored" << std::endl;
  return 0;
}

namespace {

namespace fs = std::filesystem;

std::size_t snapshot_files_in(const std::string& directory) {
  std::size_t count = 0;
  for (const auto& entry : fs::directory_iterator(directory)) {
    if (entry.path().filename().string().rfind("autolr-snapshot-", 0) == 0) ++count;
  }
  return count;
}

struct Worker {
  pid_t pid;
  int out;  // the read end of its stdout
};

Worker start_worker(const std::string& directory, bool own_handler) {
  int pipe_ends[2];
  EXPECT_EQ(::pipe(pipe_ends), 0);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(pipe_ends[1], STDOUT_FILENO);
    ::close(pipe_ends[0]);
    ::setenv("AUTOLR_TEST_WORKER", "snapshot", 1);
    ::setenv("AUTOLR_TEST_DIR", directory.c_str(), 1);
    if (own_handler) ::setenv("AUTOLR_TEST_OWN_HANDLER", "1", 1);
    ::execl("/proc/self/exe", "autolr_tests", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(pipe_ends[1]);
  return {pid, pipe_ends[0]};
}

std::string read_line(int fd) {
  std::string line;
  char c;
  while (::read(fd, &c, 1) == 1 && c != '\n') line += c;
  return line;
}

// The exit status, or 128 + the signal that ended it; -1 when it hangs (killed).
int wait_for(pid_t pid) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  int status = 0;
  while (::waitpid(pid, &status, WNOHANG) != pid) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

TEST(SnapshotFile, SigintAndSigtermRemoveTheFileAndStillEndTheProcess) {
  for (int signal : {SIGINT, SIGTERM}) {
    SCOPED_TRACE(signal == SIGINT ? "SIGINT" : "SIGTERM");
    TempDir dir;
    const Worker worker = start_worker(dir.path(), /*own_handler=*/false);
    const std::string file = read_line(worker.out);
    ASSERT_TRUE(fs::exists(file)) << "the worker's snapshot '" << file << "'";
    ::kill(worker.pid, signal);
    EXPECT_EQ(wait_for(worker.pid), 128 + signal) << "ended by the signal, as without autolr";
    ::close(worker.out);
    EXPECT_FALSE(fs::exists(file));
    EXPECT_EQ(snapshot_files_in(dir.path()), 0u);
  }
}

TEST(SnapshotFile, AProgramsOwnSigtermHandlerRunsAndTheFileStaysForItsRestore) {
  TempDir dir;
  const Worker worker = start_worker(dir.path(), /*own_handler=*/true);
  const std::string file = read_line(worker.out);
  ASSERT_TRUE(fs::exists(file));
  ::kill(worker.pid, SIGTERM);
  EXPECT_EQ(read_line(worker.out), "restored");
  EXPECT_EQ(wait_for(worker.pid), 0);
  ::close(worker.out);
  EXPECT_EQ(snapshot_files_in(dir.path()), 0u) << "removed at the end, as always";
}

TEST(SnapshotFile, TheNextRunRemovesTheFileOfAKilledProcessAndNothingElse) {
  TempDir dir;
  const Worker worker = start_worker(dir.path(), /*own_handler=*/false);
  const std::string killed = read_line(worker.out);
  ::kill(worker.pid, SIGKILL);  // no handler runs: the file stays
  EXPECT_EQ(wait_for(worker.pid), 128 + SIGKILL);
  ::close(worker.out);
  ASSERT_TRUE(fs::exists(killed));

  // Files that are not a dead process's of this user on this host stay.
  const std::string name = fs::path(killed).filename().string();
  const std::string pid = std::to_string(worker.pid);
  const auto with_pid = [&](const std::string& other) {
    std::string renamed = name;
    renamed.replace(renamed.find("-" + pid + "-"), pid.size() + 2, "-" + other + "-");
    return renamed;
  };
  const std::string live = dir.write(with_pid(std::to_string(::getppid())), "a live process's");
  const std::string other_host = dir.write("autolr-snapshot-otherhost-" + pid + "-0-0123456789abcdef.pt", "x");
  const std::string not_ours = dir.write("autolr-snapshot-notes.txt", "a user's file");
  const std::string temporary = dir.write(name + "." + pid + "-3-0badf00d.tmp", "a cut-short write");

  Classifier model;
  torch::optim::SGD optimizer(model->parameters(), 0.1);
  {
    Snapshot next(*model, optimizer, SnapshotOptions().location(SnapshotLocation::Disk).directory(dir.path()));
    EXPECT_FALSE(fs::exists(killed));
    EXPECT_FALSE(fs::exists(temporary));
    EXPECT_TRUE(fs::exists(live));
    EXPECT_TRUE(fs::exists(other_host));
    EXPECT_TRUE(fs::exists(not_ours));
    EXPECT_TRUE(fs::exists(next.file()));
  }
  EXPECT_EQ(snapshot_files_in(dir.path()), 3u) << "the live, the other host's and the user's file";
}

// Every kind of tensor a model or optimizer may hold, written and read back.
TEST(SnapshotFile, EveryKindOfTensorComesBackWithItsValuesDtypeShapeAndStrides) {
  TempDir dir;
  torch::manual_seed(3);
  const std::vector<torch::Tensor> tensors = {
      torch::randn({3, 4}),
      torch::Tensor(),                                  // a parameter without a gradient
      torch::randn({4, 3}).t(),                         // dense but not contiguous: strides kept
      torch::empty({0, 5}),                             // no elements
      torch::randint(0, 1000, {7}, torch::kInt64),      // a step count, an index
      torch::rand({5}) > 0.5,                           // bool
      torch::randn({2, 3}).to(torch::kHalf),            // half
      torch::tensor(2.5, torch::kFloat64),              // a 0-dim scalar
      torch::randn({3}).expand({2, 3}),                 // overlapping: through LibTorch's serialization
      torch::randn({4, 4}).to_sparse(),                 // sparse (an embedding's gradient)
  };
  detail::SnapshotFile file(dir.path());
  for (const auto& tensor : tensors) file.append(tensor);
  file.finish("optimizer bytes");
  const detail::SnapshotFile::Contents back = file.read();
  ASSERT_EQ(back.tensors.size(), tensors.size());
  EXPECT_EQ(back.bytes, "optimizer bytes");
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    SCOPED_TRACE(i);
    ASSERT_EQ(back.tensors[i].defined(), tensors[i].defined());
    if (!tensors[i].defined()) continue;
    EXPECT_EQ(back.tensors[i].dtype(), tensors[i].dtype());
    EXPECT_EQ(back.tensors[i].sizes(), tensors[i].sizes());
    EXPECT_EQ(back.tensors[i].layout(), tensors[i].layout());
    if (tensors[i].is_sparse()) {
      EXPECT_TRUE(torch::equal(back.tensors[i].to_dense(), tensors[i].to_dense()));
      continue;
    }
    EXPECT_TRUE(torch::equal(back.tensors[i], tensors[i]));
    if (tensors[i].is_non_overlapping_and_dense()) EXPECT_EQ(back.tensors[i].strides(), tensors[i].strides());
  }
}

TEST(SnapshotFile, OneChangedByteIsFoundBeforeAnythingIsRead) {
  TempDir dir;
  detail::SnapshotFile file(dir.path());
  file.append(torch::zeros({1000}));
  file.finish("");
  {
    std::fstream bytes(file.path(), std::ios::in | std::ios::out | std::ios::binary);
    bytes.seekp(2000);
    bytes.put('\x01');  // same size, one float no longer zero
  }
  EXPECT_THROW_WITH(file.read(), RestoreError, file.path() + " is damaged or missing (expected");
}

}  // namespace
}  // namespace autolr::test
