// The autolr command-line tool: a thin layer that parses arguments and calls
// the library. Every error ends the command with one line on stderr (all of
// it with --verbose) and an exit status from cli/exit_status.h.

#include <CLI/CLI.hpp>
#include <exception>
#include <iostream>

#include "cli/demo_command.h"
#include "cli/error_report.h"
#include "cli/exit_status.h"
#include "cli/report_command.h"
#include "cli/schedule_command.h"
#include "cli/suggest_command.h"
#include "core/printable.h"

int main(int argc, char** argv) {
  using namespace autolr::cli;
  CLI::App app{"autolr: automatic learning rates for LibTorch"};
  app.set_version_flag("--version", "autolr 0.1.0");
  app.require_subcommand(1);
  app.fallthrough();  // --verbose after the subcommand's options too
  bool verbose = false;
  app.add_flag("--verbose", verbose, "on an error, print all of it (a LibTorch backtrace, say), not one line");
  int exit_code = kSuccess;
  add_demo_command(app, exit_code);
  add_suggest_command(app, exit_code);
  add_schedule_command(app, exit_code);
  add_report_command(app, exit_code);
  try {
    app.parse(argc, argv);
    // A result that could not be written is no result (a full disk, a closed pipe).
    if (!std::cout.flush()) {
      std::cerr << "autolr: writing to standard output failed\n";
      return kBadInput;
    }
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "autolr: " << autolr::detail::for_message(e.what(), std::string::npos) << " (see autolr --help)\n";
    return kBadInput;
  } catch (const std::exception& e) {
    const ErrorReport report = report_error(e);
    std::cerr << "autolr: " << (verbose ? report.full : report.line) << '\n';
    return report.exit_status;
  } catch (...) {
    std::cerr << "autolr: an unknown error (not a std::exception)\n";
    return kFailure;
  }
  return exit_code;
}
