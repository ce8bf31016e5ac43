#pragma once
/// Run records: what one fit decided and how it went, as a JSON file that
/// outlives the process (schema "autolr.run.v1", docs/run-record.md).
/// auto_fit writes one when AutoFitOptions::record_dir is set; `autolr
/// report` turns a folder of them into one page. Plain values only, no
/// LibTorch: records are read and rendered by the core alone.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "autolr/curve.h"
#include "autolr/one_cycle_schedule.h"
#include "autolr/probe_choice.h"
#include "autolr/suggest.h"

namespace autolr {

/// autolr's version (the project's), written into every record.
inline constexpr const char* kAutolrVersion = "0.1.0";
/// The schema this autolr writes and reads. Records of a newer schema
/// ("autolr.run.v2", ...) are rejected with a message naming it.
inline constexpr const char* kRunRecordSchema = "autolr.run.v1";

struct RunRecord {
  /// One epoch of the one-cycle fit (as autolr::EpochRecord, without LibTorch).
  struct Epoch {
    int64_t epoch = 0;  ///< 0-based
    int64_t steps = 0;  ///< optimizer steps in this epoch
    double train_loss = 0;
    std::optional<double> valid_loss;
    std::optional<double> metric;
    double seconds = 0;
  };

  std::string name;               ///< the run's name (the file is <name>.json)
  std::vector<std::string> tags;  ///< free-form labels: "seed=1", "baseline", ...
  std::string created;            ///< UTC, ISO 8601: "2024-05-01T12:34:56Z"
  std::string autolr_version = kAutolrVersion;
  std::string libtorch_version;  ///< TORCH_VERSION of the LibTorch that ran the fit; empty when unknown

  LRCurve curve;                        ///< the range test (lrs, losses, smoothed losses, stop reason)
  std::vector<Suggestion> suggestions;  ///< every method's answer (auto_fit: all_methods(), then descent-start)
  Method chosen_method = kDefaultMethod;
  std::string decision;               ///< why this LR, or why no fit
  std::vector<double> group_max_lrs;  ///< the max LR of each param group; empty when not trained
  bool trained = false;
  /// The probe fits of auto_fit's verified mode in the order they ran (a
  /// lowered round after the first); empty when none ran.
  std::vector<ProbeFit> probes;
  std::optional<OneCycleOptions> schedule;  ///< the one-cycle fit's schedule, when it trained
  std::vector<Epoch> epochs;

  std::string optimizer;  ///< "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", or the C++ type's name
  /// The first param group's options as configured before the range test,
  /// as key/value text ("lr" "0.01", "betas" "0.9, 0.999", "param_groups" "2").
  std::vector<std::pair<std::string, std::string>> optimizer_options;
  int64_t parameter_count = 0;  ///< elements in the model's parameters
  double wall_seconds = 0;      ///< range test, suggestion and fit, in seconds

  /// The suggestion of chosen_method, if the record has one.
  const Suggestion* chosen() const;
};

/// The record as JSON text (schema kRunRecordSchema, docs/run-record.md).
/// Doubles are written so that they read back bit for bit; NaN and
/// infinities as the strings "nan", "inf" and "-inf".
std::string run_record_json(const RunRecord& record);

/// Parses run_record_json()'s text; `source` names it in messages.
/// Throws FormatError("<source>: ...") as read_run_record.
RunRecord parse_run_record(const std::string& text, const std::string& source);

/// Writes the record to `path` whole or not at all (a killed run leaves the
/// previous file or none, never half a record). Throws FormatError naming
/// the path when it cannot be written.
void write_run_record(const RunRecord& record, const std::string& path);

/// Reads a record. Throws FormatError("<path>: ...") saying what is wrong:
/// the file cannot be read, is not JSON or is cut short, is not a run record
/// (no "schema"), has a newer or unknown schema (named in the message), lacks
/// a required field or has one of the wrong type (the field is named), or
/// holds a curve that is not one (learning rates not increasing, ...).
/// Fields it does not know are ignored, so v1 records that later versions
/// extend stay readable.
RunRecord read_run_record(const std::string& path);

/// The current time for RunRecord::created: "2024-05-01T12:34:56Z".
std::string utc_timestamp();
/// A run name no other run of this machine has: "run-20240501T123456Z-p4242-1"
/// (time, process id, a counter within the process).
std::string unique_run_name();
/// Whether `name` can be a record's file name: 1 to 200 bytes, not "." or
/// "..", no '/', '\\', control character or NUL. Otherwise says why in `why`
/// ("it has a '/' or '\\': a name, not a path").
bool valid_run_name(const std::string& name, std::string* why = nullptr);

}  // namespace autolr
