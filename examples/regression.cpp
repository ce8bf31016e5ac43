// A regression with auto_fit: mean squared error, no metric, Adam. The loss
// scale is nothing like classification's, which is where a fixed slide-rule
// threshold goes wrong and the scale-free suggesters still answer. auto_fit
// runs in its verified mode (probe fits).
//
//   build/examples/regression [epochs] [plot.svg]

#include <autolr/auto_fit.h>
#include <autolr/trainer.h>
#include <torch/torch.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>

int main(int argc, char** argv) {
  const int64_t epochs = argc > 1 ? std::atoll(argv[1]) : 5;
  torch::manual_seed(0);
  // y = sin(3 x1) + x2^2 + noise, in units of a few hundred.
  const auto make = [](int64_t n) {
    const auto x = torch::rand({n, 2}) * 2 - 1;
    const auto y = 200 * (torch::sin(3 * x.select(1, 0)) + x.select(1, 1).pow(2)) + 5 * torch::randn({n});
    return std::make_pair(x, y.unsqueeze(1));
  };
  const auto [x, y] = make(4096);
  const auto [x_valid, y_valid] = make(1024);

  torch::nn::Sequential model(torch::nn::Linear(2, 64), torch::nn::Tanh(), torch::nn::Linear(64, 64), torch::nn::Tanh(),
                              torch::nn::Linear(64, 1));
  torch::optim::Adam optimizer(model->parameters(), 1e-3);
  autolr::Trainer trainer(
      model, optimizer,
      [](const torch::Tensor& out, const torch::Tensor& target) { return torch::mse_loss(out, target); },
      autolr::batches(autolr::split_into_batches(x, y, 64)), autolr::TrainerOptions().progress(false));
  trainer.set_validation_data(autolr::batches(autolr::split_into_batches(x_valid, y_valid, 256)));

  const double before = trainer.evaluate(*autolr::batches(autolr::split_into_batches(x_valid, y_valid, 256))).loss;
  // The verified mode, auto_fit's default: short probe fits around the
  // suggestion choose the LR. This curve does not blow up before end_lr, so
  // auto would answer its last point; fastai's minimum/10 is below it.
  // [readme-probe]
  auto report = autolr::auto_fit(trainer, epochs, autolr::AutoFitOptions().method(autolr::Method::Minimum));
  // [readme-probe]
  // The curve, the probes' losses at their LRs and the LR trained with.
  if (argc > 2) autolr::write_svg(argv[2], report);
  if (!report.trained) return 1;
  const double after = *report.history.back().valid_loss;
  std::printf("validation RMSE %.1f -> %.1f\n", std::sqrt(before), std::sqrt(after));
  return after < before / 4 ? 0 : 1;
}
