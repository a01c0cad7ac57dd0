// stray: finds threads that should not be alive.
#include <iostream>
#include <string>
#include <vector>

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"
#include "stray/error.hpp"

namespace {

// Logs go to stderr so that stdout carries only the report.
void set_up_logging(const std::string& level) {
  auto logger = std::make_shared<spdlog::logger>("stray", std::make_shared<spdlog::sinks::stderr_sink_mt>());
  logger->set_pattern("stray: %l: %v");
  logger->set_level(spdlog::level::from_str(level));
  spdlog::set_default_logger(logger);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("stray: find threads that should not be alive.\n"
               "Freezes a process with ptrace for a few milliseconds, copies every thread's\n"
               "registers and stack, lets it run again, then unwinds, symbolizes and classifies\n"
               "each thread by what it is parked in.");
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("stray ") + STRAY_VERSION, "Print the version and exit");
  app.footer(stray::cli::kAllExitCodeHelp);
  std::string log_level = "warn";
  app.add_option("--log-level", log_level, "Log level on stderr: trace, debug, info, warn, error, off")
      ->capture_default_str()
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));

  std::vector<stray::cli::Action> actions;
  actions.push_back(stray::cli::add_snapshot_command(app));
  actions.push_back(stray::cli::add_check_command(app));
  actions.push_back(stray::cli::add_run_command(app));
  actions.push_back(stray::cli::add_watch_command(app));
  actions.push_back(stray::cli::add_plot_command(app));

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    int code = app.exit(error);
    return code == 0 ? 0 : stray::cli::kUsage;
  }
  set_up_logging(log_level);

  try {
    for (const auto& action : actions) {
      int code = action();
      if (code >= 0) return code;
    }
  } catch (const stray::Error& error) {
    std::cerr << "stray: " << error.what() << '\n';
    return stray::cli::exit_code_for(error.kind());
  } catch (const std::exception& error) {
    std::cerr << "stray: internal error: " << error.what() << '\n';
    return stray::cli::kFailure;
  }
  return stray::cli::kFailure;
}
