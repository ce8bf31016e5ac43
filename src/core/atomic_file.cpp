#include "core/atomic_file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <random>

#include "autolr/error.h"

namespace autolr::detail {
namespace {

std::string temporary_name_for(const std::string& path) {
  static std::atomic<unsigned long> counter{0};
  std::random_device entropy;
  return fmt::format("{}.{}-{}-{:08x}.tmp", path, ::getpid(), counter++, entropy());
}

}  // namespace

AtomicFile::AtomicFile(std::string path, unsigned mode)
    : path_(std::move(path)), temporary_(temporary_name_for(path_)) {
  fd_ = ::open(temporary_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, static_cast<mode_t>(mode));
  if (fd_ < 0) throw FormatError(fmt::format("{}: cannot create {}: {}", path_, temporary_, std::strerror(errno)));
  // open() applies the umask; the finished file gets exactly `mode`.
  ::fchmod(fd_, static_cast<mode_t>(mode));
}

AtomicFile::~AtomicFile() { discard(); }

void AtomicFile::discard() noexcept {
  if (fd_ < 0) return;
  ::close(fd_);
  ::unlink(temporary_.c_str());
  fd_ = -1;
}

void AtomicFile::write(const char* data, std::size_t size) {
  if (fd_ < 0) throw FormatError(fmt::format("{}: writing after the file was finished or abandoned", path_));
  std::size_t written = 0;
  while (written < size) {
    const ssize_t n = ::write(fd_, data + written, size - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const std::string reason = n == 0 ? "nothing written" : std::strerror(errno);
      discard();
      throw FormatError(fmt::format("{}: writing failed: {}; the file was not changed", path_, reason));
    }
    written += static_cast<std::size_t>(n);
  }
}

void AtomicFile::commit() {
  if (fd_ < 0) throw FormatError(fmt::format("{}: finishing a file that was already finished or abandoned", path_));
  const bool synced = ::fsync(fd_) == 0;
  const std::string sync_error = synced ? "" : std::strerror(errno);
  const bool closed = ::close(fd_) == 0;
  fd_ = -1;
  if (!synced || !closed || ::rename(temporary_.c_str(), path_.c_str()) != 0) {
    const std::string reason = !synced ? sync_error : std::strerror(errno);
    ::unlink(temporary_.c_str());
    throw FormatError(fmt::format("{}: cannot finish the file: {}; it was not changed", path_, reason));
  }
}

void write_file_atomically(const std::string& path, const std::string& bytes) {
  AtomicFile file(path);
  file.write(bytes);
  file.commit();
}

}  // namespace autolr::detail
