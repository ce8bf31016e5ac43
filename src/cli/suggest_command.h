#pragma once
// `autolr suggest FILE.csv ...`: suggest learning rates on a recorded curve.

namespace CLI {
class App;
}

namespace autolr::cli {

/// Adds the `suggest` subcommand to `app`; `exit_code` receives its result
/// when it runs (cli/exit_status.h: 0, 1 when no method answered, 2 for bad input).
void add_suggest_command(CLI::App& app, int& exit_code);

}  // namespace autolr::cli
