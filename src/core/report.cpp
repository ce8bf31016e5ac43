#include "autolr/report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <system_error>

#include "autolr/error.h"
#include "autolr/plot.h"
#include "core/atomic_file.h"
#include "core/check.h"
#include "core/json_text.h"
#include "core/printable.h"
#include "core/svg_canvas.h"

namespace autolr {
namespace {

namespace fs = std::filesystem;
using detail::escape_xml;

// ---------------------------------------------------------------------------
// Reading the folders
// ---------------------------------------------------------------------------

// A problem is one line, whatever the file name or the error holds.
std::string one_line(const std::string& text) { return detail::for_message(text, 600); }

bool is_json_name(const fs::path& path) { return path.extension() == ".json"; }

void find_records(const fs::path& folder, std::vector<fs::path>& files, std::vector<std::string>& problems) {
  std::error_code error;
  fs::directory_iterator it(folder, error);
  if (error) {
    problems.push_back(one_line(fmt::format("{}: cannot be read: {}", folder.string(), error.message())));
    return;
  }
  for (const fs::directory_iterator end; it != end; it.increment(error)) {
    if (error) break;
    const fs::directory_entry& entry = *it;
    std::error_code status_error;
    if (entry.is_symlink(status_error) && entry.is_directory(status_error)) continue;  // no cycles
    if (entry.is_directory(status_error)) {
      find_records(entry.path(), files, problems);
    } else if (is_json_name(entry.path())) {
      files.push_back(entry.path());  // unreadable or dangling ones too: read_run_record says why
    }
  }
  if (error) problems.push_back(one_line(fmt::format("{}: cannot be read: {}", folder.string(), error.message())));
}

// ---------------------------------------------------------------------------
// Reviewing
// ---------------------------------------------------------------------------

std::string lr_text(double lr) { return fmt::format("{:.3g}", lr); }

// The drawing order of suggestions and their colours, the same in the
// thumbnails, the legend and the detail plots (render_svg colours by position).
constexpr const char* kPalette[] = {"#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"};

int method_rank(Method m) {
  const auto& methods = all_methods();
  const auto it = std::find(methods.begin(), methods.end(), m);
  return it != methods.end() ? static_cast<int>(it - methods.begin()) : static_cast<int>(methods.size());
}
const char* method_color(Method m) { return kPalette[static_cast<std::size_t>(method_rank(m)) % std::size(kPalette)]; }
std::vector<Suggestion> in_method_order(std::vector<Suggestion> suggestions) {
  std::stable_sort(suggestions.begin(), suggestions.end(), [](const Suggestion& a, const Suggestion& b) {
    return method_rank(a.method) < method_rank(b.method);
  });
  return suggestions;
}

RunReview review(const RunCollection& runs, std::size_t index, const ReviewOptions& options,
                 const std::map<std::string, std::vector<std::size_t>>& by_name) {
  const RunRecord& r = runs.runs[index].record;
  RunReview row;
  row.run = index;
  const auto doubt = [&](const char* kind, std::string text) { row.doubts.push_back({kind, std::move(text)}); };

  const Suggestion* chosen = r.chosen();
  if (chosen) {
    row.chosen_lr = chosen->lr;
    row.confidence = chosen->confidence;
    for (const auto& w : chosen->warnings) row.warnings.push_back(to_string(w.kind));
  }
  if (r.curve.empty()) doubt("empty_curve", "the range test recorded nothing");
  if (!chosen || !chosen->lr) {
    std::string why = "no reason recorded";
    if (!chosen)
      why = "the record has no suggestion from it";
    else if (!chosen->warnings.empty())
      why = chosen->warnings.front().message;
    doubt("no_answer", fmt::format("no answer from {}: {}", to_string(r.chosen_method), why));
  } else if (!r.trained) {
    doubt("not_trained", "a learning rate was suggested but there was no fit");
  }
  if (row.confidence && !(*row.confidence >= options.min_confidence())) {
    doubt("low_confidence", fmt::format("low confidence {:.2f} (< {:g})", *row.confidence, options.min_confidence()));
  }
  if (!row.warnings.empty() && chosen && chosen->lr) {
    std::string kinds;
    for (const auto& k : row.warnings) kinds += (kinds.empty() ? "" : ", ") + k;
    doubt("warnings", fmt::format("{} warning{}: {}", row.warnings.size(), row.warnings.size() == 1 ? "" : "s", kinds));
  }
  if (row.chosen_lr && r.curve.size() >= 2 && *row.chosen_lr > 0) {
    const double lo = std::log(r.curve.lrs().front());
    const double hi = std::log(r.curve.lrs().back());
    row.lr_position = (std::log(*row.chosen_lr) - lo) / (hi - lo);
    const double edge = options.edge_fraction();
    const double at = *row.lr_position;
    if (at < 0 || at > 1) {
      doubt("lr_at_edge", fmt::format("chosen LR outside the range test's {} to {}", lr_text(r.curve.lrs().front()),
                                      lr_text(r.curve.lrs().back())));
    } else if (at < edge || at > 1 - edge) {
      doubt("lr_at_edge", fmt::format("chosen LR at the {} end of the range ({:.0f}% of its log span)",
                                      at < edge ? "low" : "high", 100 * at));
    }
  }

  std::vector<double> valid, train;
  std::optional<int64_t> diverged_at;
  for (const auto& e : r.epochs) {
    const bool finite = std::isfinite(e.train_loss) && (!e.valid_loss || std::isfinite(*e.valid_loss));
    if (!finite && !diverged_at) diverged_at = e.epoch;
    if (e.valid_loss) valid.push_back(*e.valid_loss);
    train.push_back(e.train_loss);
    if (e.metric) row.final_metric = *e.metric;
  }
  if (!valid.empty()) row.first_valid_loss = valid.front(), row.final_valid_loss = valid.back();
  if (!train.empty()) row.final_train_loss = train.back();
  if (diverged_at) {
    doubt("diverged", fmt::format("the fit diverged: a non-finite loss in epoch {}", *diverged_at + 1));
  } else if (valid.size() >= 2 && valid.back() >= valid.front()) {
    doubt("got_worse",
          fmt::format("ended worse than it began: valid loss {:.4g} \u2192 {:.4g}", valid.front(), valid.back()));
  } else if (valid.empty() && train.size() >= 2 && train.back() >= train.front()) {
    doubt("got_worse",
          fmt::format("ended worse than it began: train loss {:.4g} \u2192 {:.4g}", train.front(), train.back()));
  }

  const auto same = by_name.find(r.name);
  if (same != by_name.end() && same->second.size() > 1) {
    row.duplicate_name = true;
    std::string others;
    for (std::size_t other : same->second) {
      if (other != index) others += (others.empty() ? "" : ", ") + runs.runs[other].path;
    }
    doubt("duplicate_name", fmt::format("another run has this name: {}", others));
  }
  return row;
}

// ---------------------------------------------------------------------------
// Shared formatting
// ---------------------------------------------------------------------------

std::string html(const std::string& text) { return escape_xml(text); }

std::string optional_fixed(const std::optional<double>& v, const char* format) {
  return v ? fmt::format(fmt::runtime(format), *v) : std::string();
}
// A sort key: the shortest exact text, empty when missing or not finite.
std::string sort_value(const std::optional<double>& v) {
  return v && std::isfinite(*v) ? detail::format_double(*v) : std::string();
}

std::string loss_change(const RunReview& row) {
  if (!row.final_valid_loss) return "";
  if (row.first_valid_loss && *row.first_valid_loss != *row.final_valid_loss) {
    return fmt::format("{:.4f} \u2192 {:.4f}", *row.first_valid_loss, *row.final_valid_loss);
  }
  return fmt::format("{:.4f}", *row.final_valid_loss);
}

// "2024-05-01T12:34:56Z" as "2024-05-01 12:34"; other texts as they are.
std::string short_time(const std::string& iso) {
  if (iso.size() == 20 && iso[10] == 'T' && iso[19] == 'Z') return iso.substr(0, 10) + " " + iso.substr(11, 5);
  return iso;
}

std::string tags_text(const RunRecord& r) {
  std::string out;
  for (const auto& t : r.tags) out += (out.empty() ? "" : ", ") + t;
  return out;
}

// ---------------------------------------------------------------------------
// SVG pieces
// ---------------------------------------------------------------------------

constexpr int kThumbWidth = 150;
constexpr int kThumbHeight = 44;

// The range test as a small picture: the loss (as the suggesters read it), a
// tick at every suggestion and a dot at the chosen one.
std::string thumbnail(const RunRecord& r) {
  if (r.curve.size() < 2) return "";
  const double w = kThumbWidth, h = kThumbHeight, pad = 3;
  const std::vector<double>& lrs = r.curve.lrs();
  const std::vector<double>& losses = select_losses(r.curve, LossSeries::Auto);
  const double x_lo = std::log10(lrs.front()), x_hi = std::log10(lrs.back());
  const detail::Range range = detail::readable_range(losses);
  const double y_lo = range.low, y_hi = range.high;
  const auto x = [&](double lr) { return pad + (std::log10(lr) - x_lo) / (x_hi - x_lo) * (w - 2 * pad); };
  const auto y = [&](double loss) {
    const double t = (loss - y_lo) / (y_hi - y_lo);
    return h - pad - std::clamp(t, -0.05, 1.05) * (h - 2 * pad);
  };
  std::string out = fmt::format(
      R"(<svg class="thumb" xmlns="http://www.w3.org/2000/svg" width="{0}" height="{1}" viewBox="0 0 {0} {1}" role="img">)",
      kThumbWidth, kThumbHeight);
  std::string title = "range test, " + std::to_string(r.curve.size()) + " points";
  for (const auto& s : in_method_order(r.suggestions)) {
    title += "\n" + to_string(s.method) + ": " + (s.lr ? lr_text(*s.lr) : "no answer");
  }
  out += "<title>" + html(title) + "</title>";
  // At most ~75 points: a thumbnail needs no more, and 100 of them stay small.
  const std::size_t step = std::max<std::size_t>(1, (lrs.size() + 74) / 75);
  std::string points;
  const auto flush = [&] {
    if (!points.empty())
      out += R"(<polyline fill="none" stroke="#1f77b4" stroke-width="1.3" points=")" + points + "\"/>";
    points.clear();
  };
  for (std::size_t i = 0;; i = std::min(i + step, lrs.size() - 1)) {
    if (!std::isfinite(losses[i])) {
      flush();
    } else {
      points += fmt::format("{}{:.1f},{:.1f}", points.empty() ? "" : " ", x(lrs[i]), y(losses[i]));
    }
    if (i + 1 == lrs.size()) break;
  }
  flush();
  const Suggestion* chosen = r.chosen();
  for (const auto& s : r.suggestions) {
    if (!s.lr || !(*s.lr >= lrs.front() && *s.lr <= lrs.back())) continue;
    out += fmt::format(R"(<line x1="{0:.1f}" x2="{0:.1f}" y1="0" y2="{1}" stroke="{2}" stroke-width="{3}"/>)", x(*s.lr),
                       kThumbHeight, method_color(s.method), &s == chosen ? 2 : 1);
  }
  if (chosen && chosen->lr && chosen->index && *chosen->index < losses.size() &&
      std::isfinite(losses[*chosen->index])) {
    out += fmt::format(R"(<circle cx="{:.1f}" cy="{:.1f}" r="3" fill="{}" stroke="white"/>)", x(*chosen->lr),
                       y(losses[*chosen->index]), method_color(chosen->method));
  }
  return out + "</svg>";
}

// An SVG document of render_svg's, made ready to sit inside a page with
// others: no XML declaration, and ids (the clip paths) that no other plot has.
std::string inline_svg(std::string svg, const std::string& id_prefix) {
  if (svg.rfind("<?xml", 0) == 0) svg.erase(0, svg.find('\n') + 1);
  const auto replace_all = [&](const std::string& from, const std::string& to) {
    for (std::size_t at = svg.find(from); at != std::string::npos; at = svg.find(from, at + to.size())) {
      svg.replace(at, from.size(), to);
    }
  };
  replace_all("id=\"", "id=\"" + id_prefix);
  replace_all("url(#", "url(#" + id_prefix);
  return svg;
}

std::string anchor(std::size_t run) { return fmt::format("run-{}", run + 1); }

// Chosen LR (log x) against the final validation loss, a dot per run linked to its details.
std::string scatter(const RunCollection& runs, const std::vector<RunReview>& rows, std::size_t& left_out) {
  struct Dot {
    double lr, loss;
    const RunReview* row;
  };
  std::vector<Dot> dots;
  for (const auto& row : rows) {
    if (row.chosen_lr && *row.chosen_lr > 0 && std::isfinite(*row.chosen_lr) && row.final_valid_loss &&
        std::isfinite(*row.final_valid_loss)) {
      dots.push_back({*row.chosen_lr, *row.final_valid_loss, &row});
    }
  }
  left_out = rows.size() - dots.size();
  if (dots.empty()) return "";
  const auto [lr_lo, lr_hi] =
      std::minmax_element(dots.begin(), dots.end(), [](auto& a, auto& b) { return a.lr < b.lr; });
  const auto [l_lo, l_hi] =
      std::minmax_element(dots.begin(), dots.end(), [](auto& a, auto& b) { return a.loss < b.loss; });
  const double x_lo = lr_lo->lr / 1.5, x_hi = lr_hi->lr * 1.5;
  const double span = std::max(l_hi->loss - l_lo->loss, 1e-9 * std::max(1.0, std::abs(l_lo->loss)));
  const double y_lo = l_lo->loss - 0.08 * span, y_hi = l_hi->loss + 0.08 * span;
  constexpr int kWidth = 720, kHeight = 380;
  detail::SvgCanvas svg(kWidth, kHeight);
  const detail::Box box{80, 20, kWidth - 110.0, kHeight - 80.0};
  const detail::Scale x(x_lo, x_hi, box.left, box.right(), true);
  const detail::Scale y(y_lo, y_hi, box.bottom(), box.top, false);
  detail::draw_axes(svg, box, x, y, "chosen learning rate (log scale)", "final validation loss");
  std::string marks;
  for (const Dot& d : dots) {
    const RunRecord& r = runs.runs[d.row->run].record;
    marks += fmt::format(
        R"(<a href="#{}"><circle cx="{:.1f}" cy="{:.1f}" r="5" fill="{}" fill-opacity="0.8" stroke="white"><title>{}: lr {}, valid loss {:.4f}{}</title></circle></a>)",
        anchor(d.row->run), x(d.lr), y(d.loss), d.row->needs_look() ? "#d62728" : "#1f77b4", html(r.name),
        lr_text(d.lr), d.loss, d.row->needs_look() ? " (look at it)" : "");
    marks += '\n';
  }
  std::string out = inline_svg(svg.finish(), "scatter-");
  out.insert(out.rfind("</svg>"), marks);
  return out;
}

// ---------------------------------------------------------------------------
// The page
// ---------------------------------------------------------------------------

constexpr const char* kStyle = R"css(
:root{color-scheme:light}
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;margin:1.5em auto;max-width:1400px;padding:0 1em;color:#222;background:#fff}
h1{font-size:1.5em;margin:0 0 .3em}
h2{font-size:1.2em;margin:1.5em 0 .5em}
.meta{color:#555}
table{border-collapse:collapse}
th,td{padding:3px 5px;border-bottom:1px solid #e3e3e3;text-align:left;vertical-align:middle}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
td.n{white-space:nowrap}
td.name{min-width:9em;overflow-wrap:anywhere}
td.why{min-width:13em;max-width:24em}
#runs thead th{position:sticky;top:0;background:#f4f4f4;z-index:1}
#runs th button{all:unset;cursor:pointer;font-weight:600}
#runs th button:focus-visible{outline:2px solid #1f77b4}
#runs th[aria-sort=ascending] button::after{content:" \25B2"}
#runs th[aria-sort=descending] button::after{content:" \25BC"}
tr.look{background:#fff3f1}
tr.look td.why{color:#a11}
td.why ul{margin:0;padding-left:1.1em}
td.name a{font-weight:600}
.tags{color:#666;font-size:.9em}
svg.thumb{display:block;background:#fff;border:1px solid #ddd}
.legend span{display:inline-block;margin-right:1em}
.legend i{display:inline-block;width:10px;height:10px;border-radius:50%;margin-right:4px;vertical-align:-1px}
details.run{border:1px solid #ddd;border-radius:4px;margin:.4em 0;padding:.3em .7em}
details.run[open]{background:#fcfcfc}
details.run>summary{cursor:pointer;font-weight:600}
details.run>summary .why{font-weight:400;color:#a11}
details.run svg{max-width:100%;height:auto}
.decision{background:#f5f7fa;border-left:3px solid #1f77b4;padding:.3em .6em}
.skipped{color:#a11}
code{font-size:.95em}
)css";

// Sorting without a library: click a header (again to reverse), or open the
// page with #sort=KEY / #sort=-KEY. Rows without a value stay last either way.
constexpr const char* kScript = R"js(
(function () {
  "use strict";
  var table = document.getElementById("runs");
  if (!table) return;
  var body = table.tBodies[0];
  function order(row) { return Number(row.getAttribute("data-order")); }
  function value(row, key, numeric) {
    var cell = row.querySelector('[data-k="' + key + '"]');
    var v = cell ? cell.getAttribute("data-v") : "";
    if (v === null || v === "") return null;
    if (!numeric) return v.toLowerCase();
    var n = Number(v);
    return isNaN(n) ? null : n;
  }
  function sortBy(key, descending) {
    if (!/^[a-z]+$/.test(key)) return false;
    var th = table.querySelector('th[data-k="' + key + '"]');
    if (!th) return false;
    var numeric = th.getAttribute("data-type") === "num";
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = value(a, key, numeric), y = value(b, key, numeric);
      if (x === null || y === null) return x === y ? order(a) - order(b) : (x === null ? 1 : -1);
      var c = x < y ? -1 : x > y ? 1 : 0;
      return (descending ? -c : c) || order(a) - order(b);
    });
    rows.forEach(function (row) { body.appendChild(row); });
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (cell) { cell.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", descending ? "descending" : "ascending");
    table.setAttribute("data-sorted", (descending ? "-" : "") + key);
    return true;
  }
  Array.prototype.forEach.call(table.querySelectorAll("th[data-k] button"), function (button) {
    button.addEventListener("click", function () {
      var th = button.parentNode;
      sortBy(th.getAttribute("data-k"), th.getAttribute("aria-sort") === "ascending");
    });
  });
  function openTarget() {
    var fragment = decodeURIComponent(location.hash.slice(1));
    if (fragment.indexOf("sort=") === 0) {
      var key = fragment.slice(5), descending = key.charAt(0) === "-";
      sortBy(descending ? key.slice(1) : key, descending);
      return;
    }
    var target = fragment && document.getElementById(fragment);
    if (target && target.tagName === "DETAILS") { target.open = true; target.scrollIntoView(); }
  }
  window.addEventListener("hashchange", openTarget);
  openTarget();
  table.setAttribute("data-ready", "true");
})();
)js";

struct Column {
  const char* key;  // nullptr: not sortable
  const char* label;
  bool numeric;  // sorted as numbers
  bool right;    // aligned right
};
constexpr Column kColumns[] = {
    {"order", "#", true, true},
    {"name", "run", false, false},
    {"why", "look at", true, false},  // by the number of reasons
    {nullptr, "range test", false, false},
    {"lr", "chosen LR", true, true},
    {"method", "method", false, false},
    {"confidence", "conf.", true, true},
    {"warnings", "warn.", true, true},
    {"loss", "valid loss", true, true},
    {"metric", "metric", true, true},
    {"epochs", "epochs", true, true},
    {"created", "created", false, false},
};

std::string cell(const char* key, const std::string& sort, const std::string& content, const char* cls = "") {
  return fmt::format(R"(<td data-k="{}" data-v="{}"{}>{}</td>)", key, html(sort),
                     *cls ? fmt::format(R"( class="{}")", cls) : "", content);
}

std::string summary_row(const RunCollection& runs, const RunReview& row, std::size_t order) {
  const RunCollection::Run& run = runs.runs[row.run];
  const RunRecord& r = run.record;
  std::string why;
  if (row.needs_look()) {
    why = "<ul>";
    for (const auto& d : row.doubts) why += "<li>" + html(d.text) + "</li>";
    why += "</ul>";
  } else {
    why = "\u2014";
  }
  const std::string name = fmt::format(R"(<a href="#{}">{}</a>{})", anchor(row.run), html(r.name),
                                       r.tags.empty() ? "" : R"(<div class="tags">)" + html(tags_text(r)) + "</div>");
  std::string out = fmt::format(R"(<tr id="row-{}" data-order="{}"{}>)", row.run + 1, order,
                                row.needs_look() ? R"( class="look")" : "");
  out += cell("order", std::to_string(order), std::to_string(order + 1), "n");
  out += cell("name", r.name, name, "name");
  out += cell("why", std::to_string(row.doubts.size()), why, "why");
  out += "<td>" + thumbnail(r) + "</td>";
  out += cell("lr", sort_value(row.chosen_lr), row.chosen_lr ? lr_text(*row.chosen_lr) : "none", "n");
  out += cell("method", to_string(r.chosen_method), html(to_string(r.chosen_method)));
  out += cell("confidence", sort_value(row.confidence), optional_fixed(row.confidence, "{:.2f}"), "n");
  out += cell("warnings", std::to_string(row.warnings.size()), std::to_string(row.warnings.size()), "n");
  out += cell("loss", sort_value(row.final_valid_loss), html(loss_change(row)), "n");
  out += cell("metric", sort_value(row.final_metric), optional_fixed(row.final_metric, "{:.4f}"), "n");
  out += cell("epochs", std::to_string(r.epochs.size()), std::to_string(r.epochs.size()), "n");
  out += cell("created", r.created, html(short_time(r.created)), "time");
  return out + "</tr>\n";
}

std::string suggestions_table(const RunRecord& r) {
  std::string out =
      "<table><thead><tr><th>method</th><th class=\"n\">lr</th><th class=\"n\">index</th><th "
      "class=\"n\">confidence</th><th>warnings</th></tr></thead><tbody>\n";
  for (const auto& s : in_method_order(r.suggestions)) {
    std::string warnings;
    for (const auto& w : s.warnings) warnings += "<div>" + html(to_string(w.kind) + ": " + w.message) + "</div>";
    out += fmt::format(
        R"(<tr><td><i style="display:inline-block;width:9px;height:9px;border-radius:50%;background:{}"></i> {}{}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td><td>{}</td></tr>)",
        method_color(s.method), html(to_string(s.method)), s.method == r.chosen_method ? " (chosen)" : "",
        s.lr ? lr_text(*s.lr) : "none", s.index ? std::to_string(*s.index) : "", optional_fixed(s.confidence, "{:.2f}"),
        warnings);
    out += '\n';
  }
  return out + "</tbody></table>\n";
}

// Only for runs whose auto_fit ran its verified mode.
std::string probes_table(const RunRecord& r) {
  if (r.probes.empty()) return "";
  std::string out =
      "<p>Probe fits (verified mode), each from the same snapshot:</p>\n<table><thead><tr><th class=\"n\">offset "
      "(decades)</th><th class=\"n\">max lr</th><th class=\"n\">steps</th><th class=\"n\">loss</th><th "
      "class=\"n\">seconds</th></tr></thead><tbody>\n";
  for (const ProbeFit& p : r.probes) {
    std::string lrs;
    for (double lr : p.group_max_lrs) lrs += (lrs.empty() ? "" : ", ") + lr_text(lr);
    out += fmt::format(
        R"(<tr><td class="n">{:+.3g}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{:.1f}</td></tr>)",
        p.offset, lrs, p.steps, p.diverged ? fmt::format("{:.4g} (diverged)", p.loss) : fmt::format("{:.4g}", p.loss),
        p.seconds);
    out += '\n';
  }
  return out + "</tbody></table>\n";
}

std::string epochs_table(const RunRecord& r) {
  if (r.epochs.empty()) return "<p>No epochs: there was no fit.</p>\n";
  std::string out =
      "<table><thead><tr><th class=\"n\">epoch</th><th class=\"n\">steps</th><th class=\"n\">train loss</th><th "
      "class=\"n\">valid loss</th><th class=\"n\">metric</th><th class=\"n\">seconds</th></tr></thead><tbody>\n";
  for (const auto& e : r.epochs) {
    out += fmt::format(
        R"(<tr><td class="n">{}</td><td class="n">{}</td><td class="n">{:.4f}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{:.1f}</td></tr>)",
        e.epoch + 1, e.steps, e.train_loss, optional_fixed(e.valid_loss, "{:.4f}"), optional_fixed(e.metric, "{:.4f}"),
        e.seconds);
    out += '\n';
  }
  return out + "</tbody></table>\n";
}

std::string details_section(const RunCollection& runs, const RunReview& row) {
  const RunCollection::Run& run = runs.runs[row.run];
  const RunRecord& r = run.record;
  std::string why;
  for (const auto& d : row.doubts) why += (why.empty() ? "" : "; ") + d.text;
  std::string out = fmt::format(R"(<details class="run" id="{}"><summary>{}{}</summary>)", anchor(row.run),
                                html(r.name), why.empty() ? "" : R"( <span class="why">)" + html(why) + "</span>");
  out += '\n';
  std::string options;
  for (const auto& [key, value] : r.optimizer_options) options += (options.empty() ? "" : ", ") + key + " " + value;
  out += "<p class=\"meta\">";
  out += fmt::format("file <code>{}</code>; created {}; autolr {}{}", html(run.path),
                     html(r.created.empty() ? "?" : r.created), html(r.autolr_version.empty() ? "?" : r.autolr_version),
                     r.libtorch_version.empty() ? "" : ", LibTorch " + html(r.libtorch_version));
  if (!r.tags.empty()) out += "; tags " + html(tags_text(r));
  out += "<br>";
  if (!r.optimizer.empty())
    out += "optimizer " + html(r.optimizer) + (options.empty() ? "" : " (" + html(options) + ")") + "; ";
  out += fmt::format("{} parameters; {:.1f} s in all", r.parameter_count, r.wall_seconds);
  out += "</p>\n";
  out += "<p class=\"decision\">" + html(r.decision.empty() ? "(no decision recorded)" : r.decision) + "</p>\n";
  if (!r.curve.empty()) {
    try {
      out += "<div class=\"plot\">" +
             inline_svg(render_svg(r.curve, in_method_order(r.suggestions),
                                   PlotOptions()
                                       .width(760)
                                       .height(580)
                                       .title("LR range test")
                                       .probes(ProbeMarks::of_fit(
                                           r.probes, r.trained ? r.group_max_lrs : std::vector<double>{}))),
                        fmt::format("r{}-", row.run + 1)) +
             "</div>\n";
    } catch (const std::exception& e) {
      out += "<p class=\"skipped\">no plot: " + html(e.what()) + "</p>\n";
    }
  }
  out += fmt::format("<p>Range test: {} points, {}; stopped: {}.</p>\n", r.curve.size(),
                     r.curve.empty()
                         ? std::string("empty")
                         : fmt::format("lr {} to {}", lr_text(r.curve.lrs().front()), lr_text(r.curve.lrs().back())),
                     html(to_string(r.curve.stop_reason())));
  out += suggestions_table(r);
  out += probes_table(r);
  if (r.schedule) {
    const OneCycleOptions& o = *r.schedule;
    std::string max_lrs;
    for (double lr : o.max_lr()) max_lrs += (max_lrs.empty() ? "" : ", ") + lr_text(lr);
    out += fmt::format(
        "<p>One cycle: max LR {}; {} steps; pct_start {:g}; {} anneal; div_factor {:g}, final_div_factor {:g}{}.</p>\n",
        max_lrs, o.total_steps() ? std::to_string(*o.total_steps()) : "?", o.pct_start(),
        o.anneal() == Anneal::Cos ? "cos" : "linear", o.div_factor(), o.final_div_factor(),
        o.cycle_momentum() ? fmt::format("; momentum {:g} \u2192 {:g} \u2192 {:g}", o.max_momentum(), o.base_momentum(),
                                         o.max_momentum())
                           : "");
  }
  out += epochs_table(r);
  return out + "</details>\n";
}

std::string legend() {
  std::string out =
      "<p class=\"legend\">Thumbnails: loss against LR (log scale); a tick at each suggestion, a dot at the chosen "
      "one. ";
  std::vector<Method> methods = all_methods();
  methods.push_back(Method::DescentStart);
  for (Method m : methods) {
    out += fmt::format(R"(<span><i style="background:{}"></i>{}</span>)", method_color(m), html(to_string(m)));
  }
  return out + "</p>\n";
}

std::string sources_text(const ReportOptions& options) {
  std::string out;
  for (const auto& s : options.sources()) out += (out.empty() ? "" : ", ") + s;
  return out;
}

// ---------------------------------------------------------------------------
// The table as data
// ---------------------------------------------------------------------------

using Json = nlohmann::ordered_json;

Json number(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return v;
}
Json optional_number(const std::optional<double>& v) { return v ? number(*v) : Json(nullptr); }

std::string markdown(const std::string& text) {
  std::string out;
  for (char c : detail::for_message(text, 300)) {
    if (std::string_view("\\|<>`*[]").find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
  return out;
}

}  // namespace

RunCollection collect_run_records(const std::vector<std::string>& paths) {
  RunCollection out;
  std::vector<fs::path> files;
  for (const auto& path : paths) {
    std::error_code error;
    const fs::file_status status = fs::status(path, error);
    if (!fs::exists(status)) {
      out.problems.push_back(one_line(fmt::format("{}: no such file or folder", path)));
    } else if (fs::is_directory(status)) {
      std::vector<fs::path> found;
      find_records(path, found, out.problems);
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else {
      files.emplace_back(path);
    }
  }
  std::set<std::string> seen;
  for (const auto& file : files) {
    std::error_code error;
    const fs::path canonical = fs::weakly_canonical(file, error);
    if (!seen.insert(error ? file.string() : canonical.string()).second) continue;
    try {
      out.runs.push_back({file.string(), read_run_record(file.string())});
    } catch (const std::exception& e) {  // FormatError, or bad_alloc for a file too large to hold
      out.problems.push_back(one_line(e.what()));
    }
  }
  return out;
}

std::vector<RunReview> review_runs(const RunCollection& runs, const ReviewOptions& options) {
  std::map<std::string, std::vector<std::size_t>> by_name;
  for (std::size_t i = 0; i < runs.runs.size(); ++i) by_name[runs.runs[i].record.name].push_back(i);
  std::vector<RunReview> rows;
  for (std::size_t i = 0; i < runs.runs.size(); ++i) rows.push_back(review(runs, i, options, by_name));
  std::stable_sort(rows.begin(), rows.end(), [&](const RunReview& a, const RunReview& b) {
    if (a.doubts.size() != b.doubts.size()) return a.doubts.size() > b.doubts.size();
    const RunCollection::Run& x = runs.runs[a.run];
    const RunCollection::Run& y = runs.runs[b.run];
    if (x.record.name != y.record.name) return x.record.name < y.record.name;
    return x.path < y.path;
  });
  return rows;
}

std::string render_report_html(const RunCollection& runs, const ReportOptions& options) {
  const std::vector<RunReview> rows = review_runs(runs, options.review());
  const auto looks =
      static_cast<std::size_t>(std::count_if(rows.begin(), rows.end(), [](auto& r) { return r.needs_look(); }));
  std::string out;
  out.reserve(64 * 1024 + rows.size() * 48 * 1024);
  out += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  out += fmt::format("<title>{}: {} runs, {} to look at</title>\n", html(options.title()), rows.size(), looks);
  out += "<style>" + std::string(kStyle) + "</style>\n</head>\n<body>\n";
  out += "<h1>" + html(options.title()) + "</h1>\n";
  out += fmt::format(
      "<p class=\"meta\" id=\"summary\" data-runs=\"{}\" data-look=\"{}\">{} run{}, <strong>{} to look at</strong> "
      "(listed first){}. Written {} by autolr {}.</p>\n",
      rows.size(), looks, rows.size(), rows.size() == 1 ? "" : "s", looks,
      options.sources().empty() ? "" : ", from " + html(sources_text(options)), utc_timestamp(), kAutolrVersion);
  if (!runs.problems.empty()) {
    out += fmt::format("<details class=\"skipped\"{}><summary>{} file{} skipped</summary><ul>\n",
                       runs.problems.size() <= 10 ? " open" : "", runs.problems.size(),
                       runs.problems.size() == 1 ? "" : "s");
    for (const auto& p : runs.problems) out += "<li>" + html(p) + "</li>\n";
    out += "</ul></details>\n";
  }
  out += legend();
  out += "<table id=\"runs\">\n<thead><tr>";
  for (const Column& c : kColumns) {
    if (c.key) {
      out += fmt::format(R"(<th data-k="{}" data-type="{}"{}><button type="button">{}</button></th>)", c.key,
                         c.numeric ? "num" : "text", c.right ? R"( class="n")" : "", c.label);
    } else {
      out += fmt::format("<th>{}</th>", c.label);
    }
  }
  out += "</tr></thead>\n<tbody>\n";
  for (std::size_t i = 0; i < rows.size(); ++i) out += summary_row(runs, rows[i], i);
  out += "</tbody>\n</table>\n";

  std::size_t left_out = 0;
  const std::string plot = scatter(runs, rows, left_out);
  out += "<h2 id=\"scatter\">Chosen LR against final validation loss</h2>\n";
  if (plot.empty()) {
    out += "<p>No run has both a chosen LR and a validation loss.</p>\n";
  } else {
    out += "<div class=\"plot\">" + plot + "</div>\n";
    out += fmt::format("<p class=\"meta\">Red: runs to look at. {}</p>\n",
                       left_out ? fmt::format("{} run{} without a chosen LR or a validation loss not shown.", left_out,
                                              left_out == 1 ? "" : "s")
                                : "");
  }
  out += "<h2 id=\"details\">Runs</h2>\n";
  for (const auto& row : rows) out += details_section(runs, row);
  out += "<script>" + std::string(kScript) + "</script>\n</body>\n</html>\n";
  return out;
}

std::string render_report_markdown(const RunCollection& runs, const ReportOptions& options) {
  const std::vector<RunReview> rows = review_runs(runs, options.review());
  const auto looks = std::count_if(rows.begin(), rows.end(), [](auto& r) { return r.needs_look(); });
  std::string out = "# " + markdown(options.title()) + "\n\n";
  out += fmt::format("{} runs, {} to look at (listed first){}.\n\n", rows.size(), looks,
                     options.sources().empty() ? "" : ", from " + markdown(sources_text(options)));
  out +=
      "| # | run | look at | chosen LR | method | confidence | warnings | valid loss | metric | epochs | tags | file "
      "|\n";
  out += "|--:|---|---|--:|---|--:|--:|--:|--:|--:|---|---|\n";
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const RunReview& row = rows[i];
    const RunCollection::Run& run = runs.runs[row.run];
    std::string why;
    for (const auto& d : row.doubts) why += (why.empty() ? "" : "; ") + d.text;
    out +=
        fmt::format("| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n", i + 1, markdown(run.record.name),
                    why.empty() ? "-" : markdown(why), row.chosen_lr ? lr_text(*row.chosen_lr) : "none",
                    markdown(to_string(run.record.chosen_method)), optional_fixed(row.confidence, "{:.2f}"),
                    row.warnings.size(), loss_change(row), optional_fixed(row.final_metric, "{:.4f}"),
                    run.record.epochs.size(), markdown(tags_text(run.record)), markdown(run.path));
  }
  if (!runs.problems.empty()) {
    out += fmt::format("\n{} file{} skipped:\n\n", runs.problems.size(), runs.problems.size() == 1 ? "" : "s");
    for (const auto& p : runs.problems) out += "- " + markdown(p) + "\n";
  }
  return out;
}

std::string render_report_json(const RunCollection& runs, const ReportOptions& options) {
  const std::vector<RunReview> rows = review_runs(runs, options.review());
  Json table = Json::array();
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const RunReview& row = rows[i];
    const RunCollection::Run& run = runs.runs[row.run];
    const RunRecord& r = run.record;
    Json doubts = Json::array();
    for (const auto& d : row.doubts) doubts.push_back({{"kind", d.kind}, {"text", d.text}});
    Json tags = Json::array();
    for (const auto& t : r.tags) tags.push_back(t);
    table.push_back({{"rank", i + 1},
                     {"name", r.name},
                     {"file", run.path},
                     {"needs_look", row.needs_look()},
                     {"why", doubts},
                     {"chosen_method", to_string(r.chosen_method)},
                     {"chosen_lr", optional_number(row.chosen_lr)},
                     {"lr_position", optional_number(row.lr_position)},
                     {"confidence", optional_number(row.confidence)},
                     {"warnings", row.warnings},
                     {"trained", r.trained},
                     {"epochs", r.epochs.size()},
                     {"first_valid_loss", optional_number(row.first_valid_loss)},
                     {"final_valid_loss", optional_number(row.final_valid_loss)},
                     {"final_train_loss", optional_number(row.final_train_loss)},
                     {"final_metric", optional_number(row.final_metric)},
                     {"tags", tags},
                     {"created", r.created},
                     {"libtorch_version", r.libtorch_version},
                     {"wall_seconds", number(r.wall_seconds)},
                     {"duplicate_name", row.duplicate_name}});
  }
  const Json out = {{"schema", "autolr.report.v1"},
                    {"title", options.title()},
                    {"sources", options.sources()},
                    {"runs", table},
                    {"skipped", runs.problems}};
  return detail::json_text(out, 2) + "\n";
}

std::string render_report(const RunCollection& runs, ReportFormat format, const ReportOptions& options) {
  switch (format) {
    case ReportFormat::Markdown:
      return render_report_markdown(runs, options);
    case ReportFormat::Json:
      return render_report_json(runs, options);
    case ReportFormat::Html:
      break;
  }
  return render_report_html(runs, options);
}

void write_report(const std::string& path, const RunCollection& runs, ReportFormat format,
                  const ReportOptions& options) {
  const std::string text = render_report(runs, format, options);
  detail::AtomicFile file(path);
  file.write(text);
  file.commit();
}

}  // namespace autolr
