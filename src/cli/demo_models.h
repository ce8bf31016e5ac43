#pragma once
// The demo's models for 28x28 grey images, 10 classes.

#include <torch/torch.h>

#include <string>

namespace autolr::cli {

/// "cnn": two conv blocks (16 and 32 channels, BatchNorm, max-pool) and a
/// linear layer, ~20k parameters; "mlp": 784-256-128-10. Throws
/// InvalidArgument naming --model for any other kind.
torch::nn::Sequential make_demo_model(const std::string& kind);

}  // namespace autolr::cli
