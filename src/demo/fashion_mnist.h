#pragma once
/// Fashion-MNIST from Debian's dataset-fashion-mnist package (gzipped IDX
/// files), read with zlib: LibTorch's own MNIST reader wants them uncompressed.

#include <torch/types.h>

#include <string>

namespace autolr {

/// Where Debian's dataset-fashion-mnist installs the files.
constexpr const char* kFashionMnistDirectory = "/usr/share/datasets/fashion-mnist";

struct ImageDataset {
  torch::Tensor images;  ///< float32 [N, 1, 28, 28], values in [0, 1]
  torch::Tensor labels;  ///< int64 [N], 0..9
};

/// Reads the training set (60000 images) or the test set (10000).
/// Throws FormatError naming the file when it is missing (saying which
/// package to install), not gzip, or not the IDX layout expected.
ImageDataset read_fashion_mnist(const std::string& directory = kFashionMnistDirectory, bool train = true);

}  // namespace autolr
