#pragma once
// `autolr schedule ...`: print a one-cycle schedule as CSV step,lr,momentum.

namespace CLI {
class App;
}

namespace autolr::cli {

void add_schedule_command(CLI::App& app, int& exit_code);

}  // namespace autolr::cli
