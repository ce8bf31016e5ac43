// Data-parallel auto_fit in N processes on one machine, over c10d Gloo.
//
//   build/examples/distributed_training [processes] [epochs]
//
// Started without RANK in the environment, it is the launcher: it starts
// `processes` copies of itself with RANK, WORLD_SIZE, MASTER_ADDR=127.0.0.1
// and MASTER_PORT set, as torchrun does, and waits for them. (Under torchrun,
// or any launcher that sets those variables, every process is a rank.)
// Each rank trains on its share of every batch; the range test records the
// mean loss over the ranks, so all ranks pick the same LR. Rank 0 prints.

#include <autolr/auto_fit.h>
#include <autolr/curve_csv.h>
#include <autolr/distributed.h>
#include <autolr/trainer.h>
#include <sys/wait.h>
#include <torch/torch.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

int launch(int processes, const char* epochs) {
  const std::string port = std::to_string(29500 + getpid() % 1000);  // one launcher, one port
  std::vector<pid_t> ranks;
  for (int rank = 0; rank < processes; ++rank) {
    const pid_t pid = fork();
    if (pid == 0) {
      setenv("RANK", std::to_string(rank).c_str(), 1);
      setenv("WORLD_SIZE", std::to_string(processes).c_str(), 1);
      setenv("MASTER_ADDR", "127.0.0.1", 1);
      setenv("MASTER_PORT", port.c_str(), 1);
      execl("/proc/self/exe", "distributed_training", std::to_string(processes).c_str(), epochs,
            static_cast<char*>(nullptr));
      _exit(127);
    }
    ranks.push_back(pid);
  }
  int failed = 0;
  for (pid_t pid : ranks) {
    int status = 0;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) ++failed;
  }
  return failed == 0 ? 0 : 1;
}

int train(int64_t epochs) {
  // [readme-distributed]
  auto group = autolr::init_from_environment(torch::kCPU);  // RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT

  // Every rank builds the same global batches (same seed) and keeps its share of each.
  torch::manual_seed(0);
  const auto inputs = torch::randn({4096, 20});
  const auto targets = inputs.slice(1, 0, 4).argmax(1);
  auto global = std::make_shared<autolr::ShuffledBatches>(inputs, targets, 128);
  auto mine = std::make_shared<autolr::ShardedBatches>(global, group->rank(), group->size());

  torch::nn::Sequential net(torch::nn::Linear(20, 64), torch::nn::ReLU(), torch::nn::Linear(64, 4));
  torch::optim::SGD optimizer(net->parameters(), torch::optim::SGDOptions(0.01).momentum(0.9));
  autolr::Trainer trainer(
      net, optimizer,
      [](const torch::Tensor& output, const torch::Tensor& target) {
        return torch::nn::functional::cross_entropy(output, target);
      },
      mine, autolr::TrainerOptions().distributed(group).progress(false));
  trainer.set_metric(autolr::accuracy());
  trainer.set_validation_data(mine);
  const autolr::AutoFitReport report = autolr::auto_fit(trainer, epochs);  // rank 0 prints the report
  if (group->is_main()) autolr::write_curve_csv(report.curve, "distributed_curve.csv");
  // [readme-distributed]
  return report.trained && *report.history.back().metric > 0.8 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) try {
  const int processes = argc > 1 ? std::atoi(argv[1]) : 2;
  const char* epochs = argc > 2 ? argv[2] : "3";
  if (!std::getenv("RANK")) return launch(processes, epochs);
  return train(std::atoll(epochs));
} catch (const std::exception& error) {
  std::fprintf(stderr, "rank %s: %s\n", std::getenv("RANK"), error.what());
  return 1;
}
