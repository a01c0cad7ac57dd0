// The subcommands of the stray command line. Each add_* function registers
// one subcommand and the action to run when it is chosen; the action
// returns the process exit code.
#pragma once

#include <functional>
#include <limits>

#include <CLI/CLI.hpp>

namespace stray::cli {

using Action = std::function<int()>;

// Valid process ids, for the pid argument of every command.
inline const CLI::Range kPidRange(1, std::numeric_limits<int>::max(), "PID");

Action add_snapshot_command(CLI::App& app);
Action add_check_command(CLI::App& app);
Action add_run_command(CLI::App& app);
Action add_watch_command(CLI::App& app);
Action add_plot_command(CLI::App& app);

}  // namespace stray::cli
