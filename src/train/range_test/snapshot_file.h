#pragma once
// A disk snapshot's file: a unique name in its directory, written whole or
// not at all (AtomicFile, private to the user), and verified by size and
// checksum before anything is restored from it.

#include <cstddef>
#include <cstdint>
#include <string>

namespace autolr::detail {

class SnapshotFile {
 public:
  /// Writes `bytes` to `<directory>/autolr-snapshot-<pid>-<unique>.pt`.
  /// Throws InvalidArgument for a directory that does not exist, RestoreError
  /// when the file cannot be written (nothing is left behind then).
  SnapshotFile(const std::string& directory, const std::string& bytes);
  /// Removes the file, unless keep() was called.
  ~SnapshotFile();
  SnapshotFile(const SnapshotFile&) = delete;
  SnapshotFile& operator=(const SnapshotFile&) = delete;

  /// The file's bytes. Throws RestoreError when it is damaged or missing.
  std::string read() const;
  /// Leaves the file in place: an error message points the user at it.
  void keep() { keep_ = true; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  uint64_t checksum_ = 0;
  std::size_t size_ = 0;
  bool keep_ = false;
};

}  // namespace autolr::detail
