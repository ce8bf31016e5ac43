#pragma once
// `autolr report DIR... [--out FILE] [--markdown | --json]`: a folder of run
// records as one page, the runs to look at first.

namespace CLI {
class App;
}

namespace autolr::cli {

/// Adds the `report` subcommand to `app`; `exit_code` receives its result
/// when it runs (cli/exit_status.h: 0 when at least one run was reported, 1
/// when none could be, 2 for bad options or an output that cannot be written).
void add_report_command(CLI::App& app, int& exit_code);

}  // namespace autolr::cli
