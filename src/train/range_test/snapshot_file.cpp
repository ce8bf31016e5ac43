#include "train/range_test/snapshot_file.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "autolr/error.h"
#include "core/atomic_file.h"
#include "core/check.h"
#include "core/checksum.h"
#include "train/range_test/snapshot_cleanup.h"

namespace autolr::detail {
namespace {

namespace fs = std::filesystem;

constexpr char kMagic[] = "autolr-snapshot 2\n";
enum class Kind : uint8_t { Undefined = 0, Raw = 1, Serialized = 2 };
constexpr int kMaxDims = 64;

// Raw bytes suffice for a dense strided tensor; anything else (sparse,
// quantized, overlapping views) goes through LibTorch's serialization.
bool raw_bytes_hold(const torch::Tensor& tensor) {
  return tensor.layout() == torch::kStrided && !tensor.is_quantized() && tensor.is_non_overlapping_and_dense() &&
         tensor.dim() <= kMaxDims;
}

std::string damaged(const std::string& path, const std::string& what) {
  return fmt::format(
      "Snapshot: {} is damaged or missing ({}); nothing was restored: the model and optimizer are as the range "
      "test left them, and no good copy is left",
      path, what);
}

// Reads the file back in the order it was written, each read checked.
class Reader {
 public:
  Reader(const std::string& path, std::size_t size) : path_(path), in_(path, std::ios::binary), left_(size) {}

  void read(void* data, std::size_t size) {
    if (size > left_ || !in_.read(static_cast<char*>(data), static_cast<std::streamsize>(size))) {
      throw RestoreError(damaged(path_, "it ends early"));
    }
    left_ -= size;
  }
  template <typename T>
  T read() {
    T value;
    read(&value, sizeof value);
    return value;
  }
  std::size_t left() const { return left_; }

 private:
  const std::string& path_;
  std::ifstream in_;
  std::size_t left_;
};

torch::Tensor read_tensor(Reader& in, const std::string& path) {
  const auto kind = static_cast<Kind>(in.read<uint8_t>());
  if (kind == Kind::Undefined) return {};
  const auto size = in.read<uint64_t>();
  if (size > in.left()) throw RestoreError(damaged(path, "a tensor's size runs past the end"));
  if (kind == Kind::Serialized) {
    std::string bytes(size, '\0');
    in.read(bytes.data(), size);
    std::istringstream stream(bytes);
    torch::Tensor tensor;
    torch::load(tensor, stream);
    return tensor;
  }
  const auto dtype = static_cast<c10::ScalarType>(in.read<int8_t>());
  const auto dims = in.read<uint8_t>();
  if (kind != Kind::Raw || dims > kMaxDims || static_cast<int>(dtype) < 0 ||
      static_cast<int>(dtype) >= static_cast<int>(c10::ScalarType::NumOptions)) throw RestoreError(damaged(path, "a tensor header is not autolr's"));
  std::vector<int64_t> sizes(dims), strides(dims);
  in.read(sizes.data(), dims * sizeof(int64_t));
  in.read(strides.data(), dims * sizeof(int64_t));
  torch::Tensor tensor = torch::empty_strided(sizes, strides, torch::TensorOptions().dtype(dtype));
  if (tensor.numel() * static_cast<int64_t>(tensor.element_size()) != static_cast<int64_t>(size)) {
    throw RestoreError(damaged(path, "a tensor's bytes do not match its shape"));
  }
  in.read(tensor.data_ptr(), size);
  return tensor;
}

}  // namespace

// The temporary goes at once (not only with this object), and the error says
// that nothing has been changed yet.
RestoreError SnapshotFile::failed_writing(const FormatError& e) {
  writing_.reset();
  return RestoreError(fmt::format("Snapshot: {}; the range test did not start", e.what()));
}

SnapshotFile::SnapshotFile(const std::string& directory_name) {
  const fs::path directory = directory_name.empty() ? fs::temp_directory_path() : fs::path(directory_name);
  std::error_code error;
  AUTOLR_CHECK_ARGUMENT(fs::is_directory(directory, error), "Snapshot", "directory", directory.string(),
                        "an existing directory");
  remove_stale_snapshot_files(directory.string());
  path_ = (directory / snapshot_file_name()).string();
  try {
    // The name is unique and the temporary is O_EXCL: two runs never share a file.
    writing_ = std::make_unique<AtomicFile>(path_, 0600);
  } catch (const FormatError& e) {
    throw failed_writing(e);
  }
  cleanup_ = std::make_unique<SignalCleanup>(writing_->temporary());
  write(kMagic, sizeof kMagic - 1);
}

SnapshotFile::~SnapshotFile() {
  writing_.reset();  // an unfinished file's temporary goes
  if (!keep_ && !path_.empty()) ::unlink(path_.c_str());
}

void SnapshotFile::write(const void* data, std::size_t size) {
  checksum_.add(data, size);
  size_ += size;
  try {
    writing_->write(static_cast<const char*>(data), size);
  } catch (const FormatError& e) {
    throw failed_writing(e);
  }
}

void SnapshotFile::append(const torch::Tensor& tensor) {
  ++tensors_;
  if (!tensor.defined()) {
    const auto kind = static_cast<uint8_t>(Kind::Undefined);
    write(&kind, 1);
    return;
  }
  const torch::Tensor cpu = tensor.detach().to(torch::kCPU);
  if (!raw_bytes_hold(cpu)) {
    std::ostringstream stream;
    torch::save(cpu, stream);
    const std::string bytes = stream.str();
    const auto kind = static_cast<uint8_t>(Kind::Serialized);
    const uint64_t size = bytes.size();
    write(&kind, 1);
    write(&size, sizeof size);
    write(bytes.data(), bytes.size());
    return;
  }
  std::string header;
  const auto put = [&header](const void* data, std::size_t size) {
    header.append(static_cast<const char*>(data), size);
  };
  const auto kind = static_cast<uint8_t>(Kind::Raw);
  const uint64_t size = static_cast<uint64_t>(cpu.numel()) * cpu.element_size();
  const auto dtype = static_cast<int8_t>(cpu.scalar_type());
  const auto dims = static_cast<uint8_t>(cpu.dim());
  put(&kind, 1);
  put(&size, sizeof size);
  put(&dtype, 1);
  put(&dims, 1);
  put(cpu.sizes().data(), dims * sizeof(int64_t));
  put(cpu.strides().data(), dims * sizeof(int64_t));
  write(header.data(), header.size());
  write(cpu.data_ptr(), size);  // dense and non-overlapping: its elements fill [data_ptr, data_ptr + size)
}

void SnapshotFile::finish(const std::string& bytes) {
  const uint64_t size = bytes.size();
  write(&size, sizeof size);
  write(bytes.data(), bytes.size());
  try {
    writing_->commit();
  } catch (const FormatError& e) {
    throw failed_writing(e);
  }
  writing_.reset();
  cleanup_ = std::make_unique<SignalCleanup>(path_);
}

SnapshotFile::Contents SnapshotFile::read() const {
  // First the whole file against its size and checksum, so that nothing
  // read from a damaged file is ever used; then the tensors.
  std::error_code error;
  const auto found = fs::file_size(path_, error);
  if (error || found != size_) {
    throw RestoreError(damaged(path_, fmt::format("expected {} bytes, found {}", size_,
                                                  error ? std::string("no file") : std::to_string(found))));
  }
  {
    std::ifstream in(path_, std::ios::binary);
    std::vector<char> buffer(1 << 20);
    Checksum sum;
    std::size_t total = 0;
    while (in.read(buffer.data(), static_cast<std::streamsize>(buffer.size())) || in.gcount() > 0) {
      sum.add(buffer.data(), static_cast<std::size_t>(in.gcount()));
      total += static_cast<std::size_t>(in.gcount());
    }
    if (total != size_ || sum.value() != checksum_.value()) {
      throw RestoreError(damaged(path_, fmt::format("expected {} bytes with checksum {:016x}, found {} bytes with "
                                                    "checksum {:016x}",
                                                    size_, checksum_.value(), total, sum.value())));
    }
  }
  Reader in(path_, size_);
  char magic[sizeof kMagic - 1];
  in.read(magic, sizeof magic);
  if (std::memcmp(magic, kMagic, sizeof magic) != 0) throw RestoreError(damaged(path_, "not autolr's format"));
  Contents contents;
  for (std::size_t i = 0; i < tensors_; ++i) contents.tensors.push_back(read_tensor(in, path_));
  const auto size = in.read<uint64_t>();
  if (size != in.left()) throw RestoreError(damaged(path_, "its last block does not end at the end"));
  contents.bytes.resize(size);
  in.read(contents.bytes.data(), size);
  return contents;
}

}  // namespace autolr::detail
