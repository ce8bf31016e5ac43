// The suggestion-quality benchmark: records every task (range-test curve and a
// grid of one-cycle fits) that bench/quality/data/ lacks, then scores every
// suggester on all of them and writes results.md and regret.svg.
//
//   build/bench/quality_bench [--data DIR] [--out DIR] [--rerecord] [--only NAME]...
//
// Recording all 33 tasks takes about 12 minutes on 2 cores, their fits with
// the learning-rate-free optimizers about 4 more; scoring, a second.

#include <torch/torch.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "autolr/error.h"
#include "core/text_file.h"
#include "lr_free.h"
#include "lr_free_score.h"
#include "record.h"
#include "score.h"
#include "tasks.h"

namespace {

struct Arguments {
  std::string data = AUTOLR_QUALITY_DIR "/data";
  std::string out = AUTOLR_QUALITY_DIR;
  bool rerecord = false;
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
    } else if (arg == "--rerecord") {
      a.rerecord = true;
    } else {
      throw autolr::InvalidArgument("quality_bench: unknown argument '" + arg +
                                    "'; expected --data DIR, --out DIR, --rerecord, --only NAME");
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

  std::vector<std::string> names;
  for (const autolr::quality::Task& task : autolr::quality::all_tasks()) {
    names.push_back(task.name);
    const bool recorded = fs::exists(args.data + "/" + task.name + ".grid.csv");
    if (!wanted(args, task.name) || (recorded && !args.rerecord)) continue;
    std::fprintf(stderr, "recording %s\n", task.name.c_str());
    autolr::quality::record_task(task, args.data);
  }
  for (const autolr::quality::Task& task : autolr::quality::all_tasks()) {
    const bool recorded = fs::exists(args.data + "/" + task.name + ".lrfree.csv");
    if (!wanted(args, task.name) || (recorded && !args.rerecord)) continue;
    std::fprintf(stderr, "recording %s with the LR-free optimizers\n", task.name.c_str());
    autolr::quality::record_lr_free(task, args.data);
  }

  std::vector<autolr::quality::RecordedTask> tasks;
  for (const std::string& name : names)
    if (fs::exists(args.data + "/" + name + ".grid.csv"))
      tasks.push_back(autolr::quality::read_recorded_task(args.data, name));
  std::vector<autolr::Method> methods = autolr::all_methods();
  std::vector<std::vector<autolr::quality::Score>> scores;
  for (const auto& task : tasks) scores.push_back(autolr::quality::score_task(task, methods));

  std::vector<std::vector<autolr::quality::LrFreeFit>> lr_free;
  for (const auto& task : tasks) {
    const std::string file = args.data + "/" + task.record.name + ".lrfree.csv";
    lr_free.push_back(fs::exists(file) ? autolr::quality::read_lr_free_fits(file)
                                       : std::vector<autolr::quality::LrFreeFit>{});
  }
  const std::string markdown =
      autolr::quality::results_markdown(tasks, scores, methods) +
      autolr::quality::lr_free_markdown(tasks, lr_free, scores, autolr::quality::lr_free_methods());
  autolr::detail::write_text_file(args.out + "/results.md", markdown);
  autolr::detail::write_text_file(args.out + "/regret.svg", autolr::quality::regret_svg(tasks, scores, methods));
  std::fputs(markdown.c_str(), stdout);
  return 0;
} catch (const std::exception& error) {
  std::fprintf(stderr, "quality_bench: %s\n", error.what());
  return 1;
}
