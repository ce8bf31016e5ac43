#include "autolr/snapshot.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <iostream>
#include <optional>
#include <sstream>
#include <type_traits>
#include <typeinfo>
#include <unordered_set>

#include "autolr/error.h"
#include "core/check.h"
#include "train/loop/torch_checks.h"
#include "train/loop/training_flags.h"
#include "train/range_test/optimizer_state_tensors.h"
#include "train/range_test/snapshot_file.h"

namespace autolr {
namespace {

// Every tensor a range test may train: the model's parameters (in their
// named order), then those of the optimizer's groups that are not the
// model's (a learnable temperature in the loss; a test run on one layer of a
// larger net whose optimizer holds all of it). All are restored.
std::vector<torch::Tensor> trained_tensors(torch::nn::Module& model, const torch::optim::Optimizer& optimizer) {
  std::vector<torch::Tensor> tensors = model.parameters();
  std::unordered_set<const void*> seen;
  for (const auto& tensor : tensors) seen.insert(tensor.unsafeGetTensorImpl());
  for (const auto& group : optimizer.param_groups()) {
    for (const auto& parameter : group.params()) {
      if (seen.insert(parameter.unsafeGetTensorImpl()).second) tensors.push_back(parameter);
    }
  }
  return tensors;
}

torch::Tensor copy_to(const torch::Tensor& tensor, SnapshotLocation location) {
  if (!tensor.defined()) return tensor;
  const torch::Tensor source = tensor.detach();
  if (location == SnapshotLocation::SameDevice) return source.clone();
  return source.to(torch::TensorOptions().device(torch::kCPU), /*non_blocking=*/false, /*copy=*/true);
}

std::string serialize_optimizer(const torch::optim::Optimizer& optimizer) {
  torch::serialize::OutputArchive archive;
  optimizer.save(archive);
  std::ostringstream bytes;
  archive.save_to(bytes);
  return bytes.str();
}

// LibTorch 1.13 keys an optimizer's state by the address of the parameter's
// TensorImpl as text (c10::guts::to_string), 2.x by the address itself.
using StateKey = std::decay_t<decltype(std::declval<torch::optim::Optimizer&>().state())>::key_type;
[[maybe_unused]] std::string key_as(void* address, std::string*) {
  std::ostringstream text;
  text << address;
  return text.str();
}
[[maybe_unused]] void* key_as(void* address, void**) { return address; }
StateKey state_key(const torch::Tensor& parameter) {
  return key_as(parameter.unsafeGetTensorImpl(), static_cast<StateKey*>(nullptr));
}

// One parameter's optimizer state with its tensors taken out: they are in
// the snapshot's slots, in visit_state_tensors' order.
struct StateWithoutTensors {
  StateKey key;
  std::unique_ptr<torch::optim::OptimizerParamState> state;
};

// The states in group order, or nullopt when the optimizer or any state is of
// a type whose tensors visit_state_tensors does not know.
std::optional<std::vector<StateWithoutTensors>> states_to_copy(torch::optim::Optimizer& optimizer) {
  if (!detail::has_known_state(optimizer)) return std::nullopt;
  std::vector<StateWithoutTensors> states;
  std::unordered_set<const void*> seen;
  for (const auto& group : optimizer.param_groups()) {
    for (const auto& parameter : group.params()) {
      const auto found = optimizer.state().find(state_key(parameter));
      if (found == optimizer.state().end() || !seen.insert(parameter.unsafeGetTensorImpl()).second) continue;
      auto state = found->second->clone();
      if (!detail::visit_state_tensors(*state, [](torch::Tensor&) {})) return std::nullopt;
      states.push_back({found->first, std::move(state)});
    }
  }
  if (states.size() != optimizer.state().size()) return std::nullopt;  // a state of no group's parameter
  return states;
}

// Whether `live` can take `saved`'s bits in place, ending up as a copy of
// `saved` on `device` would be: the same dtype, shape and strides.
bool fits(const torch::Tensor& live, const torch::Tensor& saved, const torch::Device& device) {
  return live.defined() && saved.defined() && live.device() == device && live.dtype() == saved.dtype() &&
         live.sizes() == saved.sizes() && live.strides() == saved.strides();
}

void check_same_shapes(const std::vector<torch::Tensor>& saved, std::size_t first, const std::vector<torch::Tensor>& now,
                       std::size_t count, const char* what, const std::string& where) {
  if (now.size() != count) {
    throw RestoreError(fmt::format("{}: the snapshot has {} {}, the model and optimizer now have {}; nothing was restored",
                                   where, count, what, now.size()));
  }
  for (std::size_t i = 0; i < count; ++i) {
    const torch::Tensor& copy = saved[first + i];
    if (copy.defined() && (copy.sizes() != now[i].sizes() || copy.dtype() != now[i].dtype())) {
      throw RestoreError(fmt::format("{}: {} {} is {} in the snapshot but {} now; nothing was restored", where, what, i,
                                     detail::describe(copy), detail::describe(now[i])));
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

  // Every tensor copied, in this order: the trained tensors, their
  // gradients, the model's buffers, the optimizer states' tensors. Disk: in
  // the file instead. `devices`: where each one lived, to put it back there.
  std::vector<torch::Tensor> slots;
  std::vector<torch::Device> devices;
  std::size_t parameters = 0;
  std::size_t buffers = 0;
  std::optional<std::vector<StateWithoutTensors>> states;
  std::string optimizer_bytes;  // when `states` cannot be: LibTorch's own serialization of the optimizer
  // Optimizer::load restores the state but not the groups' options (lr,
  // momentum, ...), so they are kept here; they hold plain values, no tensors.
  std::vector<std::unique_ptr<torch::optim::OptimizerOptions>> group_options;
  detail::TrainingFlags training;  // per module
  torch::Tensor cpu_generator;     // always in memory: a few KB
  std::vector<torch::Tensor> cuda_generators;

  std::unique_ptr<detail::SnapshotFile> file;  // Disk

  void keep(const torch::Tensor& tensor) {
    devices.push_back(tensor.defined() ? tensor.device() : torch::Device(torch::kCPU));
    if (file) {
      file->append(tensor);
    } else {
      slots.push_back(copy_to(tensor, options.location()));
    }
  }

  void take_tensors() {
    const auto trained = trained_tensors(model, optimizer);
    parameters = trained.size();
    for (const auto& parameter : trained) keep(parameter);
    for (const auto& parameter : trained) keep(parameter.grad());
    const auto model_buffers = model.buffers();
    buffers = model_buffers.size();
    for (const auto& buffer : model_buffers) keep(buffer);
    states = states_to_copy(optimizer);
    if (states) {
      for (auto& copy : *states) {
        detail::visit_state_tensors(*copy.state, [this](torch::Tensor& tensor) {
          keep(tensor);
          tensor = torch::Tensor();  // the clone shared the live tensor
        });
      }
    } else {
      optimizer_bytes = serialize_optimizer(optimizer);
    }
  }

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

  // A copy of slot `i` where it lived, or undefined where it was.
  torch::Tensor copy_back(const std::vector<torch::Tensor>& saved, std::size_t i) const {
    return saved[i].defined() ? saved[i].to(devices[i], /*non_blocking=*/false, /*copy=*/true) : torch::Tensor();
  }

  void put_back(const std::vector<torch::Tensor>& saved, const std::string& bytes) {
    const std::string where = file ? "Snapshot " + file->path() : "Snapshot";
    const auto trained = trained_tensors(model, optimizer);
    const auto model_buffers = model.buffers();
    check_same_shapes(saved, 0, trained, parameters, "parameters", where);
    check_same_shapes(saved, 2 * parameters, model_buffers, buffers, "buffers", where);

    torch::NoGradGuard no_grad;
    std::size_t slot = 0;
    for (const auto& parameter : trained) parameter.detach().copy_(saved[slot++]);
    for (auto parameter : trained) {
      const torch::Tensor& gradient = saved[slot];
      if (fits(parameter.grad(), gradient, devices[slot])) {
        parameter.mutable_grad().detach().copy_(gradient);
      } else {
        parameter.mutable_grad() = copy_back(saved, slot);
      }
      ++slot;
    }
    for (auto buffer : model_buffers) buffer.copy_(saved[slot++]);
    training.restore();
    // Everything goes: a state created during the range test (a first
    // momentum buffer, say) must not survive it. The live state's tensors
    // are reused where they fit, as a plain copy would: no allocation.
    auto live_states = std::move(optimizer.state());
    optimizer.state().clear();
    if (states) {
      for (const auto& copy : *states) {
        std::vector<torch::Tensor> live;
        const auto found = live_states.find(copy.key);
        if (found != live_states.end() && typeid(*found->second) == typeid(*copy.state)) {
          detail::visit_state_tensors(*found->second, [&](torch::Tensor& tensor) { live.push_back(tensor); });
        }
        auto state = copy.state->clone();
        std::size_t field = 0;
        detail::visit_state_tensors(*state, [&](torch::Tensor& tensor) {
          tensor = field < live.size() && fits(live[field], saved[slot], devices[slot])
                       ? live[field].copy_(saved[slot])
                       : copy_back(saved, slot);
          ++field;
          ++slot;
        });
        optimizer.state()[copy.key] = std::move(state);
      }
    } else {
      std::istringstream stream(bytes);
      torch::serialize::InputArchive archive;
      archive.load_from(stream);
      optimizer.load(archive);
    }
    for (std::size_t g = 0; g < group_options.size(); ++g) {
      optimizer.param_groups()[g].set_options(group_options[g]->clone());
    }
    restore_generators();
  }
};

Snapshot::Snapshot(torch::nn::Module& model, torch::optim::Optimizer& optimizer, SnapshotOptions options)
    : state_(std::make_unique<State>(model, optimizer, std::move(options))) {
  State& s = *state_;
  if (s.options.location() == SnapshotLocation::Disk) s.file = std::make_unique<detail::SnapshotFile>(s.options.directory());
  s.take_tensors();
  for (const auto& group : optimizer.param_groups()) s.group_options.push_back(group.options().clone());
  s.take_generators();
  if (s.file) {
    s.file->finish(s.optimizer_bytes);
    s.optimizer_bytes.clear();  // the file holds them now
  }
}

Snapshot::~Snapshot() = default;

void Snapshot::restore() {
  State& s = *state_;
  try {
    if (s.file) {
      const detail::SnapshotFile::Contents contents = s.file->read();
      s.put_back(contents.tensors, contents.bytes);
    } else {
      s.put_back(s.slots, s.optimizer_bytes);
    }
  } catch (const RestoreError&) {
    throw;
  } catch (const std::exception& e) {
    if (s.file) s.file->keep();  // the message points the user at the file
    throw RestoreError(fmt::format("Snapshot: restoring failed half-way ({}); the model may be partly restored{}",
                                   e.what(), s.file ? "; the last good copy is " + s.file->path() : ""));
  }
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
