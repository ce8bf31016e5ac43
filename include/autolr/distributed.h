#pragma once
/// Data-parallel training across processes with PyTorch's own engine, c10d:
/// Gloo on CPU, NCCL on CUDA. A DistributedGroup wraps a c10d process group
/// (or, in LibTorch 2.x, a c10d backend such as ProcessGroupGloo); give it to
/// TrainerOptions::distributed and the Trainer broadcasts rank 0's weights,
/// averages gradients after backward and losses for the range test, so every
/// rank records the same curve and gets the same suggestion.
///
/// Every rank must run the same calls in the same order and see the same
/// number of batches per epoch (ShardedBatches or LibTorch's
/// DistributedRandomSampler give each rank its share of every batch).

#include <torch/nn/module.h>
#include <torch/optim/optimizer.h>
#include <torch/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <torch/csrc/distributed/c10d/ProcessGroup.hpp>
#include <vector>

#include "autolr/arg.h"
#include "autolr/batch.h"

namespace autolr {

class DistributedGroup {
 public:
  /// `group`: a c10d::ProcessGroup, or any c10d backend with the same
  /// collectives (ProcessGroupGloo and ProcessGroupNCCL in LibTorch 2.x).
  template <typename Group>
  explicit DistributedGroup(c10::intrusive_ptr<Group> group)
      : rank_(group->getRank()),
        size_(group->getSize()),
        all_reduce_([group](std::vector<torch::Tensor>& t) { group->allreduce(t)->wait(); }),
        broadcast_([group](std::vector<torch::Tensor>& t) { group->broadcast(t)->wait(); }) {}

  int64_t rank() const { return rank_; }
  int64_t size() const { return size_; }
  /// Rank 0 alone writes files and prints.
  bool is_main() const { return rank_ == 0; }

  /// Sums `tensor` over the ranks, in place. Throws DistributedError naming
  /// this rank and `what` when the collective fails (a rank died, a timeout).
  void all_reduce_sum(torch::Tensor& tensor, const char* what) const;
  /// The mean of `value` over the ranks (a new tensor; `value` is not changed).
  torch::Tensor mean(const torch::Tensor& value, const char* what) const;
  /// Copies rank 0's `tensor` into every rank's, in place.
  void broadcast_from_main(torch::Tensor& tensor, const char* what) const;

 private:
  int64_t rank_, size_;
  // Each holds a reference to the group, which lives as long as they do.
  std::function<void(std::vector<torch::Tensor>&)> all_reduce_;
  std::function<void(std::vector<torch::Tensor>&)> broadcast_;
};

/// Gives rank 0's parameters and buffers to every rank (initial weights).
void broadcast_module(const DistributedGroup& group, torch::nn::Module& module);
/// Averages the gradients of the optimizer's parameters over the ranks, in one
/// flattened collective per dtype and device. Parameters without a gradient
/// are skipped: every rank must have gradients for the same parameters.
void average_gradients(const DistributedGroup& group, torch::optim::Optimizer& optimizer);

struct DistributedOptions {
  /// How long a collective or the rendezvous waits for the other ranks before
  /// it fails; a rank that died fails the others within this.
  AUTOLR_ARG(std::chrono::milliseconds, timeout) = std::chrono::seconds(60);
  /// Rendezvous through this file (c10d::FileStore) instead of a TCPStore on
  /// MASTER_ADDR:MASTER_PORT. Every rank must name the same file, on a file
  /// system they share; it must not exist before the first rank starts.
  AUTOLR_ARG(std::string, file_store) = "";
};

/// Joins the group as torchrun launches a process: RANK, WORLD_SIZE,
/// MASTER_ADDR and MASTER_PORT from the environment (MASTER_* unused with a
/// file store), rank 0 serving the TCPStore. Gloo on a CPU `device`; NCCL on
/// CUDA when autolr was built with AUTOLR_WITH_NCCL. Gloo's network interface
/// comes from GLOO_SOCKET_IFNAME, else loopback when MASTER_ADDR is
/// 127.0.0.1 or localhost, else the host name's address.
/// Throws InvalidArgument naming the variable for a missing or malformed one,
/// DistributedError when the rendezvous fails or times out.
std::shared_ptr<DistributedGroup> init_from_environment(const torch::Device& device,
                                                        const DistributedOptions& options = {});

/// Every batch of `source` cut into `world_size` equal row slices; rank `rank`
/// gets slice `rank`. Every rank must read the same batches in the same
/// order (a ShuffledBatches seeded alike on every rank does), so the ranks
/// together train on exactly the batches one process would.
class ShardedBatches : public BatchSource {
 public:
  /// Throws InvalidArgument for a null source, world_size < 1 or rank outside [0, world_size).
  ShardedBatches(std::shared_ptr<BatchSource> source, int64_t rank, int64_t world_size);
  void begin_epoch() override { source_->begin_epoch(); }
  /// Throws InvalidArgument naming the batch size and world size when the
  /// batch does not divide evenly, or when it has named inputs (`inputs`),
  /// which cannot be cut by rows in general.
  std::optional<Batch> next() override;
  std::optional<int64_t> size() const override { return source_->size(); }

 private:
  std::shared_ptr<BatchSource> source_;
  int64_t rank_, world_size_;
};

}  // namespace autolr
