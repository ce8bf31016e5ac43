#pragma once
// The one way autolr writes a file: whole or not at all.

#include <cstddef>
#include <string>

namespace autolr::detail {

/// Bytes go to a private temporary file beside `path` (created with O_EXCL,
/// so two writers never share one), then commit() syncs it and renames it
/// onto `path`: a reader sees the old file or the whole new one, never a
/// part, and a write cut short (disk full, a size limit, a signal) leaves the
/// old file as it was. Destroyed without commit(), the temporary is removed.
class AtomicFile {
 public:
  /// `mode`: the permissions of the finished file (0600 keeps it private).
  /// Throws FormatError("<path>: cannot create ...") naming the reason.
  explicit AtomicFile(std::string path, unsigned mode = 0644);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  /// Throws FormatError("<path>: writing failed: <reason>").
  void write(const char* data, std::size_t size);
  void write(const std::string& bytes) { write(bytes.data(), bytes.size()); }
  /// fsync, then rename onto the path. Throws FormatError; the old file stays.
  void commit();

  const std::string& path() const { return path_; }
  /// Where the bytes are until commit().
  const std::string& temporary() const { return temporary_; }

 private:
  void discard() noexcept;

  std::string path_;
  std::string temporary_;
  int fd_ = -1;
};

/// Writes `bytes` to `path` through an AtomicFile.
void write_file_atomically(const std::string& path, const std::string& bytes);

}  // namespace autolr::detail
