#include "demo/fashion_mnist.h"

#include <fmt/format.h>
#include <torch/torch.h>
#include <zlib.h>

#include <cstdint>
#include <filesystem>
#include <vector>

#include "autolr/error.h"

namespace autolr {
namespace {

std::vector<unsigned char> read_gzip(const std::string& path) {
  if (!std::filesystem::exists(path)) {
    throw FormatError(
        fmt::format("{}: not found; install Debian's dataset-fashion-mnist (apt-get install "
                    "dataset-fashion-mnist) or point the data directory at the .gz files",
                    path));
  }
  gzFile file = gzopen(path.c_str(), "rb");
  if (file == nullptr) throw FormatError(fmt::format("{}: cannot open the file for reading", path));
  std::vector<unsigned char> bytes;
  unsigned char buffer[1 << 16];
  int n = 0;
  while ((n = gzread(file, buffer, sizeof buffer)) > 0) bytes.insert(bytes.end(), buffer, buffer + n);
  int error = Z_OK;
  const char* message = gzerror(file, &error);
  const std::string reason = message ? message : "";
  gzclose(file);
  if (n < 0 || (error != Z_OK && error != Z_STREAM_END)) {
    throw FormatError(fmt::format("{}: not a readable gzip file ({})", path, reason));
  }
  return bytes;
}

uint32_t big_endian(const std::vector<unsigned char>& bytes, std::size_t at) {
  return (uint32_t{bytes[at]} << 24) | (uint32_t{bytes[at + 1]} << 16) | (uint32_t{bytes[at + 2]} << 8) |
         uint32_t{bytes[at + 3]};
}

// IDX: magic 0x00000800 | dims, then one big-endian size per dimension, then unsigned bytes.
std::vector<int64_t> check_idx(const std::vector<unsigned char>& bytes, uint32_t dims, const std::string& path) {
  if (bytes.size() < 4 + 4 * dims || big_endian(bytes, 0) != (0x800u | dims)) {
    throw FormatError(fmt::format("{}: not an IDX file of {} dimensions of unsigned bytes", path, dims));
  }
  std::vector<int64_t> shape;
  std::size_t count = 1;
  for (uint32_t d = 0; d < dims; ++d) {
    shape.push_back(big_endian(bytes, 4 + 4 * d));
    count *= static_cast<std::size_t>(shape.back());
  }
  if (bytes.size() != 4 + 4 * dims + count) {
    throw FormatError(fmt::format("{}: {} bytes of data, expected {} for its header's sizes", path,
                                  bytes.size() - 4 - 4 * dims, count));
  }
  return shape;
}

torch::Tensor to_tensor(const std::vector<unsigned char>& bytes, const std::vector<int64_t>& shape, uint32_t dims) {
  const auto data = torch::from_blob(const_cast<unsigned char*>(bytes.data()) + 4 + 4 * dims, shape, torch::kUInt8);
  return data.clone();
}

}  // namespace

ImageDataset read_fashion_mnist(const std::string& directory, bool train) {
  const std::string prefix = directory + (train ? "/train" : "/t10k");
  const std::string images_path = prefix + "-images-idx3-ubyte.gz";
  const std::string labels_path = prefix + "-labels-idx1-ubyte.gz";
  const auto image_bytes = read_gzip(images_path);
  const auto label_bytes = read_gzip(labels_path);
  const auto image_shape = check_idx(image_bytes, 3, images_path);
  const auto label_shape = check_idx(label_bytes, 1, labels_path);
  if (image_shape[0] != label_shape[0] || image_shape[1] != 28 || image_shape[2] != 28) {
    throw FormatError(fmt::format("{}: {} images of {}x{}, expected 28x28 images, one per label of {} ({})",
                                  images_path, image_shape[0], image_shape[1], image_shape[2], labels_path,
                                  label_shape[0]));
  }
  ImageDataset dataset;
  dataset.images = to_tensor(image_bytes, image_shape, 3).to(torch::kFloat32).div_(255).unsqueeze(1);
  dataset.labels = to_tensor(label_bytes, label_shape, 1).to(torch::kInt64);
  return dataset;
}

}  // namespace autolr
