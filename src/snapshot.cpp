#include "autolr/snapshot.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <torch/torch.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>

#include "autolr/error.h"
#include "check.h"
#include "torch_checks.h"

namespace autolr {
namespace {

namespace fs = std::filesystem;

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

// FNV-1a: detects a truncated or altered snapshot file before anything is restored.
uint64_t checksum(const std::string& bytes) {
  uint64_t hash = 1469598103934665603ULL;
  for (unsigned char c : bytes) {
    hash ^= c;
    hash *= 1099511628211ULL;
  }
  return hash;
}

std::string unique_file_name() {
  static std::atomic<uint64_t> counter{0};
  std::random_device entropy;
  return fmt::format("autolr-snapshot-{}-{}-{:08x}{:08x}.pt", ::getpid(), counter++, entropy(), entropy());
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
      : model(model), optimizer(optimizer), options(std::move(options)) {}

  torch::nn::Module& model;
  torch::optim::Optimizer& optimizer;
  SnapshotOptions options;

  Tensors tensors;              // SameDevice and Cpu
  std::string optimizer_bytes;  // SameDevice and Cpu: LibTorch's own serialization of the optimizer
  // Optimizer::load restores the state but not the groups' options (lr,
  // momentum, ...), so they are kept here; they hold plain values, no tensors.
  std::vector<std::unique_ptr<torch::optim::OptimizerOptions>> group_options;
  std::vector<bool> training;   // per module, in modules() order
  torch::Tensor cpu_generator;  // always in memory: a few KB
  std::vector<torch::Tensor> cuda_generators;

  std::string file;  // Disk
  uint64_t file_checksum = 0;
  std::size_t file_size = 0;
  bool file_present = false;

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
    const fs::path directory = options.directory().empty() ? fs::temp_directory_path() : fs::path(options.directory());
    std::error_code error;
    AUTOLR_CHECK_ARGUMENT(fs::is_directory(directory, error), "Snapshot", "directory", directory.string(),
                          "an existing directory");
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
    const std::string bytes = stream.str();

    // Claim a unique temporary name (O_EXCL), write, sync, then rename: a
    // reader never sees a partial file and two runs never share one.
    const std::string name = unique_file_name();
    const fs::path final_path = directory / name;
    const fs::path temporary = directory / (name + ".tmp");
    const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
      throw RestoreError(fmt::format("Snapshot: cannot create {}: {}; the range test did not start", temporary.string(),
                                     std::strerror(errno)));
    }
    std::size_t written = 0;
    while (written < bytes.size()) {
      const ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        const std::string reason = std::strerror(errno);
        ::close(fd);
        ::unlink(temporary.c_str());
        throw RestoreError(
            fmt::format("Snapshot: writing {} failed: {}; the range test did not start", temporary.string(), reason));
      }
      written += static_cast<std::size_t>(n);
    }
    const bool synced = ::fsync(fd) == 0;
    ::close(fd);
    if (!synced || ::rename(temporary.c_str(), final_path.c_str()) != 0) {
      const std::string reason = std::strerror(errno);
      ::unlink(temporary.c_str());
      throw RestoreError(
          fmt::format("Snapshot: cannot finish {}: {}; the range test did not start", final_path.string(), reason));
    }
    file = final_path.string();
    file_checksum = checksum(bytes);
    file_size = bytes.size();
    file_present = true;
    tensors = Tensors{};  // the file holds them now
  }

  // Reads and verifies the file, filling `tensors` and `optimizer_archive`.
  void read_file(torch::serialize::InputArchive& optimizer_archive) {
    std::ifstream in(file, std::ios::binary);
    std::ostringstream content;
    content << in.rdbuf();
    const std::string bytes = content.str();
    if (!in || bytes.size() != file_size || checksum(bytes) != file_checksum) {
      throw RestoreError(fmt::format(
          "Snapshot: {} is damaged or missing (expected {} bytes with checksum {:016x}, found {} bytes); nothing "
          "was restored: the model and optimizer are as the range test left them, and no good copy is left",
          file, file_size, file_checksum, bytes.size()));
    }
    std::istringstream stream(bytes);
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
    const std::string where = file.empty() ? "Snapshot" : "Snapshot " + file;
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
    std::size_t index = 0;
    for (const auto& module : model.modules(/*include_self=*/true)) {
      // modules() lists parents before children, so a child's own flag wins.
      module->train(training[index++]);
    }
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
  for (const auto& module : model.modules(/*include_self=*/true)) s.training.push_back(module->is_training());
  for (const auto& group : optimizer.param_groups()) s.group_options.push_back(group.options().clone());
  s.take_generators();
  if (s.options.location() == SnapshotLocation::Disk) {
    s.write_file();
  } else {
    s.optimizer_bytes = serialize_optimizer(optimizer);
  }
}

Snapshot::~Snapshot() {
  if (state_ && state_->file_present) ::unlink(state_->file.c_str());
}

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
    s.file_present = false;  // the message points the user at the file: the destructor must not remove it
    throw RestoreError(fmt::format("Snapshot: restoring failed half-way ({}); the model may be partly restored{}",
                                   e.what(), s.file.empty() ? "" : "; the last good copy is " + s.file));
  }
  if (s.options.location() == SnapshotLocation::Disk) s.tensors = Tensors{};  // the file still has them
}

const std::string& Snapshot::file() const { return state_->file; }

SnapshotGuard::~SnapshotGuard() {
  if (restored_) return;
  try {
    snapshot_.restore();
  } catch (const std::exception& e) {
    std::cerr << "autolr: " << e.what() << '\n';
  }
}

}  // namespace autolr
