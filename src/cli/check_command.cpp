// `stray check PID`: judge every thread of a process against ignore rules
// and a baseline, and exit with a distinct code when unexpected survivors
// remain after the grace period.
#include <unistd.h>

#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "cli/duration.hpp"
#include "cli/exit_codes.hpp"
#include "cli/report_output.hpp"
#include "report/verdict_report.hpp"
#include "stray/check.hpp"
#include "stray/rules.hpp"

namespace stray::cli {

namespace {

struct CheckArguments {
  int pid = 0;
  std::vector<std::string> rules_files;
  bool no_builtin_rules = false;
  std::string baseline_file;
  bool baseline_groups = false;
  std::string grace = std::to_string(kDefaultGrace.count()) + "ms";
  bool json = false;
  bool gen_rules = false;
  bool addresses = false;
  int error_exitcode = kSurvivorsFound;
};

// Loaded before anything is attached, so a malformed file stops the
// command before the target is touched.
CheckOptions load_check_options(const CheckArguments& arguments) {
  CheckOptions options;
  for (const std::string& file : arguments.rules_files) {
    std::vector<Rule> rules = load_rules_file(file);
    options.rules.insert(options.rules.end(), rules.begin(), rules.end());
  }
  if (!arguments.no_builtin_rules) {
    options.rules.insert(options.rules.end(), builtin_rules().begin(), builtin_rules().end());
  }
  if (!arguments.baseline_file.empty()) {
    options.baseline = load_baseline(arguments.baseline_file, arguments.baseline_groups);
  }
  options.grace = *parse_duration(arguments.grace);
  return options;
}

bool any_partial(const Snapshot& snapshot) {
  for (const Thread& thread : snapshot.threads) {
    if (!thread.error.empty()) return true;
  }
  return false;
}

int run_check(const CheckArguments& arguments) {
  const CheckOptions options = load_check_options(arguments);
  Inspector inspector;
  const CheckResult result = check_process(inspector, arguments.pid, options);

  std::ostringstream text;
  if (arguments.gen_rules) {
    write_generated_rules(text, "stray check", result.snapshot, result.judgement);
  } else if (arguments.json) {
    text << verdict_to_json(result, options.rules, options.grace).dump(2) << '\n';
  } else {
    TextOptions text_options;
    text_options.show_addresses = arguments.addresses;
    write_verdict_text(text, result, options.rules, text_options);
  }
  // A report that could not be written fails the check with exit code 6,
  // even when there are survivors, because the user never sees them.
  ReportOutput out(STDOUT_FILENO, "standard output");
  out.write(text.str());
  out.finish();

  // With --gen-rules the rules are the result, so survivors do not fail the
  // check. This keeps `stray check --gen-rules PID >> app.supp` from stopping
  // a `set -e` script.
  if (result.judgement.survivors > 0 && !arguments.gen_rules) return arguments.error_exitcode;
  return any_partial(result.snapshot) ? kPartial : kSuccess;
}

}  // namespace

Action add_check_command(CLI::App& app) {
  auto arguments = std::make_shared<CheckArguments>();
  CLI::App* command = app.add_subcommand(
      "check", "Report threads that no ignore rule or baseline expects (format in docs/rules.md)");
  command->add_option("pid", arguments->pid, "Process to check")->required()->check(kPidRange);
  // One file per --rules, so that the option never takes the words after it.
  command->add_option("--rules", arguments->rules_files, "Rules file of expected threads (repeatable)")
      ->allow_extra_args(false)
      ->check(CLI::ExistingFile);
  command->add_flag("--no-builtin-rules", arguments->no_builtin_rules,
                    "Do not excuse threads that glibc and common runtimes start on their own");
  auto* baseline = command->add_option("--baseline", arguments->baseline_file,
                                       "Snapshot from `stray snapshot --json` whose threads are expected")
                       ->check(CLI::ExistingFile);
  command->add_flag("--baseline-groups", arguments->baseline_groups,
                    "Compare thread counts per group (start routine, top frame, class) with the "
                    "baseline instead of tids and start times")
      ->needs(baseline);
  command->add_option("--grace", arguments->grace,
                      std::string("How long survivors may take to exit, re-checked with backoff: a "
                                  "duration (") + kDurationUnits + "), at most 1h")
      ->capture_default_str()
      ->check(CLI::Validator(
          [](const std::string& text) { return validate_duration(text, {}, kMaxGrace); }, "DURATION"));
  auto* json = command->add_flag("--json", arguments->json,
                                 "Print the snapshot JSON with a verdict on every thread (docs/json.md)");
  auto* gen_rules = command->add_flag(
      "--gen-rules", arguments->gen_rules,
      "Print a rule for each group of survivors instead of the report, and exit with 0 (3 when "
      "some thread was captured only in part)");
  gen_rules->excludes(json);
  command->add_flag("--addresses", arguments->addresses, "Also print each frame's pc");
  command->add_option("--error-exitcode", arguments->error_exitcode,
                      "Exit code when unexpected survivors are found: 1, or 7 to 255 (2 to 6 are "
                      "stray's error codes)")
      ->capture_default_str()
      ->check(CLI::Validator(
          [](const std::string& text) { return validate_error_exitcode(text, 255, ""); }, "N"))
      ->excludes(gen_rules);
  command->footer(kCheckExitCodeHelp);
  return [command, arguments]() -> int {
    if (!command->parsed()) return -1;
    return run_check(*arguments);
  };
}

}  // namespace stray::cli
