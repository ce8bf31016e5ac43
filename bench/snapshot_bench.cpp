// Snapshot + restore against the physical limit: a plain copy of the same
// tensors (clone each one, copy_ it back). The benchmark's MLP and models of
// 1 M, 10 M and 50 M parameters (1024 x 1024 linear layers) with Adam state (one step taken),
// CPU, one thread. For each location: the median time of the snapshot and of
// the restore, ms per GB of state copied, the ratio to the plain copy, and
// the peak memory above the model (measured in a child process of its own).
// The row "serialized optimizer" is autolr's design before issue 18 (the
// optimizer state round-tripped through LibTorch's serialization), kept as
// the fallback for optimizer types autolr does not know.
//
//   build/bench/snapshot_bench [repeats]
//   bench/count_instructions also runs `snapshot_bench --instructions` under
//   callgrind: the instructions of one snapshot and one restore, in memory
//   (SameDevice), beside the plain copy's, at each size.

#include <sys/resource.h>
#include <sys/wait.h>
#include <torch/torch.h>
#include <unistd.h>
#include <valgrind/callgrind.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "autolr/snapshot.h"
#include "timing.h"

namespace {

using autolr::bench::median;
using autolr::bench::seconds;

struct Setup {
  torch::nn::Sequential model;
  std::unique_ptr<torch::optim::Adam> optimizer;
  double state_gb = 0;  // parameters + gradients + Adam's two moments
  int64_t parameters = 0;
};

// layers == 0: range_test_bench's MLP 784-256-128-10 (where torch-lr-finder's
// in-memory snapshot + restore took 0.9-1.7 ms, issue 18); else that many
// 1024 x 1024 layers.
Setup make_setup(int layers) {
  torch::manual_seed(0);
  Setup s;
  if (layers == 0) {
    s.model->push_back(torch::nn::Linear(784, 256));
    s.model->push_back(torch::nn::ReLU());
    s.model->push_back(torch::nn::Linear(256, 128));
    s.model->push_back(torch::nn::ReLU());
    s.model->push_back(torch::nn::Linear(128, 10));
  }
  for (int i = 0; i < layers; ++i) s.model->push_back(torch::nn::Linear(1024, 1024));
  s.optimizer = std::make_unique<torch::optim::Adam>(s.model->parameters(), 1e-3);
  s.model->forward(torch::randn({8, layers == 0 ? 784 : 1024})).square().mean().backward();
  s.optimizer->step();
  int64_t elements = 0;
  for (const auto& p : s.model->parameters()) elements += p.numel();
  s.state_gb = 4.0 * elements * sizeof(float) / 1e9;
  s.parameters = elements;
  return s;
}

std::vector<torch::Tensor> every_tensor(Setup& s) {
  std::vector<torch::Tensor> tensors;
  for (const auto& p : s.model->parameters()) {
    tensors.push_back(p);
    tensors.push_back(p.grad());
  }
  for (auto& [key, state] : s.optimizer->state()) {
    auto& adam = static_cast<torch::optim::AdamParamState&>(*state);
    tensors.push_back(adam.exp_avg());
    tensors.push_back(adam.exp_avg_sq());
  }
  return tensors;
}

// The kinds of copy timed; each gives a snapshot step and a restore step.
enum class Kind { PlainCopy, SameDevice, Cpu, Disk, SerializedOptimizer };
const char* name(Kind kind) {
  switch (kind) {
    case Kind::PlainCopy: return "plain copy (the limit)";
    case Kind::SameDevice: return "Snapshot, SameDevice";
    case Kind::Cpu: return "Snapshot, Cpu";
    case Kind::Disk: return "Snapshot, Disk";
    case Kind::SerializedOptimizer: return "serialized optimizer";
  }
  return "";
}

struct Timing {
  double snapshot = 0, restore = 0;
};

Timing time_once(Setup& s, Kind kind, const std::string& directory) {
  Timing t;
  if (kind == Kind::PlainCopy || kind == Kind::SerializedOptimizer) {
    std::vector<torch::Tensor> live = every_tensor(s), copies;
    std::string bytes;
    t.snapshot = seconds([&] {
      const std::size_t plain = kind == Kind::PlainCopy ? live.size() : 2 * s.model->parameters().size();
      for (std::size_t i = 0; i < plain; ++i) copies.push_back(live[i].clone());
      if (kind == Kind::SerializedOptimizer) {
        torch::serialize::OutputArchive archive;
        s.optimizer->save(archive);
        std::ostringstream out;
        archive.save_to(out);
        bytes = out.str();
      }
    });
    t.restore = seconds([&] {
      torch::NoGradGuard no_grad;
      for (std::size_t i = 0; i < copies.size(); ++i) live[i].copy_(copies[i]);
      if (kind == Kind::SerializedOptimizer) {
        std::istringstream in(bytes);
        torch::serialize::InputArchive archive;
        archive.load_from(in);
        s.optimizer->state().clear();
        s.optimizer->load(archive);
      }
    });
    return t;
  }
  const auto location = kind == Kind::SameDevice ? autolr::SnapshotLocation::SameDevice
                        : kind == Kind::Cpu      ? autolr::SnapshotLocation::Cpu
                                                 : autolr::SnapshotLocation::Disk;
  std::unique_ptr<autolr::Snapshot> snapshot;
  t.snapshot = seconds([&] {
    snapshot = std::make_unique<autolr::Snapshot>(
        *s.model, *s.optimizer, autolr::SnapshotOptions().location(location).directory(directory));
  });
  t.restore = seconds([&] { snapshot->restore(); });
  return t;
}

long resident_kb() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

// Peak memory above the model's during one snapshot + restore, in MB, measured
// in a child process so that one kind's peak does not hide another's.
double peak_mb(int layers, Kind kind, const std::string& directory) {
  const pid_t child = fork();
  if (child == 0) {
    Setup s = make_setup(layers);
    const long before = resident_kb();
    time_once(s, kind, directory);
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    const long extra_kb = std::max(0L, usage.ru_maxrss - before);
    _exit(static_cast<int>(std::min(extra_kb / 1024 / 8, 255L)));  // in units of 8 MB
  }
  int status = 0;
  waitpid(child, &status, 0);
  return WIFEXITED(status) ? 8.0 * WEXITSTATUS(status) : -1;
}

// Under callgrind: each kind's snapshot and restore as regions
// "snapshot/<kind>/<parameters>" and "restore/<kind>/<parameters>".
int count_instructions() {
  if (!RUNNING_ON_VALGRIND) {
    std::fprintf(stderr, "snapshot_bench --instructions: run it through bench/count_instructions\n");
    return 2;
  }
  torch::set_num_threads(1);
  for (int layers : {0, 1, 10, 48}) {
    Setup s = make_setup(layers);
    for (Kind kind : {Kind::PlainCopy, Kind::SameDevice}) {
      time_once(s, kind, "");  // warm-up
      const std::string size = std::to_string(s.parameters);
      const std::string kind_name = kind == Kind::PlainCopy ? "plain" : "snapshot";
      std::vector<torch::Tensor> live = every_tensor(s), copies;
      std::unique_ptr<autolr::Snapshot> snapshot;
      CALLGRIND_ZERO_STATS;
      CALLGRIND_TOGGLE_COLLECT;
      if (kind == Kind::PlainCopy) {
        for (const auto& tensor : live) copies.push_back(tensor.clone());
      } else {
        snapshot = std::make_unique<autolr::Snapshot>(*s.model, *s.optimizer);
      }
      CALLGRIND_TOGGLE_COLLECT;
      const std::string taken = "copy/" + kind_name + "/" + size;
      CALLGRIND_DUMP_STATS_AT(taken.c_str());
      CALLGRIND_TOGGLE_COLLECT;
      if (kind == Kind::PlainCopy) {
        torch::NoGradGuard no_grad;
        for (std::size_t i = 0; i < copies.size(); ++i) live[i].copy_(copies[i]);
      } else {
        snapshot->restore();
      }
      CALLGRIND_TOGGLE_COLLECT;
      const std::string restored = "restore/" + kind_name + "/" + size;
      CALLGRIND_DUMP_STATS_AT(restored.c_str());
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::string(argv[1]) == "--instructions") return count_instructions();
  const int repeats = argc > 1 ? std::atoi(argv[1]) : 5;
  torch::set_num_threads(1);  // also makes the forks for the memory rows safe
  const std::string directory = std::filesystem::temp_directory_path().string();
  std::printf("threads: 1, repeats: %d (interleaved), disk snapshots in %s\n\n", repeats, directory.c_str());
  std::printf("| parameters | state | copy | snapshot ms | restore ms | total ms | ms per GB | x plain copy | peak MB |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|\n");
  const std::vector<Kind> kinds = {Kind::PlainCopy, Kind::SameDevice, Kind::Cpu, Kind::Disk, Kind::SerializedOptimizer};
  for (int layers : {0, 1, 10, 48}) {
    Setup s = make_setup(layers);
    // Interleaved, after a warm-up of each: every kind meets the same
    // allocator and page cache (the first large copy pays page faults).
    std::vector<std::vector<double>> snapshots(kinds.size()), restores(kinds.size()), totals(kinds.size());
    for (Kind kind : kinds) time_once(s, kind, directory);
    for (int i = 0; i < repeats; ++i) {
      for (std::size_t k = 0; k < kinds.size(); ++k) {
        const Timing t = time_once(s, kinds[k], directory);
        snapshots[k].push_back(t.snapshot);
        restores[k].push_back(t.restore);
        totals[k].push_back(t.snapshot + t.restore);
      }
    }
    const double plain_total = median(totals[0]);
    for (std::size_t k = 0; k < kinds.size(); ++k) {
      const double total = median(totals[k]);
      std::printf("| %.2f M | %.3f GB | %s | %.2f | %.2f | %.2f | %.0f | %.2f | %.0f |\n", s.parameters / 1e6,
                  s.state_gb, name(kinds[k]), 1e3 * median(snapshots[k]), 1e3 * median(restores[k]), 1e3 * total,
                  1e3 * total / s.state_gb, total / plain_total, peak_mb(layers, kinds[k], directory));
      std::fflush(stdout);
    }
  }
  return 0;
}
