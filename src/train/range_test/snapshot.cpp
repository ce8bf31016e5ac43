#include "autolr/snapshot.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <iostream>
#include <sstream>

#include "autolr/error.h"
#include "core/check.h"
#include "train/loop/torch_checks.h"
#include "train/loop/training_flags.h"
#include "train/range_test/snapshot_file.h"

namespace autolr {
namespace {

// What is copied, in a fixed order: the order of named_parameters(),
// named_buffers() and modules(), which a module does not change.
struct Tensors {
  std::vector<torch::Tensor> parameters;
  std::vector<torch::Tensor> gradients;  // undefined where a parameter had none
  std::vector<torch::Tensor> buffers;
};

torch::Tensor copy_to(const torch::Tensor& tensor, SnapshotLocation location) {
  if (!tensor.defined()) return tensor;
  const torch::Tensor source = tensor.detach();
  if (location == SnapshotLocation::SameDevice) return source.clone();
  return source.to(torch::TensorOptions().device(torch::kCPU), /*non_blocking=*/false, /*copy=*/true);
}

Tensors copy_tensors(torch::nn::Module& model, SnapshotLocation location) {
  Tensors copy;
  for (const auto& parameter : model.parameters()) {
    copy.parameters.push_back(copy_to(parameter, location));
    copy.gradients.push_back(copy_to(parameter.grad(), location));
  }
  for (const auto& buffer : model.buffers()) copy.buffers.push_back(copy_to(buffer, location));
  return copy;
}

std::string serialize_optimizer(const torch::optim::Optimizer& optimizer) {
  torch::serialize::OutputArchive archive;
  optimizer.save(archive);
  std::ostringstream bytes;
  archive.save_to(bytes);
  return bytes.str();
}

void check_same_shapes(const std::vector<torch::Tensor>& saved, const std::vector<torch::Tensor>& current,
                       const char* what, const std::string& where) {
  if (saved.size() != current.size()) {
    throw RestoreError(fmt::format("{}: the snapshot has {} {}, the model now has {}; nothing was restored", where,
                                   saved.size(), what, current.size()));
  }
  for (std::size_t i = 0; i < saved.size(); ++i) {
    if (saved[i].defined() && (saved[i].sizes() != current[i].sizes() || saved[i].dtype() != current[i].dtype())) {
      throw RestoreError(fmt::format("{}: {} {} is {} in the snapshot but {} now; nothing was restored", where, what, i,
                                     detail::describe(saved[i]), detail::describe(current[i])));
    }
  }
}

}  // namespace

struct Snapshot::State {
  State(torch::nn::Module& model, torch::optim::Optimizer& optimizer, SnapshotOptions options)
      : model(model), optimizer(optimizer), options(std::move(options)), training(model) {}

  torch::nn::Module& model;
  torch::optim::Optimizer& optimizer;
  SnapshotOptions options;

  Tensors tensors;              // SameDevice and Cpu
  std::string optimizer_bytes;  // SameDevice and Cpu: LibTorch's own serialization of the optimizer
  // Optimizer::load restores the state but not the groups' options (lr,
  // momentum, ...), so they are kept here; they hold plain values, no tensors.
  std::vector<std::unique_ptr<torch::optim::OptimizerOptions>> group_options;
  detail::TrainingFlags training;  // per module
  torch::Tensor cpu_generator;     // always in memory: a few KB
  std::vector<torch::Tensor> cuda_generators;

  std::unique_ptr<detail::SnapshotFile> file;  // Disk

  void take_generators() {
    auto cpu = at::detail::getDefaultCPUGenerator();
    {
      std::lock_guard<std::mutex> lock(cpu.mutex());
      cpu_generator = cpu.get_state();
    }
    if (!torch::cuda::is_available()) return;
    for (int64_t i = 0; i < static_cast<int64_t>(torch::cuda::device_count()); ++i) {
      auto gen = at::globalContext().defaultGenerator(c10::Device(c10::kCUDA, static_cast<c10::DeviceIndex>(i)));
      std::lock_guard<std::mutex> lock(gen.mutex());
      cuda_generators.push_back(gen.get_state());
    }
  }

  void restore_generators() {
    auto cpu = at::detail::getDefaultCPUGenerator();
    {
      std::lock_guard<std::mutex> lock(cpu.mutex());
      cpu.set_state(cpu_generator);
    }
    for (std::size_t i = 0; i < cuda_generators.size(); ++i) {
      auto gen = at::globalContext().defaultGenerator(c10::Device(c10::kCUDA, static_cast<c10::DeviceIndex>(i)));
      std::lock_guard<std::mutex> lock(gen.mutex());
      gen.set_state(cuda_generators[i]);
    }
  }

  void write_file() {
    torch::serialize::OutputArchive archive;
    for (std::size_t i = 0; i < tensors.parameters.size(); ++i) {
      archive.write(fmt::format("p{}", i), tensors.parameters[i]);
      if (tensors.gradients[i].defined()) archive.write(fmt::format("g{}", i), tensors.gradients[i]);
    }
    for (std::size_t i = 0; i < tensors.buffers.size(); ++i) archive.write(fmt::format("b{}", i), tensors.buffers[i]);
    torch::serialize::OutputArchive optimizer_archive;
    optimizer.save(optimizer_archive);
    archive.write("optimizer", optimizer_archive);
    std::ostringstream stream;
    archive.save_to(stream);
    file = std::make_unique<detail::SnapshotFile>(options.directory(), stream.str());
    tensors = Tensors{};  // the file holds them now
  }

  // Reads and verifies the file, filling `tensors` and `optimizer_archive`.
  void read_file(torch::serialize::InputArchive& optimizer_archive) {
    std::istringstream stream(file->read());
    torch::serialize::InputArchive archive;
    archive.load_from(stream);
    const auto parameters = model.parameters();
    for (std::size_t i = 0; i < parameters.size(); ++i) {
      torch::Tensor parameter, gradient;
      archive.read(fmt::format("p{}", i), parameter);
      if (!archive.try_read(fmt::format("g{}", i), gradient)) gradient = torch::Tensor();
      tensors.parameters.push_back(parameter);
      tensors.gradients.push_back(gradient);
    }
    const auto buffers = model.buffers();
    for (std::size_t i = 0; i < buffers.size(); ++i) {
      torch::Tensor buffer;
      archive.read(fmt::format("b{}", i), buffer);
      tensors.buffers.push_back(buffer);
    }
    archive.read("optimizer", optimizer_archive);
  }

  void put_back(torch::serialize::InputArchive& optimizer_archive) {
    const std::string where = file ? "Snapshot " + file->path() : "Snapshot";
    const auto parameters = model.parameters();
    const auto buffers = model.buffers();
    check_same_shapes(tensors.parameters, parameters, "parameters", where);
    check_same_shapes(tensors.buffers, buffers, "buffers", where);

    torch::NoGradGuard no_grad;
    for (std::size_t i = 0; i < parameters.size(); ++i) {
      auto parameter = parameters[i];
      parameter.detach().copy_(tensors.parameters[i]);
      const auto& saved_gradient = tensors.gradients[i];
      if (!saved_gradient.defined()) {
        parameter.mutable_grad() = torch::Tensor();
      } else if (parameter.grad().defined() && parameter.grad().sizes() == saved_gradient.sizes()) {
        parameter.mutable_grad().detach().copy_(saved_gradient);
      } else {
        parameter.mutable_grad() = saved_gradient.to(parameter.device(), /*non_blocking=*/false, /*copy=*/true);
      }
    }
    for (std::size_t i = 0; i < buffers.size(); ++i) {
      auto buffer = buffers[i];
      buffer.copy_(tensors.buffers[i]);
    }
    training.restore();
    // Load replaces only the states it saved: clear first, so state created
    // during the range test (e.g. a first momentum buffer) goes away.
    optimizer.state().clear();
    optimizer.load(optimizer_archive);
    for (std::size_t g = 0; g < group_options.size(); ++g) {
      optimizer.param_groups()[g].set_options(group_options[g]->clone());
    }
    restore_generators();
  }
};

Snapshot::Snapshot(torch::nn::Module& model, torch::optim::Optimizer& optimizer, SnapshotOptions options)
    : state_(std::make_unique<State>(model, optimizer, std::move(options))) {
  State& s = *state_;
  s.tensors = copy_tensors(model, s.options.location());
  for (const auto& group : optimizer.param_groups()) s.group_options.push_back(group.options().clone());
  s.take_generators();
  if (s.options.location() == SnapshotLocation::Disk) {
    s.write_file();
  } else {
    s.optimizer_bytes = serialize_optimizer(optimizer);
  }
}

Snapshot::~Snapshot() = default;

void Snapshot::restore() {
  State& s = *state_;
  torch::serialize::InputArchive optimizer_archive;
  if (s.options.location() == SnapshotLocation::Disk) {
    s.tensors = Tensors{};
    s.read_file(optimizer_archive);
  } else {
    std::istringstream stream(s.optimizer_bytes);
    optimizer_archive.load_from(stream);
  }
  try {
    s.put_back(optimizer_archive);
  } catch (const RestoreError&) {
    throw;
  } catch (const std::exception& e) {
    if (s.file) s.file->keep();  // the message points the user at the file
    throw RestoreError(fmt::format("Snapshot: restoring failed half-way ({}); the model may be partly restored{}",
                                   e.what(), s.file ? "; the last good copy is " + s.file->path() : ""));
  }
  if (s.options.location() == SnapshotLocation::Disk) s.tensors = Tensors{};  // the file still has them
}

const std::string& Snapshot::file() const {
  static const std::string none;
  return state_->file ? state_->file->path() : none;
}

SnapshotGuard::~SnapshotGuard() {
  if (restored_) return;
  try {
    snapshot_.restore();
  } catch (const std::exception& e) {
    std::cerr << "autolr: " << e.what() << '\n';
  }
}

}  // namespace autolr
