#pragma once
// A disk snapshot's file: a unique name in its directory, written whole or
// not at all (AtomicFile, private to the user), streamed tensor by tensor
// (no second copy of the model in memory), and verified by size and checksum
// before anything is restored from it.
//
// Format: "autolr-snapshot 2\n", then per tensor a header (defined; dtype,
// sizes and strides) and its raw bytes, then one block of bytes (LibTorch's
// serialization of an optimizer whose state types autolr does not know).
// Its only reader is the run that wrote it: no compatibility is promised.

#include <torch/types.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "autolr/error.h"
#include "core/checksum.h"

namespace autolr::detail {

class AtomicFile;
class SignalCleanup;

class SnapshotFile {
 public:
  /// Starts `<directory>/autolr-snapshot-<host>-<pid>-<unique>.pt` (an empty
  /// directory name: the system's temp directory), after removing the
  /// snapshot files of dead processes there. Throws InvalidArgument for a
  /// directory that does not exist, RestoreError when the file cannot be
  /// made (nothing is left behind then).
  explicit SnapshotFile(const std::string& directory);
  /// Removes the file, unless keep() was called.
  ~SnapshotFile();
  SnapshotFile(const SnapshotFile&) = delete;
  SnapshotFile& operator=(const SnapshotFile&) = delete;

  /// Writing, in order: tensors (undefined ones too), then finish(bytes).
  /// Throws RestoreError; the file is then removed.
  void append(const torch::Tensor& tensor);
  void finish(const std::string& bytes);

  struct Contents {
    std::vector<torch::Tensor> tensors;  // on the CPU, undefined where written so
    std::string bytes;
  };
  /// Reads the whole file back. Throws RestoreError when it is damaged or missing.
  Contents read() const;
  /// Leaves the file in place: an error message points the user at it.
  void keep() { keep_ = true; }
  const std::string& path() const { return path_; }

 private:
  void write(const void* data, std::size_t size);
  RestoreError failed_writing(const FormatError& e);

  std::string path_;
  std::unique_ptr<AtomicFile> writing_;  // until finish()
  std::unique_ptr<SignalCleanup> cleanup_;
  Checksum checksum_;
  std::size_t size_ = 0;
  std::size_t tensors_ = 0;
  bool keep_ = false;
};

}  // namespace autolr::detail
