// Through the installed package, as a user would: a range test on a tiny
// model with the umbrella header, then fastai's valley on the curve it
// records and on a curve read from a file.
#include <autolr/autolr.h>
#include <torch/torch.h>

#include <cstdio>

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  torch::manual_seed(0);
  torch::nn::Linear net(4, 1);
  torch::optim::SGD optimizer(net->parameters(), torch::optim::SGDOptions(0.1));
  const torch::Tensor x = torch::randn({16, 4}), y = x.sum(1, true);
  const autolr::LRCurve recorded = autolr::range_test(
      *net, optimizer,
      [&](int64_t) {
        optimizer.zero_grad();
        torch::Tensor loss = torch::mse_loss(net->forward(x), y);
        loss.backward();
        optimizer.step();
        return loss.detach();
      },
      autolr::LRFinderOptions().num_iter(30).progress(false));
  if (recorded.size() < 2) return 1;

  const autolr::LRCurve curve = autolr::read_curve_csv(argv[1]);
  const autolr::Suggestion valley = autolr::suggest(curve, autolr::Method::Valley);
  if (!valley.lr) return 1;
  std::printf("range test: %zu points; valley: %g at index %zu\n", recorded.size(), *valley.lr, *valley.index);
  return 0;
}
