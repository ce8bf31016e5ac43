// The autolr command-line tool: a thin layer that parses arguments and calls
// the library. Bad input of any kind exits with status 2 and one line on stderr.

#include <CLI/CLI.hpp>
#include <exception>
#include <iostream>

#include "cli/demo_command.h"
#include "cli/schedule_command.h"
#include "cli/suggest_command.h"

int main(int argc, char** argv) {
  CLI::App app{"autolr: automatic learning rates for LibTorch"};
  app.set_version_flag("--version", "autolr 0.1.0");
  app.require_subcommand(1);
  int exit_code = 0;
  autolr::cli::add_demo_command(app, exit_code);
  autolr::cli::add_suggest_command(app, exit_code);
  autolr::cli::add_schedule_command(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "autolr: " << e.what() << " (see autolr --help)\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "autolr: " << e.what() << '\n';
    return 2;
  }
  return exit_code;
}
