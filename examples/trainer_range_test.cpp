// Attach the range test to autolr's Trainer, read the suggestion, and train.
// The model and optimizer come back from the range test exactly as they were.
//
//   build/examples/trainer_range_test

#include <autolr/lr_finder.h>
#include <autolr/trainer.h>
#include <torch/torch.h>

#include <cstdio>

int main() {
  // Three classes, labelled by a random linear rule.
  torch::manual_seed(0);
  const torch::Tensor rule = torch::randn({20, 3});
  const torch::Tensor x = torch::randn({2048, 20});
  const torch::Tensor y = x.matmul(rule).argmax(1);
  const torch::Tensor x_valid = torch::randn({512, 20});
  const torch::Tensor y_valid = x_valid.matmul(rule).argmax(1);

  torch::nn::Sequential model(torch::nn::Linear(20, 64), torch::nn::BatchNorm1d(64), torch::nn::ReLU(),
                              torch::nn::Linear(64, 3));
  torch::optim::SGD optimizer(model->parameters(), torch::optim::SGDOptions(0.1).momentum(0.9));

  // [readme-trainer]
  autolr::Trainer trainer(
      model, optimizer,
      [](const torch::Tensor& output, const torch::Tensor& target) {
        return torch::nn::functional::cross_entropy(output, target);
      },
      autolr::batches(autolr::split_into_batches(x, y, 64)));
  trainer.set_validation_data(autolr::batches(autolr::split_into_batches(x_valid, y_valid, 256)));
  trainer.set_metric(autolr::accuracy());

  // The range test: 1e-7 to 10 over 100 steps, stop at 4x the best smoothed loss.
  const autolr::LRCurve curve = autolr::lr_find(trainer, autolr::LRFinderOptions().num_iter(100));
  const autolr::Suggestion valley = autolr::suggest(curve, autolr::Method::Valley);

  if (valley.lr) {
    optimizer.param_groups()[0].options().set_lr(*valley.lr);
    trainer.fit(3);
    for (const autolr::EpochRecord& epoch : trainer.history()) {
      std::printf("epoch %lld: train loss %.4f, valid loss %.4f, accuracy %.3f\n",
                  static_cast<long long>(epoch.epoch + 1), epoch.train_loss, *epoch.valid_loss, *epoch.metric);
    }
  }
  // [readme-trainer]
  std::printf("range test: %zu steps, %s; valley lr %g\n", curve.size(), autolr::to_string(curve.stop_reason()).c_str(),
              valley.lr.value_or(0));
  return valley.lr ? 0 : 1;
}
