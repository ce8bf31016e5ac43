#include "demo/fashion_mnist.h"

#include <gtest/gtest.h>
#include <torch/torch.h>
#include <zlib.h>

#include <filesystem>

#include "autolr/error.h"
#include "test_support.h"

namespace autolr {
namespace {

void write_gzip(const std::string& path, const std::string& bytes) {
  gzFile file = gzopen(path.c_str(), "wb");
  gzwrite(file, bytes.data(), static_cast<unsigned>(bytes.size()));
  gzclose(file);
}

TEST(FashionMnist, ReadsDebiansFilesWithTheirShapesAndRanges) {
  if (!std::filesystem::exists(std::string(kFashionMnistDirectory) + "/t10k-images-idx3-ubyte.gz")) {
    GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  }
  const ImageDataset test = read_fashion_mnist(kFashionMnistDirectory, /*train=*/false);
  EXPECT_EQ(test.images.sizes(), (std::vector<int64_t>{10000, 1, 28, 28}));
  EXPECT_EQ(test.labels.sizes(), (std::vector<int64_t>{10000}));
  EXPECT_EQ(test.labels.min().item<int64_t>(), 0);
  EXPECT_EQ(test.labels.max().item<int64_t>(), 9);
  EXPECT_GE(test.images.min().item<float>(), 0.0f);
  EXPECT_LE(test.images.max().item<float>(), 1.0f);
  EXPECT_EQ(torch::bincount(test.labels).min().item<int64_t>(), 1000) << "the test set is balanced";
}

TEST(FashionMnist, MissingFilesNameThePackage) {
  test::TempDir dir;
  EXPECT_THROW_WITH(read_fashion_mnist(dir.path()), FormatError, "install Debian's dataset-fashion-mnist");
}

TEST(FashionMnist, RejectsFilesThatAreNotIdx) {
  test::TempDir dir;
  write_gzip(dir.file("t10k-images-idx3-ubyte.gz"), "not an idx file at all");
  write_gzip(dir.file("t10k-labels-idx1-ubyte.gz"), std::string("\0\0\x08\x01\0\0\0\x01\x07", 9));
  EXPECT_THROW_WITH(read_fashion_mnist(dir.path(), false), FormatError, "t10k-images-idx3-ubyte.gz: not an IDX file");
  const std::string truncated("\0\0\x08\x03\0\0\0\x01\0\0\0\x1c\0\0\0\x1c\x05", 17);
  write_gzip(dir.file("t10k-images-idx3-ubyte.gz"), truncated);
  EXPECT_THROW_WITH(read_fashion_mnist(dir.path(), false), FormatError, "1 bytes of data, expected 784");
}

}  // namespace
}  // namespace autolr
