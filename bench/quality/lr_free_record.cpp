#include "lr_free_record.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include "autolr/error.h"
#include "core/text_file.h"
#include "task_record.h"

namespace autolr::quality {
namespace {

constexpr const char* kHeader = "method,lr,valid_loss,metric,seconds";

double number(const std::string& text, const std::string& where) {
  if (text == "nan") return std::numeric_limits<double>::quiet_NaN();
  if (text == "inf") return std::numeric_limits<double>::infinity();
  try {
    std::size_t used = 0;
    const double value = std::stod(text, &used);
    if (used == text.size()) return value;
  } catch (const std::exception&) {
  }
  throw FormatError(fmt::format("{}: '{}' is not a number", where, text));
}

}  // namespace

void write_lr_free_fits(const std::vector<LrFreeFit>& fits, const std::string& path) {
  std::string text = std::string(kHeader) + "\n";
  for (const LrFreeFit& fit : fits) {
    text +=
        fmt::format("{},{:.17g},{:.17g},{:.17g},{:.3f}\n", fit.method, fit.lr, fit.valid_loss, fit.metric, fit.seconds);
  }
  detail::write_text_file(path, text);
}

std::vector<LrFreeFit> read_lr_free_fits(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw FormatError(fmt::format("{}: cannot open the file", path));
  std::string line;
  if (!std::getline(in, line) || line != kHeader) {
    throw FormatError(fmt::format("{}, line 1: expected the header {}", path, kHeader));
  }
  std::vector<LrFreeFit> fits;
  for (int number_of_line = 2; std::getline(in, line); ++number_of_line) {
    const std::string where = fmt::format("{}, line {}", path, number_of_line);
    std::vector<std::string> fields;
    std::stringstream row(line);
    for (std::string field; std::getline(row, field, ',');) fields.push_back(field);
    if (fields.size() != 5) throw FormatError(fmt::format("{}: {} fields, expected 5", where, fields.size()));
    fits.push_back(LrFreeFit{fields[0], number(fields[1], where), number(fields[2], where), number(fields[3], where),
                             number(fields[4], where)});
  }
  return fits;
}

std::vector<LrFreeFit> read_lr_free_fits_over_orders(const std::string& directory, const std::string& name,
                                                     double untrained_loss) {
  std::vector<LrFreeFit> mean;
  std::vector<int> counts;
  for (int order = 1; order <= kDataOrders; ++order) {
    const std::string path = directory + "/" + name + order_suffix(order) + ".lrfree.csv";
    if (!std::filesystem::exists(path)) {
      if (order == 1) return {};
      continue;
    }
    for (LrFreeFit fit : read_lr_free_fits(path)) {
      const double scored = scored_valid_loss(fit.valid_loss, untrained_loss);
      const auto found = std::find_if(mean.begin(), mean.end(), [&](const LrFreeFit& m) { return m.method == fit.method; });
      if (found == mean.end()) {
        fit.valid_loss = scored;
        mean.push_back(fit);
        counts.push_back(1);
      } else {
        found->valid_loss += scored;
        counts[static_cast<std::size_t>(found - mean.begin())] += 1;
      }
    }
  }
  for (std::size_t m = 0; m < mean.size(); ++m) mean[m].valid_loss /= counts[m];
  return mean;
}

}  // namespace autolr::quality
