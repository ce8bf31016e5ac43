#pragma once
/// Snapshot: an exact copy of what a range test changes (parameters, their
/// gradients, buffers, train/eval flags, the optimizer's state and every
/// param group's options, the CPU and CUDA RNG states), and its restoration,
/// bit for bit. Module::clone() is not used: it fails for modules that are
/// not Cloneable.
///
/// What is copied: the model's parameters and buffers, and every parameter
/// the optimizer holds, also those outside the model (a range test run on
/// one layer with an optimizer over the whole net). The optimizer's state
/// tensors are copied directly for LibTorch's SGD, Adam, AdamW, Adagrad and
/// RMSprop and autolr's optimizers; any other optimizer type through its own
/// save() and load(). Buffers outside the model (another module's BatchNorm
/// statistics) cannot be known: pass the module whose forward runs.

#include <torch/nn/module.h>
#include <torch/optim/optimizer.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "autolr/arg.h"

namespace autolr {

enum class SnapshotLocation {
  SameDevice,  ///< copies stay on the model's device (fastest)
  Cpu,         ///< copies in CPU memory (saves GPU memory)
  /// One file per snapshot, streamed tensor by tensor (no second copy in
  /// memory), written atomically, verified on load, removed after restore,
  /// on SIGINT or SIGTERM, and, if the process was killed, by the next
  /// snapshot in that directory.
  Disk,
};

struct SnapshotOptions {
  AUTOLR_ARG(SnapshotLocation, location) = SnapshotLocation::SameDevice;
  /// Disk only: the directory for the file; empty means the system's temp directory.
  AUTOLR_ARG(std::string, directory) = "";
};

class Snapshot {
 public:
  /// Copies the state now. For Disk, writes `<directory>/autolr-snapshot-<host>-<pid>-<unique>.pt`
  /// through a temporary name and a rename, so two snapshots in one directory
  /// never share or see a half-written file.
  /// Throws InvalidArgument for a directory that does not exist, RestoreError if
  /// the file cannot be written (nothing is changed either way).
  Snapshot(torch::nn::Module& model, torch::optim::Optimizer& optimizer, SnapshotOptions options = {});
  /// Disk: removes the file.
  ~Snapshot();
  Snapshot(const Snapshot&) = delete;
  Snapshot& operator=(const Snapshot&) = delete;

  /// Puts everything back. May be called more than once. Disk: the file is
  /// checked (size and checksum) before anything is changed.
  /// Throws RestoreError saying what failed and where the last good copy is.
  void restore();

  /// Disk: the snapshot file; empty otherwise.
  const std::string& file() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

/// RAII: restores the snapshot when it goes out of scope, also during stack
/// unwinding, unless restore() already ran. A failure in the destructor
/// cannot throw; it is printed to stderr. Call restore() to see it as an exception.
class SnapshotGuard {
 public:
  SnapshotGuard(torch::nn::Module& model, torch::optim::Optimizer& optimizer, SnapshotOptions options = {})
      : snapshot_(model, optimizer, std::move(options)) {}
  ~SnapshotGuard();
  SnapshotGuard(const SnapshotGuard&) = delete;
  SnapshotGuard& operator=(const SnapshotGuard&) = delete;

  void restore() {
    restored_ = true;  // a failed restore is not retried by the destructor
    snapshot_.restore();
  }
  const Snapshot& snapshot() const { return snapshot_; }

 private:
  Snapshot snapshot_;
  bool restored_ = false;
};

}  // namespace autolr
