#include "cli/demo_models.h"

#include "autolr/error.h"

namespace autolr::cli {

torch::nn::Sequential make_demo_model(const std::string& kind) {
  using namespace torch::nn;
  if (kind == "cnn") {
    return Sequential(Conv2d(Conv2dOptions(1, 16, 3).padding(1)), BatchNorm2d(16), ReLU(), MaxPool2d(2),
                      Conv2d(Conv2dOptions(16, 32, 3).padding(1)), BatchNorm2d(32), ReLU(), MaxPool2d(2), Flatten(),
                      Linear(32 * 7 * 7, 10));
  }
  if (kind == "mlp") {
    return Sequential(Flatten(), Linear(784, 256), ReLU(), Linear(256, 128), ReLU(), Linear(128, 10));
  }
  throw InvalidArgument("--model = " + kind + ": expected cnn or mlp");
}

}  // namespace autolr::cli
