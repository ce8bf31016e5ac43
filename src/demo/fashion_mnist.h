#pragma once
/// Fashion-MNIST from Debian's dataset-fashion-mnist package (gzipped IDX
/// files), read with zlib: LibTorch's own MNIST reader wants them uncompressed.

#include <torch/types.h>

#include <cstdint>
#include <string>

namespace autolr {

/// Where Debian's dataset-fashion-mnist installs the files.
constexpr const char* kFashionMnistDirectory = "/usr/share/datasets/fashion-mnist";

/// Fashion-MNIST's classes: every label is one of 0 to kFashionMnistClasses - 1.
constexpr int64_t kFashionMnistClasses = 10;

/// The most data bytes the reader takes from one file, as its header's sizes
/// multiply (the training images are 47 MB): a header asking for more, or a
/// file that decompresses to more than its header says (a gzip bomb), is
/// refused before that memory is taken.
constexpr uint64_t kMaxIdxDataBytes = uint64_t{1} << 30;

struct ImageDataset {
  torch::Tensor images;  ///< float32 [N, 1, 28, 28], values in [0, 1]
  torch::Tensor labels;  ///< int64 [N], 0..9
};

/// Reads the training set (60000 images) or the test set (10000).
/// Throws FormatError naming the file when it is missing (saying which
/// package to install), not gzip, not the IDX layout expected, sized past
/// kMaxIdxDataBytes, holding more or fewer bytes than its header says, or
/// holding a label outside the classes.
ImageDataset read_fashion_mnist(const std::string& directory = kFashionMnistDirectory, bool train = true);

}  // namespace autolr
