#include "train/range_test/snapshot_file.h"

#include <fmt/format.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "autolr/error.h"
#include "core/atomic_file.h"
#include "core/check.h"

namespace autolr::detail {
namespace {

namespace fs = std::filesystem;

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

}  // namespace

SnapshotFile::SnapshotFile(const std::string& directory_name, const std::string& bytes) {
  const fs::path directory = directory_name.empty() ? fs::temp_directory_path() : fs::path(directory_name);
  std::error_code error;
  AUTOLR_CHECK_ARGUMENT(fs::is_directory(directory, error), "Snapshot", "directory", directory.string(),
                        "an existing directory");
  const std::string path = (directory / unique_file_name()).string();
  try {
    // The name is unique and the temporary is O_EXCL: two runs never share a file.
    AtomicFile file(path, 0600);
    file.write(bytes);
    file.commit();
  } catch (const FormatError& e) {
    throw RestoreError(fmt::format("Snapshot: {}; the range test did not start", e.what()));
  }
  path_ = path;
  checksum_ = checksum(bytes);
  size_ = bytes.size();
}

SnapshotFile::~SnapshotFile() {
  if (!keep_) ::unlink(path_.c_str());
}

std::string SnapshotFile::read() const {
  std::ifstream in(path_, std::ios::binary);
  std::ostringstream content;
  content << in.rdbuf();
  std::string bytes = content.str();
  if (!in || bytes.size() != size_ || checksum(bytes) != checksum_) {
    throw RestoreError(fmt::format(
        "Snapshot: {} is damaged or missing (expected {} bytes with checksum {:016x}, found {} bytes); nothing "
        "was restored: the model and optimizer are as the range test left them, and no good copy is left",
        path_, size_, checksum_, bytes.size()));
  }
  return bytes;
}

}  // namespace autolr::detail
