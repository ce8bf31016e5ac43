#include "autolr/distributed.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <cstdlib>
#include <map>
#include <torch/csrc/distributed/c10d/FileStore.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#ifdef AUTOLR_HAVE_GLOO
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#endif
#ifdef AUTOLR_WITH_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include "autolr/error.h"
#include "core/check.h"

namespace autolr {
namespace {

// Runs one collective; turns c10d's errors into one that says who and what.
template <typename Collective>
void collective(const DistributedGroup& group, const char* what, Collective&& run) {
  try {
    run();
  } catch (const std::exception& error) {
    throw DistributedError(
        fmt::format("rank {} of {}: {} failed (another rank may have died or stopped "
                    "answering within the timeout): {}",
                    group.rank(), group.size(), what, error.what()));
  }
}

std::string environment(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

int64_t integer_environment(const char* name, int64_t low, int64_t high, const std::string& expected) {
  const std::string text = environment(name);
  AUTOLR_CHECK_ARGUMENT(!text.empty(), "init_from_environment", name, "unset", expected);
  std::size_t used = 0;
  long long value = 0;
  try {
    value = std::stoll(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  AUTOLR_CHECK_ARGUMENT(used == text.size() && value >= low && value <= high, "init_from_environment", name,
                        "'" + text + "'", expected);
  return value;
}

}  // namespace

void DistributedGroup::all_reduce_sum(torch::Tensor& tensor, const char* what) const {
  collective(*this, what, [&] {
    std::vector<torch::Tensor> tensors{tensor};
    all_reduce_(tensors);
  });
}

torch::Tensor DistributedGroup::mean(const torch::Tensor& value, const char* what) const {
  torch::Tensor sum = value.detach().clone();
  all_reduce_sum(sum, what);
  return sum / static_cast<double>(size_);
}

void DistributedGroup::broadcast_from_main(torch::Tensor& tensor, const char* what) const {
  collective(*this, what, [&] {
    std::vector<torch::Tensor> tensors{tensor};
    broadcast_(tensors);
  });
}

void broadcast_module(const DistributedGroup& group, torch::nn::Module& module) {
  torch::NoGradGuard no_grad;
  for (auto tensor : module.parameters()) group.broadcast_from_main(tensor, "broadcasting the initial weights");
  for (auto tensor : module.buffers()) group.broadcast_from_main(tensor, "broadcasting the initial buffers");
}

void average_gradients(const DistributedGroup& group, torch::optim::Optimizer& optimizer) {
  // One flat tensor per (device, dtype): one collective instead of one per parameter.
  std::map<std::pair<std::string, c10::ScalarType>, std::vector<torch::Tensor>> buckets;
  for (const auto& param_group : optimizer.param_groups())
    for (const auto& p : param_group.params())
      if (p.grad().defined()) buckets[{p.device().str(), p.scalar_type()}].push_back(p.mutable_grad());
  torch::NoGradGuard no_grad;
  for (auto& [key, grads] : buckets) {
    std::vector<torch::Tensor> flat_parts;
    for (const auto& g : grads) flat_parts.push_back(g.reshape({-1}));
    torch::Tensor flat = torch::cat(flat_parts);
    group.all_reduce_sum(flat, "averaging gradients");
    flat.div_(static_cast<double>(group.size()));
    int64_t offset = 0;
    for (auto& g : grads) {
      g.copy_(flat.slice(0, offset, offset + g.numel()).view_as(g));
      offset += g.numel();
    }
  }
}

std::shared_ptr<DistributedGroup> init_from_environment(const torch::Device& device,
                                                        const DistributedOptions& options) {
  constexpr const char* kWhere = "init_from_environment";
  const int64_t world_size = integer_environment("WORLD_SIZE", 1, 1 << 20, "an integer >= 1");
  const int64_t rank = integer_environment("RANK", 0, world_size - 1,
                                           fmt::format("an integer in [0, WORLD_SIZE - 1 = {}]", world_size - 1));
  AUTOLR_CHECK_ARGUMENT(options.timeout().count() > 0, kWhere, "options.timeout",
                        std::to_string(options.timeout().count()) + " ms", "a positive duration");

  c10::intrusive_ptr<c10d::Store> store;
  std::string master_address = "127.0.0.1";
  try {
    if (!options.file_store().empty()) {
      store = c10::make_intrusive<c10d::FileStore>(options.file_store(), static_cast<int>(world_size));
    } else {
      master_address = environment("MASTER_ADDR");
      AUTOLR_CHECK_ARGUMENT(!master_address.empty(), kWhere, "MASTER_ADDR", "unset",
                            "the address of rank 0 (127.0.0.1 on one machine)");
      c10d::TCPStoreOptions tcp;
      tcp.port = static_cast<std::uint16_t>(integer_environment("MASTER_PORT", 1, 65535, "a port in [1, 65535]"));
      tcp.isServer = rank == 0;
      tcp.numWorkers = static_cast<std::size_t>(world_size);
      tcp.timeout = options.timeout();
      store = c10::make_intrusive<c10d::TCPStore>(master_address, tcp);
    }
  } catch (const InvalidArgument&) {
    throw;
  } catch (const std::exception& error) {
    throw DistributedError(fmt::format("rank {} of {}: the rendezvous failed: {}", rank, world_size, error.what()));
  }

  try {
    if (device.is_cuda()) {
#ifdef AUTOLR_WITH_NCCL
      auto nccl_options = c10d::ProcessGroupNCCL::Options::create();
      nccl_options->timeout = options.timeout();
      return std::make_shared<DistributedGroup>(
          c10::make_intrusive<c10d::ProcessGroupNCCL>(store, rank, world_size, nccl_options));
#else
      throw InvalidArgument(
          fmt::format("{}: device = {}, expected cpu: this autolr was built without NCCL "
                      "(configure with -DAUTOLR_WITH_NCCL=ON against a CUDA LibTorch)",
                      kWhere, device.str()));
#endif
    }
#ifdef AUTOLR_HAVE_GLOO
    auto gloo_options = c10d::ProcessGroupGloo::Options::create(options.timeout());
    const std::string interface = environment("GLOO_SOCKET_IFNAME");
    if (!interface.empty())
      gloo_options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(interface));
    else if (master_address == "127.0.0.1" || master_address == "localhost")
      gloo_options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
    else
      gloo_options->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
    return std::make_shared<DistributedGroup>(
        c10::make_intrusive<c10d::ProcessGroupGloo>(store, rank, world_size, gloo_options));
#else
    throw InvalidArgument(
        fmt::format("{}: device = {}: this autolr was built without Gloo (install libgloo-dev, "
                    "or its headers, and configure again)",
                    kWhere, device.str()));
#endif
  } catch (const Error&) {
    throw;
  } catch (const std::exception& error) {
    throw DistributedError(
        fmt::format("rank {} of {}: joining the process group failed: {}", rank, world_size, error.what()));
  }
}

ShardedBatches::ShardedBatches(std::shared_ptr<BatchSource> source, int64_t rank, int64_t world_size)
    : source_(std::move(source)), rank_(rank), world_size_(world_size) {
  constexpr const char* kWhere = "ShardedBatches";
  AUTOLR_CHECK_ARGUMENT(source_ != nullptr, kWhere, "source", "null", "a batch source");
  AUTOLR_CHECK_ARGUMENT(world_size >= 1, kWhere, "world_size", std::to_string(world_size), "at least 1");
  AUTOLR_CHECK_ARGUMENT(rank >= 0 && rank < world_size, kWhere, "rank", std::to_string(rank),
                        fmt::format("in [0, world_size - 1 = {}]", world_size - 1));
}

std::optional<Batch> ShardedBatches::next() {
  std::optional<Batch> batch = source_->next();
  if (!batch) return batch;
  const int64_t size = batch->size();
  AUTOLR_CHECK_ARGUMENT(batch->inputs.empty(), "ShardedBatches", "batch.inputs",
                        fmt::format("{} named tensors", batch->inputs.size()),
                        "input and target only: shard batches with named inputs in your own BatchSource");
  AUTOLR_CHECK_ARGUMENT(size % world_size_ == 0, "ShardedBatches", "batch size",
                        fmt::format("{} with world_size {}", size, world_size_),
                        "a multiple of the world size, so every rank gets an equal share");
  const int64_t share = size / world_size_;
  Batch mine;
  mine.input = batch->input.slice(0, rank_ * share, (rank_ + 1) * share);
  if (batch->target.defined()) mine.target = batch->target.slice(0, rank_ * share, (rank_ + 1) * share);
  return mine;
}

}  // namespace autolr
