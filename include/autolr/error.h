#pragma once
/// Errors thrown by autolr. Every one names the argument (or file, row and
/// column), the value it got and what was expected, so a log line is enough
/// to fix the call.

#include <stdexcept>
#include <string>

namespace autolr {

/// Common base: `catch (const autolr::Error&)` catches everything autolr throws
/// on purpose, while each error still derives from the standard class that fits.
class Error {
 public:
  virtual ~Error() = default;
  virtual const char* what() const noexcept = 0;
};

/// A caller passed a value outside what the function accepts.
class InvalidArgument : public std::invalid_argument, public Error {
 public:
  using std::invalid_argument::invalid_argument;
  const char* what() const noexcept override { return std::invalid_argument::what(); }
};

/// A file could not be read or does not hold what was expected.
class FormatError : public std::runtime_error, public Error {
 public:
  using std::runtime_error::runtime_error;
  const char* what() const noexcept override { return std::runtime_error::what(); }
};

/// A snapshot could not be put back. The message says what failed and where
/// the last good copy is (a file that was kept), or that none is left.
class RestoreError : public std::runtime_error, public Error {
 public:
  using std::runtime_error::runtime_error;
  const char* what() const noexcept override { return std::runtime_error::what(); }
};

/// A collective across processes failed: a rank died, stopped answering
/// within the timeout, or the rendezvous did not complete. The message names
/// this rank and what it was doing.
class DistributedError : public std::runtime_error, public Error {
 public:
  using std::runtime_error::runtime_error;
  const char* what() const noexcept override { return std::runtime_error::what(); }
};

}  // namespace autolr
