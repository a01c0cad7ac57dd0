// `stray watch PID`: a snapshot every interval, written as a time series.
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>

#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"
#include "cli/duration.hpp"
#include "cli/report_output.hpp"
#include "report/escape.hpp"
#include "watch/watch_loop.hpp"

namespace stray::cli {

namespace {

constexpr const char* kWatchExitCodeHelp =
    "Exit codes:\n"
    "  0  the watch ended: count or duration reached, Ctrl-C or SIGTERM, or the target exited\n"
    "  N  a growth alert fired and --alert-exitcode N was given (the watch stops there)\n"
    "  2  invalid command line, or the series or Prometheus file cannot be created\n"
    "  3  every snapshot failed (the series records why, for example permission denied)\n"
    "  4  no such process at the start\n"
    "  6  any other error (the series, the Prometheus file or the summary could not be\n"
    "     written)\n";

// Upper bound of --count. Its only purpose is a range that CLI11 prints as
// plain integers in its error message.
constexpr std::size_t kMaxSnapshotCount = 1'000'000'000;

struct WatchArguments {
  watch::WatchOptions options;
  std::string interval = "10s";
  std::string duration;
  std::size_t count = 0;
  int alert_exit_code = 0;
  bool light = false;
};

// SIGINT and SIGTERM stay blocked for the whole watch and are taken only
// by sigtimedwait in the pause between snapshots. A signal that arrives
// during a snapshot (the freezer blocks both anyway while the target is
// stopped) stays pending and ends the watch at the next pause.
class StopSignals {
 public:
  StopSignals() {
    sigemptyset(&set_);
    sigaddset(&set_, SIGINT);
    sigaddset(&set_, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set_, &saved_);
  }
  ~StopSignals() { pthread_sigmask(SIG_SETMASK, &saved_, nullptr); }
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

  // Returns false when SIGINT or SIGTERM arrived.
  bool pause(std::chrono::nanoseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
      auto left = std::max(deadline - std::chrono::steady_clock::now(),
                           std::chrono::steady_clock::duration::zero());
      auto seconds = std::chrono::duration_cast<std::chrono::seconds>(left);
      timespec wait{static_cast<time_t>(seconds.count()),
                    static_cast<long>(std::chrono::nanoseconds(left - seconds).count())};
      int signal = sigtimedwait(&set_, nullptr, &wait);
      if (signal > 0) return false;
      if (errno == EAGAIN) return true;  // the timeout passed
      // EINTR: another signal's handler ran; wait for the rest of the time.
    }
  }

 private:
  sigset_t set_;
  sigset_t saved_;
};

std::string milliseconds(std::chrono::nanoseconds duration) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.1f ms", static_cast<double>(duration.count()) / 1e6);
  return buffer;
}

// The group whose count rose most from the first to the last snapshot.
std::string fastest_growing(const watch::SeriesSample& first, const watch::SeriesSample& last) {
  std::map<std::string, std::size_t> before;
  for (const auto& group : first.groups) before[group.key()] = group.count;
  const watch::SeriesGroup* best = nullptr;
  long best_growth = 0;
  for (const auto& group : last.groups) {
    long growth = static_cast<long>(group.count) - static_cast<long>(before[group.key()]);
    if (growth > best_growth) {
      best = &group;
      best_growth = growth;
    }
  }
  if (best == nullptr) return "none";
  return escape_text(best->label()) + " +" + std::to_string(best_growth);
}

void write_summary(std::ostream& out, const watch::WatchResult& result, const std::string& series_path) {
  const auto& end = result.end;
  out << "watch of pid " << result.header.pid << " " << quote_text(result.header.comm)
      << " ended: " << to_string(end.reason) << "\n";
  out << "  snapshots: " << end.snapshots << " (" << end.failed << " failed), alerts: " << end.alerts
      << "\n";
  if (result.first && result.last) {
    out << "  threads: " << result.first->threads << " -> " << result.last->threads << "\n";
    out << "  fastest-growing group: " << fastest_growing(*result.first, *result.last) << "\n";
  }
  if (end.first_duration) {
    out << "  snapshot cost: first " << milliseconds(*end.first_duration);
    if (end.later_median_duration) {
      out << ", later median " << milliseconds(*end.later_median_duration);
    }
    out << "\n";
  }
  out << "  series: " << escape_text(series_path) << "\n";
  if (result.prometheus_failures > 0) {
    out << "  Prometheus file: " << result.prometheus_failures << " of " << end.snapshots
        << " writes failed\n";
  }
}

// Fills the options that need parsing. The durations were validated by
// CLI11 (watch_duration_validator).
void finish_options(WatchArguments& arguments) {
  auto& options = arguments.options;
  options.interval = *parse_duration(arguments.interval);
  if (!arguments.duration.empty()) options.duration = *parse_duration(arguments.duration);
  if (arguments.count > 0) options.count = arguments.count;
  options.mode = arguments.light ? watch::SeriesMode::light : watch::SeriesMode::full;
  options.stop_on_alert = arguments.alert_exit_code != 0;
}

// From 1 ms, because the series header stores the interval in whole
// milliseconds (docs/series.md), to the longest duration parse_duration takes.
CLI::Validator watch_duration_validator() {
  return CLI::Validator(
      [](const std::string& text) {
        return validate_duration(text, std::chrono::milliseconds(1), std::chrono::days(365));
      },
      "DURATION");
}

int run_watch_command(WatchArguments& arguments) {
  finish_options(arguments);
  StopSignals signals;
  auto result = watch::run_watch(
      arguments.options, [&](std::chrono::nanoseconds timeout) { return signals.pause(timeout); },
      std::cerr);
  std::ostringstream summary;
  write_summary(summary, result, arguments.options.series_path);
  ReportOutput out(STDOUT_FILENO, "standard output");
  out.write(summary.str());
  out.finish();
  // A failure to write an output comes before the alert and the failed
  // snapshots, as it does for survivors in stray check.
  if (result.prometheus_failures > 0) {
    std::cerr << "stray: " << result.prometheus_failures << " of " << result.end.snapshots
              << " writes of the Prometheus file " << escape_text(arguments.options.prometheus_path)
              << " failed; the errors are logged above\n";
    return kFailure;
  }
  if (result.end.reason == watch::EndReason::alert) return arguments.alert_exit_code;
  if (result.end.snapshots > 0 && result.end.failed == result.end.snapshots) {
    std::cerr << "stray: every snapshot failed; the series file records each error\n";
    return kPartial;
  }
  return kSuccess;
}

void add_alert_options(CLI::App* command, WatchArguments& arguments) {
  auto& options = arguments.options;
  CLI::Option* alert = command->add_flag(
      "--alert", options.alert,
      "Report a group whose thread count never fell and rose by at least --alert-min-growth "
      "across --alert-window snapshots, on stderr and in the series");
  command->add_option("--alert-window", options.alert_options.window,
                      "Successful snapshots in the growth window")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{2}, std::size_t{100000}))
      ->needs(alert);
  command->add_option("--alert-min-growth", options.alert_options.min_growth,
                      "Threads a group must gain across the window")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{1000000}))
      ->needs(alert);
  command->add_option("--alert-exitcode", arguments.alert_exit_code,
                      "Stop at the first alert and exit with this code")
      ->check(CLI::Range(1, 255))
      ->needs(alert);
}

}  // namespace

Action add_watch_command(CLI::App& app) {
  auto arguments = std::make_shared<WatchArguments>();
  auto& options = arguments->options;
  CLI::App* command = app.add_subcommand(
      "watch", "Take a snapshot every interval and write thread counts per group to a new series file");
  command->add_option("pid", options.pid, "Process to watch")->required()->check(kPidRange);
  command->add_option("--interval", arguments->interval,
                      std::string("Time between snapshots: a duration (") + kDurationUnits +
                          "), from 1ms to 365d")
      ->capture_default_str()
      ->check(watch_duration_validator());
  CLI::Option* count = command->add_option("--count", arguments->count, "Snapshots to take, then stop")
                           ->check(CLI::Range(std::size_t{1}, kMaxSnapshotCount));
  command->add_option("--duration", arguments->duration,
                      std::string("Stop after this time: a duration (") + kDurationUnits +
                          "), from 1ms to 365d")
      ->check(watch_duration_validator())
      ->excludes(count);
  command->add_option("--out", options.series_path, "New series file to write (JSON Lines, docs/series.md); a file with data is never replaced")
      ->required();
  command->add_flag("--light", arguments->light,
                    "Count threads by name and class from /proc only, without stopping the target");
  add_alert_options(command, *arguments);
  command->add_option("--prometheus", options.prometheus_path,
                      "Also write this Prometheus textfile after each snapshot (docs/prometheus.md)");
  command->add_option("--prometheus-groups", options.prometheus_groups,
                      "Groups written to the Prometheus file; the rest are summed as class=\"other\"")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{1000}));
  command->add_option("--stop-timeout", options.inspect.stop_timeout_ms,
                      "Milliseconds to wait for one thread to stop")
      ->capture_default_str()
      ->check(CLI::Range(1, 60000));
  command->footer(kWatchExitCodeHelp);
  return [command, arguments]() -> int {
    if (!command->parsed()) return -1;
    return run_watch_command(*arguments);
  };
}

}  // namespace stray::cli
