#pragma once
// What the benchmark records for one task besides its range-test curve: the
// grid of one-cycle fits. Plain values, no LibTorch, so scoring is cheap.

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "autolr/suggest.h"

namespace autolr::quality {

/// Every task is recorded in this many data orders (the shuffling and the
/// dropout draws); its grid is scored by the mean over the orders.
inline constexpr int kDataOrders = 3;
/// The seed set before every run of data order `order` (1-based): 7, 8, 9;
/// order 1 is the order of the first recordings.
uint64_t data_seed(int order);
/// What a file name of data order `order` carries: "" for order 1, ".order2", ...
std::string order_suffix(int order);

/// A fit's validation loss as the benchmark scores it: a non-finite loss, or
/// one above the untrained model's, counts as the untrained loss (a fit that
/// blew up is worth no training).
double scored_valid_loss(double valid_loss, double untrained_loss);

/// A number of a record file; throws FormatError naming `where` otherwise
/// (fmt's "nan" and "inf" included).
double parse_record_number(const std::string& text, const std::string& where);

/// A record file read as text: its `# key: value` header lines and its other
/// non-empty lines but the column names (the line starting with `columns`),
/// each with "<path>, line N" to name it in errors.
struct RecordFile {
  std::string path;
  std::map<std::string, std::string> header;
  std::vector<std::pair<std::string, std::string>> rows;  ///< (where, line)
  /// Throws FormatError naming the path when there is no `# key:` line.
  const std::string& field(const std::string& key) const;
};
/// Throws FormatError naming the path when it cannot be opened (`what`: "task
/// record", ...) or a header line has no ": ".
RecordFile read_record_file(const std::string& path, const std::string& what, const std::string& columns);

struct GridFit {
  double max_lr = 0;
  double valid_loss = 0;  ///< after the fit; may be NaN or inf when it diverged
  double metric = 0;      ///< NaN when the task has no metric
  double seconds = 0;
};

struct TaskRecord {
  std::string name;
  std::string half;  ///< "design" or "held-out"
  std::string description;
  std::string metric_name;  ///< empty when the task has none
  std::size_t planned_steps = 0;
  std::string stop_reason;
  double initial_valid_loss = 0;  ///< before any training
  std::vector<GridFit> grid;      ///< by increasing max_lr
};

/// What auto_fit would tell Method::Auto about each task's fit, by task name:
/// `name,optimizer,fit_steps` rows in `<directory>/fit_facts.csv`, written by
/// quality_bench from the task definitions so that scoring needs no LibTorch.
void write_fit_facts(const std::map<std::string, FitFacts>& facts, const std::string& directory);
/// Empty when the file does not exist; throws FormatError for a malformed line.
std::map<std::string, FitFacts> read_fit_facts(const std::string& directory);

/// `# key: value` lines, then `max_lr,valid_loss,metric,seconds` rows (17 digits).
/// Throws FormatError naming the path when it cannot be written.
void write_task_record(const TaskRecord& record, const std::string& path);
/// Throws FormatError naming the path and line for a missing file or a malformed line.
TaskRecord read_task_record(const std::string& path);

}  // namespace autolr::quality
