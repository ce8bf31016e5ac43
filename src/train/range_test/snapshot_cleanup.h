#pragma once
// Snapshot files hold a model's full weights: none may outlive its run.
// A normal exit and an exception remove them (SnapshotFile's destructor);
// this covers the rest: SIGINT and SIGTERM, and, at the next run's start, the
// files of a process that was killed (SIGKILL, a crash, a power cut).

#include <string>

namespace autolr::detail {

/// The name every snapshot file gets: `autolr-snapshot-<host>-<pid>-<n>-<hex>.pt`.
/// The host and pid tell the next run whether the writer still lives.
std::string snapshot_file_name();

/// Removes from `directory` the snapshot files (and their temporaries) that
/// this user's processes on this host left behind and that no longer run
/// (no such pid). Leaves everything else: other users' files, other hosts'
/// (a shared folder), live processes', symbolic links. Errors are ignored:
/// this is tidying, not a condition for the range test.
void remove_stale_snapshot_files(const std::string& directory);

/// While registered, a SIGINT or SIGTERM that would end the process (its
/// disposition was the default when the first file was registered) removes
/// the file before the process ends, as the signal's default would have it.
/// A handler of the program's own runs instead and the file stays, since the
/// program goes on and will restore from it. At most 64 files at once; more
/// are left to remove_stale_snapshot_files.
class SignalCleanup {
 public:
  explicit SignalCleanup(const std::string& path);
  ~SignalCleanup();
  SignalCleanup(const SignalCleanup&) = delete;
  SignalCleanup& operator=(const SignalCleanup&) = delete;

 private:
  int slot_ = -1;
};

}  // namespace autolr::detail
