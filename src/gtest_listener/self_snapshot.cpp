#include "gtest_listener/self_snapshot.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "gtest_listener/traced_child.hpp"
#include "proc/proc.hpp"
#include "report/report.hpp"

namespace stray::gtest {

namespace {

// Exit codes of `stray snapshot`, as documented in its --help.
constexpr int kSnapshotSuccess = 0;
constexpr int kSnapshotPartial = 3;
constexpr int kSnapshotUsage = 2;
constexpr int kSnapshotNoProcess = 4;
constexpr int kSnapshotNotPermitted = 5;

std::string pid_text() { return "pid " + std::to_string(::getpid()); }

std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

// The fix when this process already has a tracer, which alone keeps the
// child out, or "" when it has none. Yama and container policies are then
// beside the point. Under `stray run --catch-faults` the tracer is stray.
std::string already_traced_hint() {
  int tracer = 0;
  try {
    tracer = proc::read_status(::getpid()).tracer_pid;
  } catch (const Error&) {
    return {};
  }
  if (tracer == 0) return {};
  if (proc::try_read_task_comm(tracer, tracer) == "stray") {
    return "Under `stray run --catch-faults` stray traces every thread of the test, so run the "
           "tests without --catch-faults to have each leak reported by its test";
  }
  return "Detach the tracer (pid " + std::to_string(tracer) + "), or run the tests without it";
}

// The likely reason why a child may not ptrace its parent here, and the fix.
std::string ptrace_permission_hint() {
  std::optional<std::string> scope = proc::try_read_file("/proc/sys/kernel/yama/ptrace_scope");
  if (!scope || scope->empty()) {
    return "Yama is not active here; look for a seccomp filter or a container policy that blocks "
           "ptrace, or a debugger already attached (TracerPid in /proc/self/status)";
  }
  switch ((*scope)[0]) {
    case '0':
    case '1':
      return "Yama ptrace_scope is " + std::string(1, (*scope)[0]) +
             ", which allows the stray child after PR_SET_PTRACER; look for a seccomp filter or a "
             "container policy that blocks ptrace (docker needs --cap-add=SYS_PTRACE on older "
             "versions), or a debugger already attached (TracerPid in /proc/self/status)";
    case '2':
      return "Yama ptrace_scope is 2: only a process with CAP_SYS_PTRACE may attach, so run the "
             "tests with that capability or set kernel.yama.ptrace_scope to 1";
    default:
      return "Yama ptrace_scope is 3: ptrace is disabled until the next reboot";
  }
}

void check_executable(const std::string& executable) {
  if (executable.find('/') == std::string::npos) return;  // searched in PATH by the child
  if (::access(executable.c_str(), X_OK) == 0) return;
  throw Error(ErrorKind::system, "cannot run the stray executable " + executable + ": " +
                                     std::strerror(errno) + "; set STRAY_EXECUTABLE to its path");
}

std::vector<std::string> snapshot_command(const std::string& executable, const std::vector<int>& tids) {
  std::vector<std::string> argv = {executable, "snapshot", "--json", std::to_string(::getpid())};
  for (int tid : tids) {
    argv.push_back("--tid");
    argv.push_back(std::to_string(tid));
  }
  return argv;
}

Error failure_of(const ChildResult& child, const std::string& executable, std::chrono::milliseconds timeout) {
  const std::string err = trimmed(child.err);
  if (child.timed_out) {
    return Error(ErrorKind::system, executable + " did not finish within " + std::to_string(timeout.count()) +
                                        " ms and was killed");
  }
  if (child.signal != 0) {
    return Error(ErrorKind::system, executable + " was killed by signal " + std::to_string(child.signal) +
                                        ": " + strsignal(child.signal));
  }
  if (child.exit_code == -1) {
    return Error(ErrorKind::system, "the exit status of " + executable + " was lost, because SIGCHLD is "
                                    "ignored or its handler reaped the child, and it printed no snapshot: " + err);
  }
  if (child.exit_code == 127) {
    return Error(ErrorKind::system, "cannot run " + executable + " (exit code 127: not found); set "
                                    "STRAY_EXECUTABLE to the path of the stray executable");
  }
  if (child.exit_code == kSnapshotNotPermitted) {
    std::string hint = already_traced_hint();
    if (hint.empty()) hint = ptrace_permission_hint();
    return Error(ErrorKind::permission_denied, "stray cannot attach to this test process (" + pid_text() +
                                                   "): " + err + ". " + hint);
  }
  // A requested thread exited after it was listed: the helper then rejects
  // its tid or finds nothing to freeze.
  if (child.exit_code == kSnapshotNoProcess ||
      (child.exit_code == kSnapshotUsage && err.find("is not a thread of it") != std::string::npos)) {
    return Error(ErrorKind::target_exited, err);
  }
  return Error(ErrorKind::system, executable + " failed with exit code " + std::to_string(child.exit_code) +
                                      ": " + err);
}

}  // namespace

Snapshot capture_own_threads(const std::string& executable, const std::vector<int>& tids,
                             std::chrono::milliseconds timeout) {
  check_executable(executable);
  const ChildResult child = run_tracer_child(snapshot_command(executable, tids), timeout);
  const bool status_lost = child.exit_code == -1 && child.signal == 0 && !child.timed_out;
  if (child.exit_code == kSnapshotSuccess || child.exit_code == kSnapshotPartial ||
      (status_lost && !child.out.empty())) {
    return parse_snapshot_json(child.out);
  }
  throw failure_of(child, executable, timeout);
}

}  // namespace stray::gtest
