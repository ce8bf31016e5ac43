#include "demo/fashion_mnist.h"

#include <gtest/gtest.h>
#include <torch/torch.h>
#include <zlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "autolr/error.h"
#include "test_support.h"

namespace autolr {
namespace {

void write_gzip(const std::string& path, const std::string& bytes) {
  gzFile file = gzopen(path.c_str(), "wb");
  gzwrite(file, bytes.data(), static_cast<unsigned>(bytes.size()));
  gzclose(file);
}

std::string big_endian(uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8), static_cast<char>(v)};
}

// An IDX header of unsigned bytes with these sizes.
std::string idx_header(const std::vector<uint32_t>& sizes) {
  std::string header = big_endian(0x800u | static_cast<uint32_t>(sizes.size()));
  for (uint32_t size : sizes) header += big_endian(size);
  return header;
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

TEST(FashionMnist, DecompressesNoMoreThanItsHeaderSaysFromAGzipBomb) {
  test::TempDir dir;
  // The header says 10 images of 28x28 (7840 bytes); 16 MiB of zeros follow,
  // and the end of the stream is damaged: a reader that went on to the end
  // would fail there ("not a readable gzip file") after taking 16 MiB.
  const std::string images = dir.file("t10k-images-idx3-ubyte.gz");
  gzFile file = gzopen(images.c_str(), "wb");
  const std::string header = idx_header({10, 28, 28});
  gzwrite(file, header.data(), static_cast<unsigned>(header.size()));
  const std::string zeros(1 << 20, '\0');
  for (int i = 0; i < 16; ++i) gzwrite(file, zeros.data(), static_cast<unsigned>(zeros.size()));
  gzclose(file);
  const auto size = std::filesystem::file_size(images);
  EXPECT_LT(size, 100000u) << "a bomb: small on disk";
  {
    std::fstream damage(images, std::ios::in | std::ios::out | std::ios::binary);
    damage.seekp(static_cast<std::streamoff>(size) - 8);  // the CRC-32 and the length
    damage.write("\xde\xad\xbe\xef\xde\xad\xbe\xef", 8);
  }
  write_gzip(dir.file("t10k-labels-idx1-ubyte.gz"), idx_header({10}) + std::string(10, '\0'));
  EXPECT_THROW_WITH(read_fashion_mnist(dir.path(), false), FormatError,
                    images +
                        ": more than the 7840 bytes of data its header's sizes 10 x 28 x 28 say, expected exactly "
                        "7840");
}

TEST(FashionMnist, RejectsAHeaderWhoseSizesPassTheLimitBeforeDecompressing) {
  test::TempDir dir;
  const std::string images = dir.file("t10k-images-idx3-ubyte.gz");
  write_gzip(dir.file("t10k-labels-idx1-ubyte.gz"), idx_header({10}) + std::string(10, '\0'));
  // Only headers: the data is never asked for, so no "0 bytes of data".
  write_gzip(images, idx_header({0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu}));  // 2^96: wraps a 64-bit product
  EXPECT_THROW_WITH(read_fashion_mnist(dir.path(), false), FormatError,
                    images +
                        ": its header's sizes 4294967295 x 4294967295 x 4294967295 make more than 1073741824 bytes "
                        "of data (the reader's limit)");
  write_gzip(images, idx_header({1400000, 28, 28}));  // 1.1e9 bytes: just past kMaxIdxDataBytes
  EXPECT_THROW_WITH(read_fashion_mnist(dir.path(), false), FormatError,
                    images + ": its header's sizes 1400000 x 28 x 28 make more than 1073741824 bytes");
  static_assert(kMaxIdxDataBytes == 1073741824 && 1400000ull * 28 * 28 > kMaxIdxDataBytes);
  static_assert(60000ull * 28 * 28 <= kMaxIdxDataBytes, "Fashion-MNIST's training images fit");
}

TEST(FashionMnist, RejectsALabelOutsideTheClassesNamingItsIndexAndValue) {
  test::TempDir dir;
  write_gzip(dir.file("t10k-images-idx3-ubyte.gz"), idx_header({4, 28, 28}) + std::string(4 * 28 * 28, '\0'));
  const std::string labels = dir.file("t10k-labels-idx1-ubyte.gz");
  write_gzip(labels, idx_header({4}) + std::string("\x03\x09\x0c\x01", 4));
  EXPECT_THROW_WITH(read_fashion_mnist(dir.path(), false), FormatError,
                    labels + ": label 2 = 12, expected a class from 0 to 9 (Fashion-MNIST has 10)");
  write_gzip(labels, idx_header({4}) + std::string("\x03\x09\x00\x01", 4));
  const ImageDataset read = read_fashion_mnist(dir.path(), false);
  EXPECT_EQ(read.labels.max().item<int64_t>(), kFashionMnistClasses - 1) << "9 is a class";
}

}  // namespace
}  // namespace autolr
