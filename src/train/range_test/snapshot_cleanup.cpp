#include "train/range_test/snapshot_cleanup.h"

#include <fmt/format.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <climits>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <random>

namespace autolr::detail {
namespace {

namespace fs = std::filesystem;

constexpr char kPrefix[] = "autolr-snapshot-";

// Letters, digits, '.' and '_' only, so the name stays one plain word
// ('-' separates the fields; a host name may contain it).
std::string host_name() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return "host";
  std::string host;
  for (const char* c = name; *c; ++c) host += std::isalnum(static_cast<unsigned char>(*c)) || *c == '.' ? *c : '_';
  return host.empty() ? "host" : host;
}

struct Owner {
  std::string host;
  pid_t pid = 0;
};

// `autolr-snapshot-<host>-<pid>-<n>-<hex>.pt`, or its temporary
// `<that>.<...>.tmp`; the fields are read from the right.
bool parse_snapshot_name(const std::string& name, Owner* owner) {
  const std::size_t base = name.rfind(kPrefix, 0) == 0 ? 0 : std::string::npos;
  const std::size_t extension = name.find(".pt");
  if (base == std::string::npos || extension == std::string::npos) return false;
  const std::string rest = name.substr(sizeof kPrefix - 1, extension - (sizeof kPrefix - 1));
  const std::size_t hex_dash = rest.rfind('-');
  if (hex_dash == std::string::npos || hex_dash == 0) return false;
  const std::size_t count_dash = rest.rfind('-', hex_dash - 1);
  if (count_dash == std::string::npos || count_dash == 0) return false;
  const std::size_t pid_dash = rest.rfind('-', count_dash - 1);
  if (pid_dash == std::string::npos || pid_dash == 0) return false;
  const std::string pid = rest.substr(pid_dash + 1, count_dash - pid_dash - 1);
  if (pid.empty() || pid.size() > 9 || pid.find_first_not_of("0123456789") != std::string::npos) return false;
  owner->host = rest.substr(0, pid_dash);
  owner->pid = static_cast<pid_t>(std::stol(pid));
  return owner->pid > 0;
}

bool process_gone(pid_t pid) { return ::kill(pid, 0) != 0 && errno == ESRCH; }

// --- signals ---------------------------------------------------------------
// The handler may only use async-signal-safe calls: the paths sit in a fixed
// table, each slot free (0), being filled (1) or ready (2).

constexpr int kSlots = 64;
struct Slot {
  std::atomic<int> state{0};
  char path[PATH_MAX] = {};
};
std::array<Slot, kSlots> slots;

struct sigaction previous_int, previous_term;

void remove_registered_files() {
  for (Slot& slot : slots) {
    if (slot.state.load() == 2) ::unlink(slot.path);
  }
}

void on_signal(int signal, siginfo_t* info, void* context) {
  const struct sigaction& previous = signal == SIGINT ? previous_int : previous_term;
  if ((previous.sa_flags & SA_SIGINFO) != 0) {
    previous.sa_sigaction(signal, info, context);  // the program's handler; it goes on, so the files stay
  } else if (previous.sa_handler == SIG_DFL) {
    remove_registered_files();
    ::sigaction(signal, &previous, nullptr);  // then end the process as the signal would have
    ::raise(signal);
  } else if (previous.sa_handler != SIG_IGN) {
    previous.sa_handler(signal);
  }
}

void install_handlers_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction action {};
    action.sa_sigaction = on_signal;
    action.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&action.sa_mask);
    ::sigaction(SIGINT, &action, &previous_int);
    ::sigaction(SIGTERM, &action, &previous_term);
  });
}

}  // namespace

std::string snapshot_file_name() {
  static std::atomic<uint64_t> counter{0};
  std::random_device entropy;
  return fmt::format("{}{}-{}-{}-{:08x}{:08x}.pt", kPrefix, host_name(), ::getpid(), counter++, entropy(), entropy());
}

void remove_stale_snapshot_files(const std::string& directory) {
  const std::string host = host_name();
  std::error_code error;
  for (fs::directory_iterator it(directory, error), end; !error && it != end; it.increment(error)) {
    Owner owner;
    if (!parse_snapshot_name(it->path().filename().string(), &owner)) continue;
    if (owner.host != host || owner.pid == ::getpid() || !process_gone(owner.pid)) continue;
    struct stat info {};
    if (::lstat(it->path().c_str(), &info) != 0 || !S_ISREG(info.st_mode) || info.st_uid != ::geteuid()) continue;
    ::unlink(it->path().c_str());
  }
}

SignalCleanup::SignalCleanup(const std::string& path) {
  if (path.size() >= PATH_MAX) return;
  install_handlers_once();
  for (int i = 0; i < kSlots; ++i) {
    int free = 0;
    if (!slots[i].state.compare_exchange_strong(free, 1)) continue;
    std::memcpy(slots[i].path, path.c_str(), path.size() + 1);
    slots[i].state.store(2);
    slot_ = i;
    return;
  }
}

SignalCleanup::~SignalCleanup() {
  if (slot_ >= 0) slots[slot_].state.store(0);
}

}  // namespace autolr::detail
