// `stray run`: starts a test command under the exit filter and judges each
// process it watches at the moment that process begins to exit, while the
// exiting thread is held in exit_group and every other thread is still
// where it was parked.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "run/thread_tracer.hpp"
#include "stray/check.hpp"
#include "stray/inspect.hpp"
#include "stray/model.hpp"

namespace stray::run {

struct LaunchOptions {
  // Also judge every process the command forks (and what they fork), each
  // at its own exit. Otherwise only the command's own process is judged.
  bool follow_forks = false;
  // Trace every thread of the command with ptrace, so that a fatal signal
  // raised by the CPU (SIGSEGV, SIGBUS, SIGFPE, SIGILL) is reported with
  // every thread's stack too. Costs two ptrace stops per thread created.
  bool catch_faults = false;
  // When the command runs longer than this, every thread of it and of the
  // processes it started is reported, then they get SIGTERM, and SIGKILL
  // kTimeoutKillAfter later.
  std::optional<std::chrono::milliseconds> timeout;
  CheckOptions check;  // rules, baseline, grace, inspect options
};

inline constexpr std::chrono::seconds kTimeoutKillAfter{2};

enum class ExitEvent {
  exit,          // a thread called exit_group
  // A signal whose default action dumps core is about to end the process:
  // sent by the process to itself, or, with catch_faults, from any source.
  fatal_signal,
  // The command ran longer than LaunchOptions::timeout: a snapshot of each
  // process of its tree, taken before they are ended.
  timeout,
};

// The findings in one process as it began to exit.
struct ProcessReport {
  int pid = 0;
  // With follow_forks, for a process other than the command: its parent
  // when it began to exit. 0 for the command itself.
  int parent_pid = 0;
  // The thread held in exit_group, kill, tkill or tgkill, or (catch_faults)
  // in the signal-delivery-stop of the fatal signal.
  int tid = 0;
  ExitEvent event = ExitEvent::exit;
  int signal = 0;  // for fatal_signal
  SignalOrigin origin;  // for fatal_signal
  // For exit: the verdict on every thread except the held one (it is
  // leaving). For fatal_signal: absent.
  std::optional<CheckResult> check;
  // For fatal_signal and timeout: every thread at that moment.
  std::optional<Snapshot> snapshot;
  // Non-empty when the process could not be inspected.
  std::string error;

  std::size_t survivors() const { return check ? check->judgement.survivors : 0; }
};

using ReportSink = std::function<void(const ProcessReport&)>;

struct LaunchResult {
  int wait_status = 0;  // the command's, as from waitpid
  // Processes the command started that exited without a check, because
  // follow_forks was off.
  std::size_t unjudged_exits = 0;
  // The command's executable when its own exit check found no thread but
  // the exiting one, as for a shell that runs the real test in a child.
  // Empty otherwise.
  std::string lone_command_exe;
  // The command ran longer than LaunchOptions::timeout and was ended.
  bool timed_out = false;
};

// Runs argv to completion.
// Each report is handed to `sink` as soon as it is made, before the process
// is let go. SIGINT, SIGTERM and SIGHUP sent to stray with kill(2) are
// forwarded to the command; the same signal from the terminal already
// reaches it, because it stays in stray's process group. Throws
// ExecFailed when the command cannot be started.
LaunchResult launch(const std::vector<std::string>& argv, const LaunchOptions& options, const ReportSink& sink);

}  // namespace stray::run
