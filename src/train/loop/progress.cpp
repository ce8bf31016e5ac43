#include "autolr/progress.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>

namespace autolr {

bool stderr_is_terminal() { return ::isatty(STDERR_FILENO) == 1; }

ProgressBar::ProgressBar(bool enabled, std::string label, std::optional<int64_t> total)
    : enabled_(enabled && stderr_is_terminal()),
      label_(std::move(label)),
      total_(total),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

ProgressBar::~ProgressBar() { finish(); }

void ProgressBar::update(int64_t done, const std::function<std::optional<double>()>& loss) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  const bool last = total_ && done >= *total_;
  if (drawn_ && !last && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  drawn_ = true;
  const double seconds = std::chrono::duration<double>(now - start_).count();
  std::string line = label_;
  if (total_ && *total_ > 0) {
    constexpr int kWidth = 24;
    const int filled = static_cast<int>(kWidth * std::min<int64_t>(done, *total_) / *total_);
    line += fmt::format(" {}/{} [{}{}{}]", done, *total_, std::string(static_cast<std::size_t>(filled), '='),
                        filled < kWidth ? ">" : "",
                        std::string(static_cast<std::size_t>(std::max(0, kWidth - filled - 1)), ' '));
  } else {
    line += fmt::format(" {}", done);
  }
  if (const auto value = loss()) line += fmt::format(" loss {:.4f}", *value);
  if (seconds > 0) line += fmt::format(" {:.1f} steps/s", static_cast<double>(done) / seconds);
  std::fprintf(stderr, "\r\033[K%s", line.c_str());
  std::fflush(stderr);
}

void ProgressBar::finish() {
  if (!enabled_ || !drawn_) return;
  std::fprintf(stderr, "\r\033[K");
  std::fflush(stderr);
  drawn_ = false;
}

}  // namespace autolr
