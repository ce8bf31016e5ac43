#include "autolr/record.h"

#include <fmt/format.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <ctime>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

#include "autolr/error.h"
#include "core/atomic_file.h"
#include "core/check.h"
#include "core/json_text.h"
#include "core/printable.h"

namespace autolr {
namespace {

using Json = nlohmann::ordered_json;
using detail::for_message;

// A record larger than this is not one (a curve of a million points is ~70 MB).
constexpr std::size_t kMaxRecordBytes = std::size_t{256} << 20;

// ---------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------

// JSON has no NaN or infinity: they are written as strings.
Json number(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  return value;
}

Json optional_number(const std::optional<double>& value) { return value ? number(*value) : Json(nullptr); }

Json numbers(const std::vector<double>& values) {
  Json out = Json::array();
  for (double v : values) out.push_back(number(v));
  return out;
}

Json strings(const std::vector<std::string>& values) {
  Json out = Json::array();
  for (const auto& v : values) out.push_back(v);
  return out;
}

Json curve_json(const LRCurve& curve) {
  Json out = {{"lr", numbers(curve.lrs())},
              {"loss", numbers(curve.losses())},
              {"smooth_loss", numbers(curve.smoothed_losses())},
              {"smoothing", curve.smoothing_source() == SmoothingSource::Recorded ? "recorded" : "computed"},
              {"stop_reason", to_string(curve.stop_reason())},
              {"planned_steps", curve.planned_steps() ? Json(*curve.planned_steps()) : Json(nullptr)}};
  if (!curve.group_lrs().empty()) {
    Json groups = Json::array();
    for (const auto& g : curve.group_lrs()) groups.push_back(numbers(g));
    out["group_lrs"] = groups;
  }
  return out;
}

Json suggestion_json(const Suggestion& s) {
  Json warnings = Json::array();
  for (const auto& w : s.warnings) warnings.push_back({{"kind", to_string(w.kind)}, {"message", w.message}});
  return {{"method", to_string(s.method)},
          {"lr", optional_number(s.lr)},
          {"index", s.index ? Json(*s.index) : Json(nullptr)},
          {"evidence", s.evidence ? Json::array({s.evidence->first, s.evidence->last}) : Json(nullptr)},
          {"confidence", optional_number(s.confidence)},
          {"warnings", warnings}};
}

Json schedule_json(const OneCycleOptions& o) {
  const auto optional_int = [](const std::optional<int64_t>& v) { return v ? Json(*v) : Json(nullptr); };
  return {{"max_lr", numbers(o.max_lr())},
          {"total_steps", optional_int(o.total_steps())},
          {"epochs", optional_int(o.epochs())},
          {"steps_per_epoch", optional_int(o.steps_per_epoch())},
          {"pct_start", number(o.pct_start())},
          {"anneal", o.anneal() == Anneal::Cos ? "cos" : "linear"},
          {"cycle_momentum", o.cycle_momentum()},
          {"base_momentum", number(o.base_momentum())},
          {"max_momentum", number(o.max_momentum())},
          {"div_factor", number(o.div_factor())},
          {"final_div_factor", number(o.final_div_factor())},
          {"three_phase", o.three_phase()}};
}

Json epoch_json(const RunRecord::Epoch& e) {
  return {{"epoch", e.epoch},
          {"steps", e.steps},
          {"train_loss", number(e.train_loss)},
          {"valid_loss", optional_number(e.valid_loss)},
          {"metric", optional_number(e.metric)},
          {"seconds", number(e.seconds)}};
}

Json probe_json(const ProbeFit& p) {
  return {{"offset", number(p.offset)}, {"group_max_lrs", numbers(p.group_max_lrs)},
          {"loss", number(p.loss)},     {"diverged", p.diverged},
          {"steps", p.steps},           {"seconds", number(p.seconds)}};
}

// One top-level field per line, the elements of long lists of objects one
// per line too: a record stays readable with `less` and diffable with `diff`.
std::string layout(const Json& record) {
  std::string out = "{\n";
  std::size_t left = record.size();
  for (const auto& [key, value] : record.items()) {
    out += "  " + detail::json_text(key) + ": ";
    if (value.is_array() && !value.empty() && value.front().is_object()) {
      out += "[\n";
      for (std::size_t i = 0; i < value.size(); ++i)
        out += "    " + detail::json_text(value[i]) + (i + 1 < value.size() ? ",\n" : "\n");
      out += "  ]";
    } else {
      out += detail::json_text(value);
    }
    out += --left > 0 ? ",\n" : "\n";
  }
  return out + "}\n";
}

// ---------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------

std::string type_of(const Json& value) {
  if (value.is_number()) return "a number";
  if (value.is_string()) return "a string";
  if (value.is_boolean()) return "a boolean";
  if (value.is_null()) return "null";
  if (value.is_array()) return "an array";
  return "an object";
}

// Reads the fields of one JSON object, naming `where` ("curve", "suggestions[2]") in errors.
class Fields {
 public:
  Fields(const Json& object, std::string where, const std::string& source)
      : object_(object), where_(std::move(where)), source_(source) {
    if (!object_.is_object()) fail(where_.empty() ? "the document" : where_, "an object", object_);
  }

  std::string path(const std::string& key) const { return where_.empty() ? key : where_ + "." + key; }
  const std::string& source() const { return source_; }

  /// The field, or null when it is missing.
  const Json* find(const char* key) const {
    const auto it = object_.find(key);
    return it == object_.end() ? nullptr : &*it;
  }
  const Json& require(const char* key) const {
    const Json* value = find(key);
    if (!value) throw FormatError(fmt::format("{}: missing field \"{}\"", source_, path(key)));
    return *value;
  }

  [[noreturn]] void fail(const std::string& field, const std::string& expected, const Json& got) const {
    throw FormatError(fmt::format("{}: field \"{}\": expected {}, got {}", source_, field, expected, type_of(got)));
  }
  [[noreturn]] void fail(const std::string& field, const std::string& message) const {
    throw FormatError(fmt::format("{}: field \"{}\": {}", source_, field, message));
  }

  std::string string(const char* key) const { return as_string(require(key), path(key)); }
  std::string string_or(const char* key, const std::string& otherwise) const {
    const Json* v = find(key);
    return v && !v->is_null() ? as_string(*v, path(key)) : otherwise;
  }
  bool boolean(const char* key) const { return as_bool(require(key), path(key)); }
  bool boolean_or(const char* key, bool otherwise) const {
    const Json* v = find(key);
    return v && !v->is_null() ? as_bool(*v, path(key)) : otherwise;
  }
  double number_or(const char* key, double otherwise) const {
    const Json* v = find(key);
    return v && !v->is_null() ? as_number(*v, path(key)) : otherwise;
  }
  std::optional<double> optional_number(const char* key) const {
    const Json* v = find(key);
    if (!v || v->is_null()) return std::nullopt;
    return as_number(*v, path(key));
  }
  std::optional<int64_t> optional_integer(const char* key) const {
    const Json* v = find(key);
    if (!v || v->is_null()) return std::nullopt;
    return as_integer(*v, path(key));
  }
  int64_t integer_or(const char* key, int64_t otherwise) const { return optional_integer(key).value_or(otherwise); }
  std::vector<double> numbers(const char* key) const { return as_numbers(require(key), path(key)); }
  std::vector<double> numbers_or_empty(const char* key) const {
    const Json* v = find(key);
    return v && !v->is_null() ? as_numbers(*v, path(key)) : std::vector<double>{};
  }
  std::vector<std::string> strings_or_empty(const char* key) const {
    const Json* v = find(key);
    if (!v || v->is_null()) return {};
    if (!v->is_array()) fail(path(key), "an array of strings", *v);
    std::vector<std::string> out;
    for (std::size_t i = 0; i < v->size(); ++i) out.push_back(as_string((*v)[i], fmt::format("{}[{}]", path(key), i)));
    return out;
  }

  std::string as_string(const Json& v, const std::string& field) const {
    if (!v.is_string()) fail(field, "a string", v);
    return v.get<std::string>();
  }
  bool as_bool(const Json& v, const std::string& field) const {
    if (!v.is_boolean()) fail(field, "true or false", v);
    return v.get<bool>();
  }
  double as_number(const Json& v, const std::string& field) const {
    if (v.is_number()) return v.get<double>();
    if (v.is_string()) {
      const std::string text = v.get<std::string>();
      if (text == "nan") return std::numeric_limits<double>::quiet_NaN();
      if (text == "inf") return std::numeric_limits<double>::infinity();
      if (text == "-inf") return -std::numeric_limits<double>::infinity();
      fail(field, fmt::format("expected a number, \"nan\", \"inf\" or \"-inf\", got \"{}\"", for_message(text)));
    }
    fail(field, "a number", v);
  }
  int64_t as_integer(const Json& v, const std::string& field) const {
    if (v.is_number_unsigned() && v.get<uint64_t>() <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return static_cast<int64_t>(v.get<uint64_t>());
    }
    if (v.is_number_integer() && !v.is_number_unsigned()) return v.get<int64_t>();
    fail(field, "an integer", v);
  }
  std::size_t as_index(const Json& v, const std::string& field) const {
    const int64_t value = as_integer(v, field);
    if (value < 0) fail(field, fmt::format("expected an index >= 0, got {}", value));
    return static_cast<std::size_t>(value);
  }
  std::vector<double> as_numbers(const Json& v, const std::string& field) const {
    if (!v.is_array()) fail(field, "an array of numbers", v);
    std::vector<double> out;
    out.reserve(v.size());
    for (std::size_t i = 0; i < v.size(); ++i) out.push_back(as_number(v[i], fmt::format("{}[{}]", field, i)));
    return out;
  }

 private:
  const Json& object_;
  std::string where_;
  const std::string& source_;
};

template <typename Enum, typename Parse>
Enum parse_name(const Fields& f, const Json& value, const std::string& field, Parse parse) {
  const std::string text = f.as_string(value, field);
  try {
    return parse(text);
  } catch (const InvalidArgument& e) {
    f.fail(field, e.what());
  }
}

WarningKind warning_kind_from_string(const std::string& text) {
  for (int k = 0; k <= static_cast<int>(WarningKind::LowConfidence); ++k) {
    if (to_string(static_cast<WarningKind>(k)) == text) return static_cast<WarningKind>(k);
  }
  std::string known;
  for (int k = 0; k <= static_cast<int>(WarningKind::LowConfidence); ++k) {
    known += (k ? ", " : "") + to_string(static_cast<WarningKind>(k));
  }
  throw InvalidArgument(fmt::format("unknown warning kind \"{}\" (known: {})", for_message(text), known));
}

LRCurve parse_curve(const Fields& top) {
  const Fields f(top.require("curve"), "curve", top.source());
  std::vector<double> lrs = f.numbers("lr");
  std::vector<double> losses = f.numbers("loss");
  std::vector<double> smoothed = f.numbers_or_empty("smooth_loss");
  const std::string smoothing = f.string_or("smoothing", smoothed.empty() ? "computed" : "recorded");
  if (smoothing != "recorded" && smoothing != "computed") {
    f.fail("curve.smoothing", fmt::format("expected \"recorded\" or \"computed\", got \"{}\"", for_message(smoothing)));
  }
  LRCurve curve;
  try {
    if (smoothed.empty() && !lrs.empty()) {
      curve = LRCurve(std::move(lrs), std::move(losses));
    } else if (smoothing == "computed") {
      // Computed with the default beta: the same numbers come out again. A
      // curve smoothed some other way keeps the recorded numbers.
      LRCurve recomputed(lrs, losses);
      const bool same = recomputed.smoothed_losses().size() == smoothed.size() &&
                        std::equal(smoothed.begin(), smoothed.end(), recomputed.smoothed_losses().begin(),
                                   [](double a, double b) { return a == b || (std::isnan(a) && std::isnan(b)); });
      curve = same ? std::move(recomputed) : LRCurve(std::move(lrs), std::move(losses), std::move(smoothed));
    } else if (!lrs.empty() || !losses.empty() || !smoothed.empty()) {
      curve = LRCurve(std::move(lrs), std::move(losses), std::move(smoothed));
    }
    const std::string stop = f.string_or("stop_reason", "unknown");
    try {
      curve.set_stop_reason(stop_reason_from_string(stop));
    } catch (const InvalidArgument& e) {
      f.fail("curve.stop_reason", e.what());
    }
    if (const auto planned = f.optional_integer("planned_steps")) {
      if (*planned < 0) f.fail("curve.planned_steps", fmt::format("expected a count >= 0, got {}", *planned));
      curve.set_planned_steps(static_cast<std::size_t>(*planned));
    }
    if (const Json* groups = f.find("group_lrs"); groups && !groups->is_null()) {
      if (!groups->is_array()) f.fail("curve.group_lrs", "an array of arrays of numbers", *groups);
      std::vector<std::vector<double>> group_lrs;
      for (std::size_t g = 0; g < groups->size(); ++g) {
        group_lrs.push_back(f.as_numbers((*groups)[g], fmt::format("curve.group_lrs[{}]", g)));
      }
      curve.set_group_lrs(std::move(group_lrs));
    }
  } catch (const InvalidArgument& e) {
    throw FormatError(fmt::format("{}: field \"curve\" is not a valid curve: {}", top.source(), e.what()));
  }
  return curve;
}

Suggestion parse_suggestion(const Json& value, const std::string& where, const std::string& source) {
  const Fields f(value, where, source);
  Suggestion s;
  s.method = parse_name<Method>(f, f.require("method"), f.path("method"), method_from_string);
  s.lr = f.optional_number("lr");
  if (const Json* index = f.find("index"); index && !index->is_null()) s.index = f.as_index(*index, f.path("index"));
  if (const Json* evidence = f.find("evidence"); evidence && !evidence->is_null()) {
    if (!evidence->is_array() || evidence->size() != 2) f.fail(f.path("evidence"), "[first, last] or null", *evidence);
    s.evidence =
        Span{f.as_index((*evidence)[0], f.path("evidence[0]")), f.as_index((*evidence)[1], f.path("evidence[1]"))};
  }
  s.confidence = f.optional_number("confidence");
  if (const Json* warnings = f.find("warnings"); warnings && !warnings->is_null()) {
    if (!warnings->is_array()) f.fail(f.path("warnings"), "an array", *warnings);
    for (std::size_t i = 0; i < warnings->size(); ++i) {
      const Fields w((*warnings)[i], fmt::format("{}.warnings[{}]", where, i), source);
      s.warnings.push_back(
          Warning{parse_name<WarningKind>(w, w.require("kind"), w.path("kind"), warning_kind_from_string),
                  w.string_or("message", "")});
    }
  }
  return s;
}

OneCycleOptions parse_schedule(const Json& value, const std::string& source) {
  const Fields f(value, "schedule", source);
  OneCycleOptions o(f.numbers("max_lr"));
  o.total_steps(f.optional_integer("total_steps"));
  o.epochs(f.optional_integer("epochs"));
  o.steps_per_epoch(f.optional_integer("steps_per_epoch"));
  o.pct_start(f.number_or("pct_start", o.pct_start()));
  const std::string anneal = f.string_or("anneal", "cos");
  if (anneal != "cos" && anneal != "linear") {
    f.fail("schedule.anneal", fmt::format("expected \"cos\" or \"linear\", got \"{}\"", for_message(anneal)));
  }
  o.anneal(anneal == "cos" ? Anneal::Cos : Anneal::Linear);
  o.cycle_momentum(f.boolean_or("cycle_momentum", o.cycle_momentum()));
  o.base_momentum(f.number_or("base_momentum", o.base_momentum()));
  o.max_momentum(f.number_or("max_momentum", o.max_momentum()));
  o.div_factor(f.number_or("div_factor", o.div_factor()));
  o.final_div_factor(f.number_or("final_div_factor", o.final_div_factor()));
  o.three_phase(f.boolean_or("three_phase", o.three_phase()));
  return o;
}

RunRecord::Epoch parse_epoch(const Json& value, const std::string& where, const std::string& source) {
  const Fields f(value, where, source);
  RunRecord::Epoch e;
  e.epoch = f.integer_or("epoch", 0);
  e.steps = f.integer_or("steps", 0);
  e.train_loss = f.as_number(f.require("train_loss"), f.path("train_loss"));
  e.valid_loss = f.optional_number("valid_loss");
  e.metric = f.optional_number("metric");
  e.seconds = f.number_or("seconds", 0);
  return e;
}

// The plots mark a probe at its highest group LR: each must be one.
ProbeFit parse_probe(const Json& value, const std::string& where, const std::string& source) {
  const Fields f(value, where, source);
  ProbeFit p;
  p.offset = f.as_number(f.require("offset"), f.path("offset"));
  p.group_max_lrs = f.numbers("group_max_lrs");
  if (p.group_max_lrs.empty()) f.fail(f.path("group_max_lrs"), "expected one max LR per param group, got []");
  for (std::size_t g = 0; g < p.group_max_lrs.size(); ++g) {
    const double lr = p.group_max_lrs[g];
    if (!(lr > 0 && std::isfinite(lr))) {
      f.fail(fmt::format("{}[{}]", f.path("group_max_lrs"), g),
             fmt::format("expected a finite LR > 0, got {}", detail::format_double(lr)));
    }
  }
  p.loss = f.as_number(f.require("loss"), f.path("loss"));
  p.diverged = f.boolean("diverged");
  p.steps = f.integer_or("steps", 0);
  p.seconds = f.number_or("seconds", 0);
  return p;
}

void check_schema(const Fields& f) {
  const Json* schema = f.find("schema");
  if (!schema) throw FormatError(fmt::format("{}: not an autolr run record (no \"schema\" field)", f.source()));
  const std::string name = f.as_string(*schema, "schema");
  if (name == kRunRecordSchema) return;
  const std::string prefix = "autolr.run.v";
  if (name.rfind(prefix, 0) == 0 && name.size() > prefix.size() && name.size() < prefix.size() + 9 &&
      name.find_first_not_of("0123456789", prefix.size()) == std::string::npos && name[prefix.size()] != '0') {
    throw FormatError(fmt::format(
        "{}: schema \"{}\" is newer than the \"{}\" this autolr ({}) reads: written by a later autolr; upgrade "
        "autolr to read it",
        f.source(), name, kRunRecordSchema, kAutolrVersion));
  }
  throw FormatError(fmt::format("{}: unknown schema \"{}\": not an autolr run record (autolr {} reads \"{}\")",
                                f.source(), for_message(name), kAutolrVersion, kRunRecordSchema));
}

// nlohmann's message without its "[json.exception.parse_error.101] " prefix.
std::string json_error_text(const nlohmann::json::exception& e) {
  std::string what = e.what();
  if (const auto end = what.find("] "); end != std::string::npos) what.erase(0, end + 2);
  return for_message(what, 200);
}

std::string parse_error_text(const nlohmann::json::parse_error& e, std::size_t size) {
  if (e.byte >= size) return "not a complete JSON document: it ends too early (cut short, or still being written?)";
  return "not JSON: " + json_error_text(e);
}

}  // namespace

const Suggestion* RunRecord::chosen() const {
  for (const Suggestion& s : suggestions) {
    if (s.method == chosen_method) return &s;
  }
  return nullptr;
}

std::string run_record_json(const RunRecord& r) {
  Json suggestions = Json::array();
  for (const auto& s : r.suggestions) suggestions.push_back(suggestion_json(s));
  Json epochs = Json::array();
  for (const auto& e : r.epochs) epochs.push_back(epoch_json(e));
  Json probes = Json::array();
  for (const auto& p : r.probes) probes.push_back(probe_json(p));
  Json options = Json::object();
  for (const auto& [key, value] : r.optimizer_options) options[key] = value;
  const Json record = {{"schema", kRunRecordSchema},
                       {"name", r.name},
                       {"tags", strings(r.tags)},
                       {"created", r.created},
                       {"autolr_version", r.autolr_version},
                       {"libtorch_version", r.libtorch_version},
                       {"chosen_method", to_string(r.chosen_method)},
                       {"decision", r.decision},
                       {"trained", r.trained},
                       {"group_max_lrs", numbers(r.group_max_lrs)},
                       {"probes", probes},
                       {"schedule", r.schedule ? schedule_json(*r.schedule) : Json(nullptr)},
                       {"optimizer", {{"name", r.optimizer}, {"options", options}}},
                       {"parameter_count", r.parameter_count},
                       {"wall_seconds", number(r.wall_seconds)},
                       {"suggestions", suggestions},
                       {"epochs", epochs},
                       {"curve", curve_json(r.curve)}};
  return layout(record);
}

RunRecord parse_run_record(const std::string& text, const std::string& source) {
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) {
    throw FormatError(fmt::format("{}: empty file, not a run record", source));
  }
  Json document;
  try {
    document = Json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    throw FormatError(fmt::format("{}: {}", source, parse_error_text(e, text.size())));
  } catch (const nlohmann::json::exception& e) {  // a number too large for a double: 1e400
    throw FormatError(fmt::format("{}: not JSON autolr can read: {}", source, json_error_text(e)));
  }
  if (!document.is_object()) {
    throw FormatError(
        fmt::format("{}: not an autolr run record: the document is {}, not an object", source, type_of(document)));
  }
  const Fields f(document, "", source);
  check_schema(f);
  RunRecord r;
  r.name = f.string("name");
  r.tags = f.strings_or_empty("tags");
  r.created = f.string_or("created", "");
  r.autolr_version = f.string_or("autolr_version", "");
  r.libtorch_version = f.string_or("libtorch_version", "");
  r.curve = parse_curve(f);
  const Json& suggestions = f.require("suggestions");
  if (!suggestions.is_array()) f.fail("suggestions", "an array", suggestions);
  for (std::size_t i = 0; i < suggestions.size(); ++i) {
    r.suggestions.push_back(parse_suggestion(suggestions[i], fmt::format("suggestions[{}]", i), source));
  }
  r.chosen_method = parse_name<Method>(f, f.require("chosen_method"), "chosen_method", method_from_string);
  r.decision = f.string_or("decision", "");
  r.trained = f.boolean("trained");
  r.group_max_lrs = f.numbers_or_empty("group_max_lrs");
  if (const Json* probes = f.find("probes"); probes && !probes->is_null()) {
    if (!probes->is_array()) f.fail("probes", "an array", *probes);
    for (std::size_t i = 0; i < probes->size(); ++i) {
      r.probes.push_back(parse_probe((*probes)[i], fmt::format("probes[{}]", i), source));
    }
  }
  if (const Json* schedule = f.find("schedule"); schedule && !schedule->is_null()) {
    r.schedule = parse_schedule(*schedule, source);
  }
  if (const Json* epochs = f.find("epochs"); epochs && !epochs->is_null()) {
    if (!epochs->is_array()) f.fail("epochs", "an array", *epochs);
    for (std::size_t i = 0; i < epochs->size(); ++i) {
      r.epochs.push_back(parse_epoch((*epochs)[i], fmt::format("epochs[{}]", i), source));
    }
  }
  if (const Json* optimizer = f.find("optimizer"); optimizer && !optimizer->is_null()) {
    const Fields o(*optimizer, "optimizer", source);
    r.optimizer = o.string_or("name", "");
    if (const Json* options = o.find("options"); options && !options->is_null()) {
      if (!options->is_object()) o.fail("optimizer.options", "an object of strings", *options);
      for (const auto& [key, value] : options->items()) {
        r.optimizer_options.emplace_back(key, value.is_string() ? value.get<std::string>() : detail::json_text(value));
      }
    }
  }
  r.parameter_count = f.integer_or("parameter_count", 0);
  r.wall_seconds = f.number_or("wall_seconds", 0);
  return r;
}

void write_run_record(const RunRecord& record, const std::string& path) {
  const std::string text = run_record_json(record);
  detail::AtomicFile file(path);
  file.write(text);
  file.commit();
}

RunRecord read_run_record(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw FormatError(fmt::format("{}: cannot be read: {}", path, std::strerror(errno)));
  std::string text;
  char buffer[1 << 16];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    text.append(buffer, static_cast<std::size_t>(in.gcount()));
    if (text.size() > kMaxRecordBytes) {
      throw FormatError(fmt::format("{}: larger than {} MiB: not a run record", path, kMaxRecordBytes >> 20));
    }
  }
  if (in.bad()) throw FormatError(fmt::format("{}: cannot be read: {}", path, std::strerror(errno)));
  return parse_run_record(text, path);
}

std::string utc_timestamp() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

std::string unique_run_name() {
  static std::atomic<unsigned long> counter{0};
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &utc);
  return fmt::format("run-{}-p{}-{}", stamp, ::getpid(), ++counter);
}

bool valid_run_name(const std::string& name, std::string* why) {
  const auto no = [&](const char* reason) {
    if (why) *why = reason;
    return false;
  };
  if (name.empty()) return no("it is empty");
  if (name.size() > 200) return no("it is longer than 200 bytes");
  if (name == "." || name == "..") return no("it is not a file name");
  for (char c : name) {
    if (c == '/' || c == '\\') return no("it has a '/' or '\\': a name, not a path");
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) return no("it has a control character");
  }
  return true;
}

}  // namespace autolr
