// The suggestion-quality benchmark: records every task (range-test curve and a
// grid of one-cycle fits) that bench/quality/data/ lacks, then scores every
// suggester on all of them and writes results.md and regret.svg.
//
//   build/bench/quality_bench [--data DIR] [--out DIR] [--rerecord] [--only NAME]...
//                             [--orders N] [--record-only] [--design-table]
//   build/bench/quality_bench --quick DIR
//
// --quick records the second corpus's design part in one data order into DIR
// and scores it there: 9 tasks in about 3 minutes on one core, to try a
// change before the whole corpus (about an hour of fits on one core).
//
// Every task is recorded in kDataOrders data orders (--orders: fewer, for a
// quick look); a grid is scored by the mean over the orders it has. One order
// of the first corpus's 33 tasks takes about 12 minutes on one core, their
// fits with the learning-rate-free optimizers about 4 more; the second
// corpus's costs are in results.md. Scoring takes a second.

#include <torch/torch.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "autolr/error.h"
#include "core/text_file.h"
#include "design_table.h"
#include "lr_free.h"
#include "lr_free_score.h"
#include "probe_record.h"
#include "probe_score.h"
#include "record.h"
#include "score.h"
#include "tasks.h"

namespace {

struct Arguments {
  std::string data = AUTOLR_QUALITY_DIR "/data";
  std::string out = AUTOLR_QUALITY_DIR;
  bool rerecord = false;
  bool record_only = false;
  bool design_table = false;
  bool quick = false;
  int orders = autolr::quality::kDataOrders;
  std::vector<std::string> only;
};

Arguments parse(int argc, char** argv) {
  Arguments a;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--data" && has_value) {
      a.data = argv[++i];
    } else if (arg == "--out" && has_value) {
      a.out = argv[++i];
    } else if (arg == "--only" && has_value) {
      a.only.push_back(argv[++i]);
    } else if (arg == "--orders" && has_value) {
      const std::string value = argv[++i];
      a.orders =
          value.size() == 1 && value[0] >= '1' && value[0] <= '0' + autolr::quality::kDataOrders ? value[0] - '0' : 0;
      if (a.orders == 0)
        throw autolr::InvalidArgument("quality_bench: --orders '" + value + "': expected 1 to " +
                                      std::to_string(autolr::quality::kDataOrders));
    } else if (arg == "--rerecord") {
      a.rerecord = true;
    } else if (arg == "--record-only") {
      a.record_only = true;
    } else if (arg == "--quick" && has_value) {
      a.quick = true;
      a.data = a.out = argv[++i];
      a.orders = 1;
    } else if (arg == "--design-table") {
      a.design_table = true;
    } else {
      throw autolr::InvalidArgument("quality_bench: unknown argument '" + arg +
                                    "'; expected --data DIR, --out DIR, --rerecord, --only NAME, --orders N, "
                                    "--record-only, --design-table, --quick DIR");
    }
  }
  return a;
}

bool wanted(const Arguments& a, const std::string& name) {
  return a.only.empty() || std::find(a.only.begin(), a.only.end(), name) != a.only.end();
}

}  // namespace

int main(int argc, char** argv) try {
  namespace fs = std::filesystem;
  const Arguments args = parse(argc, argv);
  torch::set_num_threads(1);  // the same floating-point results on every machine size
  fs::create_directories(args.data);

  std::vector<autolr::quality::Task> all = autolr::quality::all_tasks();
  if (args.quick)
    all.erase(
        std::remove_if(all.begin(), all.end(),
                       [](const autolr::quality::Task& t) { return t.half != autolr::quality::Half::SecondDesign; }),
        all.end());
  // Order by order, so that a run cut short leaves whole orders behind. The
  // design table reads what is recorded and records nothing.
  for (int order = 1; order <= (args.design_table ? 0 : args.orders); ++order) {
    for (const autolr::quality::Task& task : all) {
      const std::string stem = args.data + "/" + task.name + autolr::quality::order_suffix(order);
      if (!wanted(args, task.name)) continue;
      if (args.rerecord || !fs::exists(stem + ".grid.csv")) {
        std::fprintf(stderr, "recording %s, data order %d\n", task.name.c_str(), order);
        autolr::quality::record_task(task, args.data, order);
      }
      if (args.rerecord || !fs::exists(stem + ".lrfree.csv")) {
        std::fprintf(stderr, "recording %s with the LR-free optimizers, data order %d\n", task.name.c_str(), order);
        autolr::quality::record_lr_free(task, args.data, order);
      }
    }
  }
  if (args.record_only) return 0;

  std::map<std::string, autolr::FitFacts> facts;
  for (const autolr::quality::Task& task : all) facts[task.name] = autolr::quality::fit_facts(task);
  autolr::quality::write_fit_facts(facts, args.data);
  std::vector<std::string> recorded;
  for (const autolr::quality::Task& task : all)
    if (fs::exists(args.data + "/" + task.name + ".grid.csv")) recorded.push_back(task.name);
  const std::vector<autolr::quality::RecordedTask> tasks = autolr::quality::read_recorded_tasks(args.data, recorded);
  if (args.design_table) {
    std::fputs(autolr::quality::design_table_csv(tasks).c_str(), stdout);
    return 0;
  }
  std::vector<autolr::Method> methods = autolr::all_methods();
  std::vector<std::vector<autolr::quality::Score>> scores, untold;
  for (const auto& task : tasks) {
    scores.push_back(autolr::quality::score_task(task, methods));
    untold.push_back(autolr::quality::score_task(task, {autolr::Method::Auto}, /*tell_fit=*/false));
  }

  // The verified mode: probes around auto's answer in each recorded order
  // (where auto answered), recorded where missing.
  const std::size_t auto_column =
      static_cast<std::size_t>(std::find(methods.begin(), methods.end(), autolr::Method::Auto) - methods.begin());
  std::vector<autolr::quality::Score> curve_only;
  std::vector<std::vector<autolr::quality::ProbeRecord>> probes;
  for (std::size_t t = 0; t < tasks.size(); ++t) {
    const autolr::quality::Score& answer = scores[t][auto_column];
    curve_only.push_back(answer);
    const std::string& name = tasks[t].record.name;
    for (int order = 1; answer.lr && order <= tasks[t].orders; ++order) {
      if (!args.rerecord && fs::exists(args.data + "/" + name + autolr::quality::order_suffix(order) + ".probe.csv"))
        continue;
      const auto task = std::find_if(all.begin(), all.end(), [&](const auto& k) { return k.name == name; });
      autolr::quality::record_probes(*task, *answer.lr, args.data, order);
    }
    probes.push_back(answer.lr ? autolr::quality::read_probe_records(args.data, name)
                               : std::vector<autolr::quality::ProbeRecord>{});
  }
  const double horizon_correction = autolr::quality::fit_horizon_correction(tasks, probes);

  std::vector<std::vector<autolr::quality::LrFreeFit>> lr_free;
  for (const auto& task : tasks)
    lr_free.push_back(
        autolr::quality::read_lr_free_fits_over_orders(args.data, task.record.name, task.record.initial_valid_loss));
  const std::string markdown =
      autolr::quality::results_markdown(tasks, scores, methods) +
      "\n# What the fit knows\n\n"
      "`auto` told the task's optimizer family and fit steps (as auto_fit tells it) against `auto` told nothing "
      "(one decade below the blow-up, the first auto's rule); both with the low-confidence policy.\n\n" +
      autolr::quality::fit_facts_markdown(tasks, scores, untold, methods) +
      "\n# Confidence\n\n`auto`'s regret by the confidence it gave, over every task (after the policy's second "
      "range test where there was one).\n\n" +
      autolr::quality::confidence_markdown(scores, methods) + "\n" +
      autolr::quality::second_range_test_markdown(tasks, 0.2) +
      autolr::quality::lr_free_markdown(tasks, lr_free, scores, autolr::quality::lr_free_methods()) +
      "\n# The verified mode: probe fits\n\n"
      "auto_fit with `probe(ProbeOptions())`: three one-cycle probes at auto's answer and half a decade either side, "
      "each 0.1 of the fit's steps, from the same state and data order, scored by validation loss (a probe that "
      "ends above the validation loss it started from has diverged; when all three do, they run once more 1.5 "
      "decades lower); the fit trains "
      "where they point (the parabola through the best and its neighbours) moved by the horizon correction, which "
      "is fitted here on the design part alone (least mean log regret; ProbeOptions' default is this value). Each data order probes on its own; a "
      "task's regret is the mean over its orders. Extra cost: the probes' steps over the fit's, and their measured "
      "time over one grid fit's at auto's answer (evaluations included).\n\n" +
      autolr::quality::probe_markdown(tasks, probes, curve_only, horizon_correction);
  autolr::detail::write_text_file(args.out + "/results.md", markdown);
  autolr::detail::write_text_file(args.out + "/regret.svg", autolr::quality::regret_svg(tasks, scores, methods));
  std::fputs(markdown.c_str(), stdout);
  return 0;
} catch (const std::exception& error) {
  std::fprintf(stderr, "quality_bench: %s\n", error.what());
  return 1;
}
