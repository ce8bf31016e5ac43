#pragma once
// `autolr demo`: the whole mission on Fashion-MNIST: range test, every
// suggestion, the picture, a one-cycle fit with the chosen LR, test accuracy.

namespace CLI {
class App;
}

namespace autolr::cli {

void add_demo_command(CLI::App& app, int& exit_code);

}  // namespace autolr::cli
