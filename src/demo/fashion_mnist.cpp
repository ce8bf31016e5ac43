#include "demo/fashion_mnist.h"

#include <fmt/format.h>
#include <torch/torch.h>
#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "autolr/error.h"

namespace autolr {
namespace {

// A gzip file open for reading, closed however the reading ends.
class GzipReader {
 public:
  explicit GzipReader(std::string path) : path_(std::move(path)) {
    if (!std::filesystem::exists(path_)) {
      throw FormatError(
          fmt::format("{}: not found; install Debian's dataset-fashion-mnist (apt-get install "
                      "dataset-fashion-mnist) or point the data directory at the .gz files",
                      path_));
    }
    file_ = gzopen(path_.c_str(), "rb");
    if (file_ == nullptr) throw FormatError(fmt::format("{}: cannot open the file for reading", path_));
  }
  ~GzipReader() { gzclose(file_); }
  GzipReader(const GzipReader&) = delete;
  GzipReader& operator=(const GzipReader&) = delete;

  // Appends up to `count` decompressed bytes to `bytes`; fewer only at the end.
  void read(std::vector<unsigned char>& bytes, uint64_t count) {
    unsigned char buffer[1 << 16];
    while (count > 0) {
      const int n = gzread(file_, buffer, static_cast<unsigned>(std::min<uint64_t>(count, sizeof buffer)));
      if (n < 0) fail();
      if (n == 0) break;
      bytes.insert(bytes.end(), buffer, buffer + n);
      count -= static_cast<uint64_t>(n);
    }
    int error = Z_OK;
    gzerror(file_, &error);
    if (error != Z_OK && error != Z_STREAM_END) fail();
  }

  const std::string& path() const { return path_; }

 private:
  [[noreturn]] void fail() {
    int error = Z_OK;
    const char* message = gzerror(file_, &error);
    throw FormatError(fmt::format("{}: not a readable gzip file ({})", path_, message ? message : ""));
  }

  std::string path_;
  gzFile file_ = nullptr;
};

uint32_t big_endian(const std::vector<unsigned char>& bytes, std::size_t at) {
  return (uint32_t{bytes[at]} << 24) | (uint32_t{bytes[at + 1]} << 16) | (uint32_t{bytes[at + 2]} << 8) |
         uint32_t{bytes[at + 3]};
}

// "10000 x 28 x 28"
std::string sizes(const std::vector<int64_t>& shape) {
  std::string out;
  for (int64_t size : shape) out += (out.empty() ? "" : " x ") + std::to_string(size);
  return out;
}

struct Idx {
  std::vector<int64_t> shape;
  std::vector<unsigned char> data;
};

// IDX: magic 0x00000800 | dims, then one big-endian size per dimension, then
// unsigned bytes. The header is read first, and then exactly the data it
// announces (and one byte more, to see there is none): a file never takes
// more memory than its header asks for, and that is at most kMaxIdxDataBytes.
Idx read_idx(const std::string& path, uint32_t dims) {
  GzipReader file(path);
  std::vector<unsigned char> header;
  file.read(header, 4 + 4 * dims);
  if (header.size() < 4 + 4 * dims || big_endian(header, 0) != (0x800u | dims)) {
    throw FormatError(fmt::format("{}: not an IDX file of {} dimensions of unsigned bytes", path, dims));
  }
  Idx idx;
  uint64_t count = 1;
  bool too_large = false;
  for (uint32_t d = 0; d < dims; ++d) {
    const uint32_t size = big_endian(header, 4 + 4 * d);
    idx.shape.push_back(size);
    // Checked before multiplying: the product of three 32-bit sizes can wrap.
    if (size != 0 && count > kMaxIdxDataBytes / size) too_large = true;
    count *= size;
  }
  if (too_large) {
    throw FormatError(
        fmt::format("{}: its header's sizes {} make more than {} bytes of data (the reader's limit), "
                    "expected a Fashion-MNIST file",
                    path, sizes(idx.shape), kMaxIdxDataBytes));
  }
  file.read(idx.data, count + 1);
  if (idx.data.size() > count) {
    throw FormatError(fmt::format("{}: more than the {} bytes of data its header's sizes {} say, expected exactly {}",
                                  path, count, sizes(idx.shape), count));
  }
  if (idx.data.size() < count) {
    throw FormatError(
        fmt::format("{}: {} bytes of data, expected {} for its header's sizes", path, idx.data.size(), count));
  }
  return idx;
}

// Checked here, not in the fit: cross_entropy on a label past the classes
// fails only when the shuffled batch holding it comes, tens of seconds in.
void check_labels(const Idx& labels, const std::string& path) {
  const auto bad = std::find_if(labels.data.begin(), labels.data.end(),
                                [](unsigned char label) { return label >= kFashionMnistClasses; });
  if (bad != labels.data.end()) {
    throw FormatError(fmt::format("{}: label {} = {}, expected a class from 0 to {} (Fashion-MNIST has {})", path,
                                  bad - labels.data.begin(), int{*bad}, kFashionMnistClasses - 1,
                                  kFashionMnistClasses));
  }
}

torch::Tensor to_tensor(const Idx& idx) {
  return torch::from_blob(const_cast<unsigned char*>(idx.data.data()), idx.shape, torch::kUInt8).clone();
}

}  // namespace

ImageDataset read_fashion_mnist(const std::string& directory, bool train) {
  const std::string prefix = directory + (train ? "/train" : "/t10k");
  const std::string images_path = prefix + "-images-idx3-ubyte.gz";
  const std::string labels_path = prefix + "-labels-idx1-ubyte.gz";
  const Idx images = read_idx(images_path, 3);
  const Idx labels = read_idx(labels_path, 1);
  if (images.shape[0] != labels.shape[0] || images.shape[1] != 28 || images.shape[2] != 28) {
    throw FormatError(fmt::format("{}: {} images of {}x{}, expected 28x28 images, one per label of {} ({})",
                                  images_path, images.shape[0], images.shape[1], images.shape[2], labels_path,
                                  labels.shape[0]));
  }
  check_labels(labels, labels_path);
  ImageDataset dataset;
  dataset.images = to_tensor(images).to(torch::kFloat32).div_(255).unsqueeze(1);
  dataset.labels = to_tensor(labels).to(torch::kInt64);
  return dataset;
}

}  // namespace autolr
