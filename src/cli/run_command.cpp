// `stray run -- COMMAND [ARGS...]`: run a test binary transparently and
// judge its threads at the moment it begins to exit.
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "cli/duration.hpp"
#include "cli/exit_codes.hpp"
#include "cli/report_output.hpp"
#include "cli/run_report.hpp"
#include "report/escape.hpp"
#include "run/launcher.hpp"
#include "run/spawn.hpp"
#include "stray/rules.hpp"

namespace stray::cli {

namespace {

inline constexpr const char* kRunExitCodeHelp =
    "Exit codes:\n"
    "  the command's own exit code when it is not 0\n"
    "  128+N (the shell's view) when the command was killed by signal N: stray ends itself\n"
    "        with the same signal, core dumps off\n"
    "  0    the command exited with 0 and no process had an unexpected survivor,\n"
    "       or with --gen-rules: the command exited with 0 and the rules were written\n"
    "  1    the command exited with 0 but unexpected survivors were found\n"
    "       (--error-exitcode N chooses this code; not with --gen-rules)\n"
    "  2    invalid command line or rules file (nothing was started)\n"
    "  6    the command exited with 0 but a process could not be inspected, or the report\n"
    "       could not be written\n"
    "  124  the command ran longer than --timeout and was ended\n"
    "  126  the command could not be executed; 127: it was not found\n";

struct RunArguments {
  std::vector<std::string> command;
  std::vector<std::string> rules_files;
  bool no_builtin_rules = false;
  std::string grace = std::to_string(kDefaultGrace.count()) + "ms";
  std::string timeout;  // empty: none
  bool follow_forks = false;
  bool catch_faults = false;
  bool json = false;
  bool gen_rules = false;
  bool addresses = false;
  std::string report_file;
  int error_exitcode = kSurvivorsFound;
};

// Loaded before the command starts, so a malformed rules file stops stray
// before anything runs.
run::LaunchOptions load_launch_options(const RunArguments& arguments) {
  run::LaunchOptions options;
  options.follow_forks = arguments.follow_forks;
  options.catch_faults = arguments.catch_faults;
  for (const std::string& file : arguments.rules_files) {
    std::vector<Rule> rules = load_rules_file(file);
    options.check.rules.insert(options.check.rules.end(), rules.begin(), rules.end());
  }
  if (!arguments.no_builtin_rules) {
    options.check.rules.insert(options.check.rules.end(), builtin_rules().begin(), builtin_rules().end());
  }
  options.check.grace = *parse_duration(arguments.grace);
  if (!arguments.timeout.empty()) {
    options.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(*parse_duration(arguments.timeout));
  }
  return options;
}

// Ends stray with the command's signal, so the shell gets the same status.
[[noreturn]] void die_by_signal(int signal) {
  rlimit no_core{0, 0};
  ::setrlimit(RLIMIT_CORE, &no_core);
  ::signal(signal, SIG_DFL);
  sigset_t only;
  sigemptyset(&only);
  sigaddset(&only, signal);
  ::sigprocmask(SIG_UNBLOCK, &only, nullptr);
  ::raise(signal);
  // A signal whose default action is not to terminate.
  std::exit(128 + signal);
}

// As GNU timeout, the timeout decides, whatever status the ended command
// had. Then the command's own failure comes first. A report that could not
// be written comes before survivors, because the user never sees them.
int exit_code_for(const RunArguments& arguments, const RunReporter& reporter, bool report_lost,
                  const run::LaunchResult& result) {
  if (result.timed_out) return kTimedOut;
  const int wait_status = result.wait_status;
  if (WIFSIGNALED(wait_status)) die_by_signal(WTERMSIG(wait_status));
  int code = WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : kFailure;
  if (code != 0) return code;
  if (report_lost) return kFailure;
  // With --gen-rules the rules are the result, as in stray check. The
  // command's own failure still wins above.
  if (reporter.survivors() > 0 && !arguments.gen_rules) return arguments.error_exitcode;
  if (reporter.failed_inspections() > 0) return kFailure;
  return kSuccess;
}

int run_command(const RunArguments& arguments) {
  const run::LaunchOptions options = load_launch_options(arguments);
  ReportOutput standard_error(STDERR_FILENO, "standard error");
  std::optional<ReportOutput> file;
  if (!arguments.report_file.empty()) {
    file.emplace(arguments.report_file, "report file " + escape_text(arguments.report_file),
                 ErrorKind::invalid_input);
  }
  ReportOutput& out = file ? *file : standard_error;

  RunReportOptions report_options;
  report_options.json = arguments.json;
  report_options.gen_rules = arguments.gen_rules;
  report_options.catch_faults = arguments.catch_faults;
  report_options.timeout = options.timeout;
  report_options.text.show_addresses = arguments.addresses;
  RunReporter reporter(out, report_options, options.check);

  run::LaunchResult result;
  try {
    result = run::launch(arguments.command, options,
                         [&](const run::ProcessReport& report) { reporter.add(report); });
  } catch (const run::ExecFailed& error) {
    std::cerr << "stray: " << error.what() << '\n';
    return run::exec_failure_exit_code(error.error_number());
  }
  reporter.finish(result);
  out.close();
  if (out.failed()) std::cerr << "stray: " << out.error() << '\n';
  return exit_code_for(arguments, reporter, out.failed(), result);
}

// Returns the --gen-rules flag, which excludes --error-exitcode.
CLI::Option* add_report_options(CLI::App* command, RunArguments& arguments) {
  auto* json = command->add_flag("--json", arguments.json,
                                 "Write one JSON document with every judged process (docs/run.md)");
  auto* gen_rules = command->add_flag(
      "--gen-rules", arguments.gen_rules,
      "Write a rule for each group of survivors instead of the report; survivors then do not "
      "change the exit code, but the command's own failure still does");
  gen_rules->excludes(json);
  command->add_flag("--addresses", arguments.addresses, "Also print each frame's pc");
  command->add_option("--report", arguments.report_file,
                      "Write the report to this file instead of stderr");
  return gen_rules;
}

}  // namespace

Action add_run_command(CLI::App& app) {
  auto arguments = std::make_shared<RunArguments>();
  CLI::App* command = app.add_subcommand(
      "run", "Run a test command and report the threads still alive when it begins to exit");
  command->add_option("command", arguments->command, "The command and its arguments, after --")
      ->required();
  // One file per --rules, so that the option never takes the words after it.
  command->add_option("--rules", arguments->rules_files, "Rules file of expected threads (repeatable)")
      ->allow_extra_args(false)
      ->check(CLI::ExistingFile);
  command->add_flag("--no-builtin-rules", arguments->no_builtin_rules,
                    "Do not excuse threads that glibc and common runtimes start on their own");
  command->add_option("--grace", arguments->grace,
                      std::string("How long survivors may take to exit while the exiting thread "
                                  "waits: a duration (") + kDurationUnits + "), at most 1h")
      ->capture_default_str()
      ->check(CLI::Validator(
          [](const std::string& text) { return validate_duration(text, {}, kMaxGrace); }, "DURATION"));
  command->add_option("--timeout", arguments->timeout,
                      std::string("When the command runs longer than this, report every thread of it "
                                  "and of the processes it started, then end them (SIGTERM, and "
                                  "SIGKILL 2 s later) and exit with 124: a duration (") +
                          kDurationUnits + "), from 1ms")
      ->check(CLI::Validator(
          [](const std::string& text) {
            return validate_duration(text, std::chrono::milliseconds(1), std::chrono::days(365));
          },
          "DURATION"));
  command->add_flag("--follow-forks", arguments->follow_forks,
                    "Also judge every process the command forks, each at its own exit");
  command->add_flag("--catch-faults", arguments->catch_faults,
                    "Trace every thread of the command with ptrace, so that a crash raised by the CPU "
                    "(SIGSEGV, SIGBUS, SIGFPE, SIGILL) is reported with every thread's stack; costs "
                    "two ptrace stops per thread created and one per signal (docs/run.md)");
  CLI::Option* gen_rules = add_report_options(command, *arguments);
  command->add_option("--error-exitcode", arguments->error_exitcode,
                      "Exit code when the command succeeded but unexpected survivors were found: 1, or "
                      "7 to 125 (2 to 6 are stray's error codes, 126 and up exec failures and signals)")
      ->capture_default_str()
      ->check(CLI::Validator(
          [](const std::string& text) {
            return validate_error_exitcode(text, 125,
                                           ", exec failures (126, 127) and signals (128+N)");
          },
          "N"))
      ->excludes(gen_rules);
  command->footer(kRunExitCodeHelp);
  // Options of the command that come without a "--" before the command are
  // collected here instead of failing the parse, so that the error can name
  // the fix.
  command->allow_extras();
  return [command, arguments]() -> int {
    if (!command->parsed()) return -1;
    // remaining() also lists the "--" mark, which remaining_size() skips.
    if (command->remaining_size() > 0) {
      std::vector<std::string> extras = command->remaining();
      std::erase(extras, "--");
      std::cerr << "stray run: unexpected argument '" << extras.front()
                << "': put -- before the command, so that its options are not read as stray's: "
                   "stray run [OPTIONS] -- COMMAND [ARGS...]\n";
      return kUsage;
    }
    return run_command(*arguments);
  };
}

}  // namespace stray::cli
