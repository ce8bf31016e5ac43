// Data-parallel range tests over c10d Gloo in real processes: this test
// binary re-runs itself as the ranks (AUTOLR_TEST_WORKER=distributed, see
// main.cpp), joined by a TCPStore on 127.0.0.1.

#include "autolr/distributed.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <thread>

#include "autolr/auto_fit.h"
#include "autolr/curve_csv.h"
#include "autolr/error.h"
#include "autolr/trainer.h"
#include "test_support.h"
#include "torch_support.h"

namespace autolr::test {
namespace {

constexpr int64_t kGlobalBatch = 32;
constexpr int64_t kSteps = 60;

std::string environment(const char* name, const std::string& fallback = "") {
  const char* value = std::getenv(name);
  return value ? value : fallback;
}

// The same range test in one process or in every rank of `group`: an MLP (no
// dropout or BatchNorm, whose draws and batch statistics depend on the shard),
// SGD, the same 32-example global batches; each rank trains on its share.
// The loss is multiplied by `scale(call)`, so a rank can fail (exit, NaN) at a chosen call.
// Then auto_fit for one epoch, which prints its report on rank 0 only.
struct RunResult {
  LRCurve curve;
  bool restored = false;  // model and optimizer bit-identical after the range test
  std::string decision;   // auto_fit's
};

RunResult range_test_run(const std::shared_ptr<DistributedGroup>& group, const std::function<double(int64_t)>& scale) {
  // Each rank draws other weights: the Trainer must give every rank rank 0's,
  // which are the single process's.
  torch::manual_seed(group ? 100 + group->rank() : 100);
  torch::nn::Sequential net(torch::nn::Linear(8, 32), torch::nn::ReLU(), torch::nn::Linear(32, 3));
  torch::optim::SGD optimizer(net->parameters(), torch::optim::SGDOptions(0.1).momentum(0.9));
  std::shared_ptr<BatchSource> data = batches(classification_batches(kSteps, kGlobalBatch));
  if (group) data = std::make_shared<ShardedBatches>(data, group->rank(), group->size());
  int64_t calls = 0;
  Trainer trainer(
      net.ptr(), [m = net.ptr()](const Batch& b) { return m->forward(b.input); }, optimizer,
      [&](const torch::Tensor& output, const Batch& b) { return cross_entropy(output, b.target) * scale(calls++); },
      data, TrainerOptions().progress(false).distributed(group));
  const LRFinderOptions range = LRFinderOptions().num_iter(kSteps).end_lr(100).progress(false);
  const CapturedState before = capture(*net, optimizer);
  RunResult result;
  result.curve = lr_find(trainer, range);
  result.restored = identical(before, capture(*net, optimizer));
  result.decision = auto_fit(trainer, 1, AutoFitOptions().range_test(range)).decision;
  return result;
}

struct Worker {
  pid_t pid;
  int rank;
};

int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof address;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    ::close(fd);
    return 29500;
  }
  ::close(fd);
  return ntohs(address.sin_port);
}

// Starts `world` copies of this binary as ranks, with `extra` environment.
std::vector<Worker> launch(int world, const std::string& out, const std::vector<std::string>& extra) {
  const int port = free_port();
  std::vector<Worker> workers;
  for (int rank = 0; rank < world; ++rank) {
    const pid_t pid = ::fork();
    if (pid == 0) {
      ::setenv("AUTOLR_TEST_WORKER", "distributed", 1);
      ::setenv("RANK", std::to_string(rank).c_str(), 1);
      ::setenv("WORLD_SIZE", std::to_string(world).c_str(), 1);
      ::setenv("MASTER_ADDR", "127.0.0.1", 1);
      ::setenv("MASTER_PORT", std::to_string(port).c_str(), 1);
      ::setenv("AUTOLR_TEST_OUT", out.c_str(), 1);
      const int stdout_file =
          ::open((out + "/rank" + std::to_string(rank) + ".stdout").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(stdout_file, STDOUT_FILENO);
      for (const std::string& assignment : extra) ::putenv(const_cast<char*>(assignment.c_str()));
      ::execl("/proc/self/exe", "autolr_tests", static_cast<char*>(nullptr));
      ::_exit(127);
    }
    workers.push_back({pid, rank});
  }
  return workers;
}

// Waits for every worker up to `limit`; kills the rest after it. Exit codes by rank (-1: killed).
std::vector<int> wait_for(const std::vector<Worker>& workers, std::chrono::seconds limit) {
  std::vector<int> codes(workers.size(), -1);
  std::vector<bool> done(workers.size(), false);
  const auto deadline = std::chrono::steady_clock::now() + limit;
  std::size_t remaining = workers.size();
  while (remaining > 0 && std::chrono::steady_clock::now() < deadline) {
    for (std::size_t i = 0; i < workers.size(); ++i) {
      int status = 0;
      if (!done[i] && ::waitpid(workers[i].pid, &status, WNOHANG) == workers[i].pid) {
        done[i] = true;
        --remaining;
        codes[i] = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  for (std::size_t i = 0; i < workers.size(); ++i) {
    if (done[i]) continue;
    ::kill(workers[i].pid, SIGKILL);
    ::waitpid(workers[i].pid, nullptr, 0);
  }
  return codes;
}

std::string suggestions_text(const LRCurve& curve) {
  std::string text;
  for (const Suggestion& s : suggest_all(curve))
    text += to_string(s.method) + " " + (s.lr ? fmt::format("{:.17g}", *s.lr) : "none") + "\n";
  return text;
}

}  // namespace

// What a rank runs (main.cpp calls it): the range test, then its curve and
// suggestions, or its error, into AUTOLR_TEST_OUT.
int run_distributed_worker() {
  const std::string out = environment("AUTOLR_TEST_OUT");
  const std::string rank = environment("RANK");
  const int64_t die_at = std::stoll(environment("AUTOLR_TEST_DIE_AT", "-1"));
  const int64_t nan_at = std::stoll(environment("AUTOLR_TEST_NAN_AT", "-1"));
  const std::string failing_rank = environment("AUTOLR_TEST_FAILING_RANK", "1");
  try {
    auto group = init_from_environment(torch::kCPU, DistributedOptions().timeout(std::chrono::seconds(20)));
    const bool failing = rank == failing_rank;
    const RunResult run = range_test_run(group, [&](int64_t call) {
      if (failing && call == die_at) std::_Exit(9);  // dies without a word, as a killed process
      return failing && call == nan_at ? std::nan("") : 1.0;
    });
    write_curve_csv(run.curve, out + "/rank" + rank + ".csv");
    std::ofstream(out + "/rank" + rank + ".txt") << to_string(run.curve.stop_reason()) << "\n"
                                                 << suggestions_text(run.curve) << "restored " << run.restored << "\n"
                                                 << run.decision << "\n";
    return 0;
  } catch (const std::exception& error) {
    std::ofstream(out + "/rank" + rank + ".error") << error.what();
    return 3;
  }
}

namespace {

RunResult single_process_reference() {
  return range_test_run(nullptr, [](int64_t) { return 1.0; });
}

TEST(Distributed, TwoRanksRecordTheSameCurveAsOneProcessOverTheSameGlobalBatches) {
  TempDir dir;
  const auto started = std::chrono::steady_clock::now();
  const std::vector<int> codes = wait_for(launch(2, dir.path(), {}), std::chrono::seconds(120));
  ASSERT_EQ(codes, (std::vector<int>{0, 0}))
      << read_file(dir.file("rank0.error")) << read_file(dir.file("rank1.error"));
  std::printf("2 ranks: %.1f s\n", std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());

  const LRCurve rank0 = read_curve_csv(dir.file("rank0.csv")), rank1 = read_curve_csv(dir.file("rank1.csv"));
  EXPECT_EQ(rank0.losses(), rank1.losses());  // bit for bit: both record the all-reduced mean
  EXPECT_EQ(rank0.lrs(), rank1.lrs());
  EXPECT_EQ(read_file(dir.file("rank0.txt")), read_file(dir.file("rank1.txt")));

  const RunResult reference = single_process_reference();
  ASSERT_EQ(rank0.size(), reference.curve.size());
  for (std::size_t i = 0; i < reference.curve.size(); ++i) {
    const double expected = reference.curve.losses()[i];
    if (!std::isfinite(expected)) continue;
    EXPECT_NEAR(rank0.losses()[i], expected, 1e-4 * std::max(1.0, std::abs(expected))) << "step " << i;
  }
  // Same stop, same suggestions, every rank restored, the same auto_fit decision as one process.
  EXPECT_EQ(read_file(dir.file("rank0.txt")), to_string(reference.curve.stop_reason()) + "\n" +
                                                  suggestions_text(reference.curve) + "restored 1\n" +
                                                  reference.decision + "\n");
  // Rank 0 alone prints auto_fit's report.
  EXPECT_NE(read_file(dir.file("rank0.stdout")).find("decision: max lr"), std::string::npos);
  EXPECT_EQ(read_file(dir.file("rank1.stdout")), "");
}

TEST(Distributed, ANanOnOneRankStopsEveryRankAtTheSameStep) {
  TempDir dir;
  const std::vector<int> codes = wait_for(launch(2, dir.path(), {"AUTOLR_TEST_NAN_AT=20"}), std::chrono::seconds(120));
  ASSERT_EQ(codes, (std::vector<int>{0, 0}))
      << read_file(dir.file("rank0.error")) << read_file(dir.file("rank1.error"));
  const LRCurve rank0 = read_curve_csv(dir.file("rank0.csv")), rank1 = read_curve_csv(dir.file("rank1.csv"));
  EXPECT_EQ(rank0.size(), 21u);
  EXPECT_EQ(rank1.size(), 21u);
  EXPECT_EQ(read_file(dir.file("rank0.txt")).substr(0, 15), "non_finite_loss");
  EXPECT_EQ(read_file(dir.file("rank0.txt")), read_file(dir.file("rank1.txt")));
}

TEST(Distributed, ARankThatDiesFailsTheOthersWithAClearErrorInsteadOfAHang) {
  TempDir dir;
  const auto started = std::chrono::steady_clock::now();
  const std::vector<int> codes = wait_for(launch(2, dir.path(), {"AUTOLR_TEST_DIE_AT=10"}), std::chrono::seconds(90));
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  EXPECT_EQ(codes[1], 9);  // the rank that died
  EXPECT_EQ(codes[0], 3);  // the survivor failed with an error, was not killed by the test
  const std::string error = read_file(dir.file("rank0.error"));
  EXPECT_NE(error.find("rank 0 of 2"), std::string::npos) << error;
  EXPECT_NE(error.find("failed"), std::string::npos) << error;
  EXPECT_LT(seconds, 60) << "the survivor took too long to notice";
  std::printf("survivor failed after %.1f s: %s\n", seconds, error.c_str());
}

TEST(Distributed, ShardingNeedsABatchTheWorldSizeDivides) {
  auto source = batches(classification_batches(2, 10));
  ShardedBatches sharded(source, 1, 3);
  sharded.begin_epoch();
  EXPECT_THROW_WITH(sharded.next(), InvalidArgument, "batch size = 10 with world_size 3, expected a multiple");
  EXPECT_THROW_WITH(ShardedBatches(source, 3, 3), InvalidArgument, "rank = 3, expected in [0, world_size - 1 = 2]");
  EXPECT_THROW_WITH(ShardedBatches(source, 0, 0), InvalidArgument, "world_size = 0");

  ShardedBatches halves(source, 1, 2);
  halves.begin_epoch();
  const Batch second_half = *halves.next();
  source->begin_epoch();
  const Batch whole = *source->next();
  EXPECT_TRUE(torch::equal(second_half.input, whole.input.slice(0, 5, 10)));
  EXPECT_TRUE(torch::equal(second_half.target, whole.target.slice(0, 5, 10)));
}

// Sets environment variables for one test and puts the old values back.
class ScopedEnvironment {
 public:
  void set(const char* name, const char* value) {
    const char* old = std::getenv(name);
    saved_.emplace_back(name, old ? std::optional<std::string>(old) : std::nullopt);
    if (value)
      ::setenv(name, value, 1);
    else
      ::unsetenv(name);
  }
  ~ScopedEnvironment() {
    for (auto it = saved_.rbegin(); it != saved_.rend(); ++it) {
      if (it->second)
        ::setenv(it->first.c_str(), it->second->c_str(), 1);
      else
        ::unsetenv(it->first.c_str());
    }
  }

 private:
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

TEST(Distributed, TheEnvironmentIsCheckedVariableByVariable) {
  ScopedEnvironment env;
  env.set("WORLD_SIZE", nullptr);
  EXPECT_THROW_WITH(init_from_environment(torch::kCPU), InvalidArgument, "WORLD_SIZE = unset, expected an integer");
  env.set("WORLD_SIZE", "two");
  EXPECT_THROW_WITH(init_from_environment(torch::kCPU), InvalidArgument, "WORLD_SIZE = 'two', expected an integer");
  env.set("WORLD_SIZE", "2");
  env.set("RANK", "2");
  EXPECT_THROW_WITH(init_from_environment(torch::kCPU), InvalidArgument,
                    "RANK = '2', expected an integer in [0, WORLD_SIZE - 1 = 1]");
  env.set("RANK", "0");
  env.set("MASTER_ADDR", nullptr);
  EXPECT_THROW_WITH(init_from_environment(torch::kCPU), InvalidArgument, "MASTER_ADDR = unset");
  env.set("MASTER_ADDR", "127.0.0.1");
  env.set("MASTER_PORT", "70000");
  EXPECT_THROW_WITH(init_from_environment(torch::kCPU), InvalidArgument, "MASTER_PORT = '70000', expected a port");
}

TEST(Distributed, ARendezvousNobodyJoinsTimesOut) {
  ScopedEnvironment env;
  env.set("WORLD_SIZE", "2");
  env.set("RANK", "0");
  env.set("MASTER_ADDR", "127.0.0.1");
  env.set("MASTER_PORT", std::to_string(free_port()).c_str());
  const auto started = std::chrono::steady_clock::now();
  EXPECT_THROW_WITH(init_from_environment(torch::kCPU, DistributedOptions().timeout(std::chrono::seconds(2))),
                    DistributedError, "rank 0 of 2");
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(), 30);
}

TEST(Distributed, OneRankIsAGroupOfOne) {
  TempDir dir;
  ScopedEnvironment env;
  env.set("WORLD_SIZE", "1");
  env.set("RANK", "0");
  auto group = init_from_environment(torch::kCPU, DistributedOptions().file_store(dir.file("store")));
  EXPECT_EQ(group->size(), 1);
  EXPECT_TRUE(group->is_main());
  torch::Tensor t = torch::tensor({1.5, 2.5});
  group->all_reduce_sum(t, "a test");
  EXPECT_TRUE(torch::equal(t, torch::tensor({1.5, 2.5})));
}

}  // namespace
}  // namespace autolr::test
