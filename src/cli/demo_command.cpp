#include "cli/demo_command.h"

#include <fmt/format.h>
#include <torch/torch.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>
#include <utility>
#include <vector>

#include "autolr/auto_fit.h"
#include "autolr/curve_csv.h"
#include "autolr/error.h"
#include "autolr/plot.h"
#include "autolr/record.h"
#include "autolr/trainer.h"
#include "cli/bad_option.h"
#include "cli/demo_models.h"
#include "cli/exit_status.h"
#include "cli/json_output.h"
#include "cli/number_options.h"
#include "cli/run_program.h"
#include "core/json_text.h"
#include "core/printable.h"
#include "core/text_file.h"
#include "demo/fashion_mnist.h"

namespace autolr::cli {
namespace {

namespace fs = std::filesystem;

// Fashion-MNIST's mean and standard deviation over the training images.
constexpr double kMean = 0.2860;
constexpr double kStd = 0.3530;
constexpr int64_t kValidationImages = 5000;

struct DemoArguments {
  std::string device = "cpu";
  int64_t epochs = 4;
  // autolr's own suggester, as auto_fit's default (bench/quality/results.md).
  // fastai's valley reads the lagging smoothed loss and picks 5e-4 here,
  // which reaches 85% test accuracy (measured, seed 0).
  std::string method = to_string(kDefaultMethod);
  std::string model = "cnn";
  int64_t batch_size = 128;
  int64_t seed = 0;
  std::string data_dir = kFashionMnistDirectory;
  std::string out_dir = "autolr-demo";
  int threads = 0;
  bool no_progress = false;
  bool no_probe = false;
  std::string record_dir;  // empty: no run record
  std::string run_name;    // empty: unique_run_name()
  std::vector<std::string> tags;
};

// The files a run writes in --out-dir.
constexpr const char* kCurveFile = "curve.csv";
constexpr const char* kSvgFile = "lr_finder.svg";
constexpr const char* kPngFile = "lr_finder.png";
constexpr const char* kReportFile = "report.json";

void check(const DemoArguments& a) {
  // These go into report.json and the run record, whose JSON must be UTF-8:
  // refused now rather than shown as U+FFFD (or failing) after the fit.
  const std::vector<std::pair<const char*, const std::string*>> texts = {{"--data-dir", &a.data_dir},
                                                                         {"--out-dir", &a.out_dir},
                                                                         {"--record-dir", &a.record_dir},
                                                                         {"--run-name", &a.run_name}};
  for (const auto& [option, value] : texts) {
    if (!detail::valid_utf8(*value)) bad_option(option, *value, "valid UTF-8 (it goes into the JSON report)");
  }
  for (const auto& tag : a.tags) {
    if (!detail::valid_utf8(tag)) bad_option("--tag", tag, "valid UTF-8 (it goes into the run record)");
  }
  if (a.device != "cpu" && a.device != "cuda") bad_option("--device", a.device, "cpu or cuda");
  if (a.device == "cuda" && !torch::cuda::is_available())
    bad_option("--device", a.device, "a CUDA device; none is available");
  if (a.epochs < 1) bad_option("--epochs", std::to_string(a.epochs), "at least 1");
  if (a.batch_size < 1) bad_option("--batch-size", std::to_string(a.batch_size), "at least 1");
  if (a.threads < 0) bad_option("--threads", std::to_string(a.threads), "0 (all cores) or more");
  if (a.model != "cnn" && a.model != "mlp") bad_option("--model", a.model, "cnn or mlp");
  std::string why;
  if (!a.run_name.empty() && !valid_run_name(a.run_name, &why)) {
    bad_option("--run-name", a.run_name, "a name for a file (" + why + ")");
  }
  std::error_code error;
  if (!a.record_dir.empty() && fs::exists(a.record_dir, error) && !fs::is_directory(a.record_dir, error)) {
    bad_option("--record-dir", a.record_dir, "a folder (this is a file)");
  }
  try {
    if (method_from_string(a.method) == Method::DescentStart) throw InvalidArgument("");
  } catch (const InvalidArgument&) {
    bad_option("--method", a.method, "one of " + method_names(all_methods()));
  }
}

// Prints each epoch of the fit as it ends.
class EpochPrinter : public Callback {
 public:
  explicit EpochPrinter(const Trainer& trainer) : trainer_(trainer) {}
  void on_epoch_end(FitContext& context) override {
    const EpochRecord& e = trainer_.history().back();
    std::cout << fmt::format("epoch {}/{}: train loss {:.4f}, valid loss {:.4f}, valid accuracy {:.2f}% ({:.1f} s)\n",
                             e.epoch + 1, context.epochs, e.train_loss, e.valid_loss.value_or(NAN),
                             100 * e.metric.value_or(NAN), e.seconds)
              << std::flush;
  }

 private:
  const Trainer& trainer_;
};

// What could not be written, collected so that every output is tried and
// the results are printed whatever fails: a fit that took minutes is never
// lost to one file (a full disk, a name taken by a folder).
class Outputs {
 public:
  // Runs `write`, then prints "wrote <path>"; when it throws, keeps why.
  bool write(const fs::path& path, const std::function<void()>& writer) {
    try {
      writer();
    } catch (const std::exception& e) {
      failures_.push_back(path.filename().string() + " (" + autolr::detail::for_message(e.what(), 400) + ")");
      return false;
    }
    std::cout << "wrote " << path.string() << '\n';
    return true;
  }
  void failed(const std::string& what) { failures_.push_back(what); }
  const std::vector<std::string>& failures() const { return failures_; }

 private:
  std::vector<std::string> failures_;
};

// Before this run writes anything: a run cut short (killed after its curve,
// before its report) must not leave its files beside the previous run's, so
// the folder holds one run's outputs or none. Only files go: a folder of one
// of these names is nobody's output, and writing there fails later.
void remove_previous_outputs(const fs::path& out) {
  for (const char* name : {kCurveFile, kSvgFile, kPngFile, kReportFile}) {
    std::error_code error;
    const fs::path path = out / name;
    const fs::file_status status = fs::symlink_status(path, error);
    if (!fs::exists(status) || fs::is_directory(status)) continue;
    if (!fs::remove(path, error) && error) {
      throw FormatError(
          fmt::format("--out-dir = {}: cannot remove the previous run's {} ({}), expected a folder "
                      "this run can write to",
                      autolr::detail::for_message(out.string()), name, error.message()));
    }
  }
}

// The curve, its picture, and a PNG of it when rsvg-convert is there.
void write_pictures(const fs::path& out, const AutoFitReport& report, Outputs& outputs) {
  const fs::path csv = out / kCurveFile;
  outputs.write(csv, [&] { write_curve_csv(report.curve, csv.string()); });
  const fs::path svg = out / kSvgFile;
  const bool have_svg = outputs.write(
      svg, [&] { write_svg(svg.string(), report, PlotOptions().title("LR range test, Fashion-MNIST")); });
  if (!have_svg) return;
  // Rendered beside the final name and renamed, so a failed or cut-short
  // conversion never leaves a broken PNG behind. Optional: no PNG is no error.
  const fs::path png = out / kPngFile;
  const fs::path partial = out / fmt::format(".lr_finder.png.{}.tmp", ::getpid());
  const ProgramResult converted = run_program({"rsvg-convert", "-o", partial.string(), svg.string()});
  std::error_code ignored;
  if (converted.succeeded()) {
    fs::rename(partial, png, ignored);
    if (!ignored) std::cout << "wrote " << png.string() << '\n';
  } else {
    fs::remove(partial, ignored);
    if (converted.found) std::cerr << "autolr demo: no PNG: " << converted.error << '\n';
  }
}

struct ImageCounts {
  int64_t train, valid, test;
};

nlohmann::ordered_json report_json(const DemoArguments& a, const ImageCounts& images, const AutoFitReport& report,
                                   const std::optional<Evaluation>& test, double seconds) {
  nlohmann::ordered_json suggestions = nlohmann::ordered_json::array();
  for (const auto& s : report.suggestions) suggestions.push_back(to_json(s));
  nlohmann::ordered_json epochs = nlohmann::ordered_json::array();
  for (const auto& e : report.history) {
    epochs.push_back({{"epoch", e.epoch + 1},
                      {"train_loss", e.train_loss},
                      {"valid_loss", e.valid_loss.value_or(NAN)},
                      {"valid_accuracy", e.metric.value_or(NAN)},
                      {"seconds", e.seconds}});
  }
  nlohmann::ordered_json out = {
      {"data", {{"directory", a.data_dir}, {"train", images.train}, {"valid", images.valid}, {"test", images.test}}},
      {"model", a.model},
      {"device", a.device},
      {"seed", a.seed},
      {"threads", torch::get_num_threads()},
      {"batch_size", a.batch_size},
      {"range_test", {{"steps", report.curve.size()}, {"stop_reason", to_string(report.curve.stop_reason())}}},
      {"suggestions", suggestions},
      {"descent_start", to_json(report.descent_start)},
      {"method", a.method},
      {"decision", report.decision},
      {"trained", report.trained},
      {"max_lr", report.group_max_lrs},
      {"epochs", epochs},
      {"seconds", seconds}};
  if (report.schedule) {
    out["schedule"] = {{"total_steps", report.schedule->total_steps().value_or(0)},
                       {"pct_start", report.schedule->pct_start()},
                       {"div_factor", report.schedule->div_factor()},
                       {"final_div_factor", report.schedule->final_div_factor()}};
  }
  if (report.probe) {
    nlohmann::ordered_json fits = nlohmann::ordered_json::array();
    for (const ProbeFit& f : report.probe->fits) {
      fits.push_back({{"offset", f.offset},
                      {"max_lr", f.group_max_lrs},
                      {"loss", f.loss},  // null when it diverged to infinity
                      {"diverged", f.diverged},
                      {"steps", f.steps}});
    }
    out["probes"] = {
        {"steps_per_probe", report.probe->steps_per_probe},
        {"fits", fits},
        {"chosen_offset", report.probe->chosen_offset ? nlohmann::ordered_json(*report.probe->chosen_offset)
                                                      : nlohmann::ordered_json(nullptr)}};
  }
  if (test) out["test"] = {{"loss", test->loss}, {"accuracy", test->metric.value_or(NAN)}};
  if (!report.record_path.empty()) out["run_record"] = report.record_path;
  return out;
}

int run_demo(const DemoArguments& a) {
  check(a);
  const auto started = std::chrono::steady_clock::now();
  const auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  };
  torch::set_num_threads(a.threads > 0 ? a.threads
                                       : static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
  torch::manual_seed(static_cast<uint64_t>(a.seed));
  const torch::Device device(a.device == "cuda" ? torch::kCUDA : torch::kCPU);

  ImageDataset train = read_fashion_mnist(a.data_dir, /*train=*/true);
  const ImageDataset test = read_fashion_mnist(a.data_dir, /*train=*/false);
  const fs::path out(a.out_dir);
  fs::create_directories(out);
  remove_previous_outputs(out);
  if (!a.record_dir.empty()) fs::create_directories(a.record_dir);  // as --out-dir
  Outputs outputs;
  const auto normalise = [](const torch::Tensor& images) { return images.sub(kMean).div(kStd); };
  const auto order = torch::randperm(train.images.size(0), torch::kLong);
  const auto valid_rows = order.narrow(0, 0, kValidationImages);
  const auto train_rows = order.narrow(0, kValidationImages, train.images.size(0) - kValidationImages);
  std::cout << fmt::format(
      "Fashion-MNIST from {}: {} training, {} validation, {} test images; model {}, {} thread(s)\n", a.data_dir,
      train_rows.size(0), kValidationImages, test.images.size(0), a.model, torch::get_num_threads());

  auto model = make_demo_model(a.model);
  torch::optim::SGD optimizer(model->parameters(), torch::optim::SGDOptions(0.01).momentum(0.9).weight_decay(5e-4));
  Trainer trainer(
      model, optimizer,
      [](const torch::Tensor& output, const torch::Tensor& target) {
        return torch::nn::functional::cross_entropy(output, target);
      },
      std::make_shared<ShuffledBatches>(normalise(train.images.index_select(0, train_rows)),
                                        train.labels.index_select(0, train_rows), a.batch_size),
      TrainerOptions().device(device).progress(!a.no_progress));
  trainer.set_validation_data(batches(split_into_batches(normalise(train.images.index_select(0, valid_rows)),
                                                         train.labels.index_select(0, valid_rows), 1000)));
  trainer.set_metric(accuracy());
  trainer.add_callback(std::make_shared<EpochPrinter>(trainer));

  const AutoFitOptions options =
      AutoFitOptions()
          .method(method_from_string(a.method))
          .probe(a.no_probe ? std::nullopt : std::optional<ProbeOptions>(ProbeOptions()))
          .print(false)
          .record_dir(a.record_dir)
          .run_name(a.run_name)
          .tags(a.tags)
          .before_fit([&](const AutoFitReport& report) {
            std::cout << report.suggestions_text();
            write_pictures(out, report, outputs);
            if (report.trained || report.group_max_lrs.size() > 0) {
              std::cout << fmt::format("one-cycle fit, {} epochs, max lr {:.4g}\n", a.epochs, report.group_max_lrs[0]);
            }
            std::cout << std::flush;
          });
  const AutoFitReport report = autolr::auto_fit(trainer, a.epochs, options);

  std::optional<Evaluation> test_result;
  if (report.trained) {
    test_result = trainer.evaluate(*batches(split_into_batches(normalise(test.images), test.labels, 1000)));
    std::cout << fmt::format("test accuracy {:.2f}% (test loss {:.4f}), {:.0f} s in all\n",
                             100 * test_result->metric.value_or(NAN), test_result->loss, elapsed());
  } else {
    std::cout << "no learning rate: not training (see the decision above)\n";
  }
  const fs::path json = out / kReportFile;
  const ImageCounts images{train_rows.size(0), valid_rows.size(0), test.images.size(0)};
  outputs.write(json, [&] {
    detail::write_text_file(json.string(),
                            detail::json_text(report_json(a, images, report, test_result, elapsed()), 2) + "\n");
  });
  if (!report.record_path.empty()) {
    std::cout << "wrote " << report.record_path << " (autolr report reads it)\n";
  } else if (!a.record_dir.empty()) {
    outputs.failed("the run record in " + autolr::detail::for_message(a.record_dir) + " (auto_fit said why above)");
  }
  if (!outputs.failures().empty()) {
    std::cout << std::flush;
    std::string failures;
    for (const auto& f : outputs.failures()) failures += (failures.empty() ? "" : "; ") + f;
    std::cerr << "autolr: demo: the results are above, but not written: " << failures << '\n';
    return kBadInput;
  }
  return report.trained ? kSuccess : kNoAnswer;
}

}  // namespace

void add_demo_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<DemoArguments>();
  CLI::App* cmd = app.add_subcommand("demo", "Range test, suggestions, plot and a one-cycle fit on Fashion-MNIST");
  cmd->add_option("--device", args->device, "cpu|cuda (cpu)");
  add_number(*cmd, "--epochs", args->epochs, "epochs of the one-cycle fit (4)");
  cmd->add_option("--method", args->method,
                  fmt::format("suggester for the max LR: {} (default {}; valley lags on this curve)",
                              method_names(all_methods()), to_string(kDefaultMethod)));
  cmd->add_option("--model", args->model, "cnn|mlp (cnn)");
  add_number(*cmd, "--batch-size", args->batch_size, "batch size (128)");
  add_number(*cmd, "--seed", args->seed, "random seed: same seed, same numbers (0)");
  cmd->add_option("--data-dir", args->data_dir, "directory of the gzipped IDX files (Debian's dataset-fashion-mnist)");
  cmd->add_option("--out-dir", args->out_dir,
                  "where the curve CSV, the plot and report.json go, replacing the previous run's (autolr-demo)");
  add_number(*cmd, "--threads", args->threads, "CPU threads; 0 for all cores (0)");
  cmd->add_flag("--no-progress", args->no_progress, "no progress bar");
  cmd->add_flag("--no-probe", args->no_probe,
                "no probe fits: train at the curve's answer (the verified mode's probes cost about 0.3 of the fit)");
  cmd->add_option("--record-dir", args->record_dir,
                  "write a run record <DIR>/<run name>.json for `autolr report` (created if missing; none by default)");
  cmd->add_option("--run-name", args->run_name, "the run's name in its record (default: from the time and process id)");
  cmd->add_option("--tag", args->tags, "a label kept in the run record, such as seed=1 (repeatable)")
      ->allow_extra_args(false);
  cmd->callback([args, &exit_code] { exit_code = run_demo(*args); });
}

}  // namespace autolr::cli
