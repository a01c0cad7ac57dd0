#include "freeze/seize_errors.hpp"

#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "proc/proc.hpp"
#include "stray/error.hpp"

namespace stray {

namespace {

constexpr unsigned kPfKthread = 0x00200000;  // PF_KTHREAD in the stat flags field
constexpr int kCapSysPtrace = 19;

std::string pid_prefix(int pid) { return "pid " + std::to_string(pid) + ": "; }

bool has_cap_sys_ptrace() {
  auto status = proc::try_read_file("/proc/self/status");
  if (!status) return false;
  auto at = status->find("CapEff:");
  if (at == std::string::npos) return false;
  unsigned long long mask = std::strtoull(status->c_str() + at + 7, nullptr, 16);
  return (mask >> kCapSysPtrace) & 1;
}

// True when the tracer is a thread of stray itself, as under `stray run
// --catch-faults`. A failure then has another cause.
bool traced_by_this_process(int tracer_pid) {
  return ::syscall(SYS_tgkill, ::getpid(), tracer_pid, 0) == 0;
}

// The kernel makes root the owner of the files in /proc/PID (not of the
// directory itself, on Linux 6.x) when the process is not dumpable: it
// called prctl(PR_SET_DUMPABLE, 0) or changed credentials, as a setuid
// program does.
bool is_not_dumpable(int pid, unsigned real_uid) {
  struct stat info;
  std::string path = "/proc/" + std::to_string(pid) + "/stat";
  return real_uid != 0 && ::stat(path.c_str(), &info) == 0 && info.st_uid == 0;
}

std::string describe_tracer(int tracer_pid) {
  std::string name = proc::try_read_task_comm(tracer_pid, tracer_pid).value_or("?");
  return "pid " + std::to_string(tracer_pid) + " (" + name + ")";
}

}  // namespace

// Checks the causes in the order the kernel does (ptrace_may_access, then
// Yama's hook).
std::string explain_permission(int pid) {
  proc::ProcessStatus status = proc::read_status(pid);
  if (status.tracer_pid != 0 && !traced_by_this_process(status.tracer_pid)) {
    return "already traced by " + describe_tracer(status.tracer_pid);
  }
  if (has_cap_sys_ptrace()) {
    return "ptrace is not permitted even with CAP_SYS_PTRACE (a seccomp or LSM policy may "
           "forbid it)";
  }
  if (status.uid != ::getuid()) {
    return "the process belongs to uid " + std::to_string(status.uid) + " and stray runs as uid " +
           std::to_string(::getuid()) + " without CAP_SYS_PTRACE; run stray as that user or as root";
  }
  if (is_not_dumpable(pid, status.uid)) {
    return "the process is not dumpable (it called prctl(PR_SET_DUMPABLE, 0) or changed its "
           "credentials); run stray with CAP_SYS_PTRACE";
  }
  auto scope = proc::try_read_file("/proc/sys/kernel/yama/ptrace_scope");
  if (scope && !scope->empty() && (*scope)[0] != '0') {
    return "Yama's kernel.yama.ptrace_scope is " + scope->substr(0, 1) +
           ", which allows tracing only descendants; run stray with CAP_SYS_PTRACE (for "
           "example with sudo) or set the sysctl to 0";
  }
  return "the process is not dumpable or has other credentials; run stray with CAP_SYS_PTRACE";
}

void check_freezable(int pid) {
  if (pid <= 0) throw Error(ErrorKind::invalid_input, "invalid pid " + std::to_string(pid));
  if (pid == ::getpid()) {
    throw Error(ErrorKind::invalid_input, pid_prefix(pid) + "stray cannot freeze its own process");
  }
  if (!proc::process_exists(pid)) {
    throw Error(ErrorKind::no_such_process, pid_prefix(pid) + "no such process");
  }
  if (proc::only_zombies_left(pid)) {
    throw Error(ErrorKind::target_exited,
                pid_prefix(pid) + "the process has exited (a zombie not yet reaped by its parent)");
  }
  proc::ProcessStatus status = proc::read_status(pid);
  // /proc/TID exists for every thread, so a thread id passes the check
  // above. It would then be judged as a process whose main thread it is.
  if (status.tgid != 0 && status.tgid != pid) {
    throw Error(ErrorKind::invalid_input, pid_prefix(pid) + "is a thread of process " +
                                              std::to_string(status.tgid) + "; give that pid");
  }
  auto stat = proc::try_read_task_stat(pid, pid);
  if (stat && (stat->flags & kPfKthread) != 0) {
    throw Error(ErrorKind::kernel_thread,
                pid_prefix(pid) + "is a kernel thread (" + status.name + "); it has no user space");
  }
  // stray itself may still trace a thread that never stopped during an
  // earlier freeze (see lingering.hpp); that thread alone is then skipped.
  if (status.tracer_pid != 0 && status.tracer_pid != ::getpid()) {
    throw Error(ErrorKind::already_traced,
                pid_prefix(pid) + "already traced by " + describe_tracer(status.tracer_pid) +
                    "; only one tracer can attach at a time");
  }
}

bool is_seized_by_this_process(int tid) {
  try {
    int tracer = proc::read_status(tid).tracer_pid;
    return tracer != 0 && traced_by_this_process(tracer);
  } catch (const Error&) {
    return false;
  }
}

std::optional<std::string> describe_other_tracer(int tid) {
  int tracer = 0;
  try {
    tracer = proc::read_status(tid).tracer_pid;  // /proc/TID exists for any thread id
  } catch (const Error&) {
    return std::nullopt;
  }
  if (tracer == 0 || traced_by_this_process(tracer)) return std::nullopt;
  return "already traced by " + describe_tracer(tracer);
}

void SeizeFailures::throw_error(int pid) const {
  bool any_permission = false;
  for (const auto& [tid, error] : errors_) any_permission |= (error == EPERM);
  if (!proc::process_exists(pid) || proc::only_zombies_left(pid)) {
    throw Error(ErrorKind::target_exited, pid_prefix(pid) + "the process exited during the freeze");
  }
  // A tracer attached to one thread only (strace -p TID) does not show in
  // the process's own status.
  for (const auto& [tid, error] : errors_) {
    if (error != EPERM) continue;
    if (auto tracer = describe_other_tracer(tid)) {
      throw Error(ErrorKind::already_traced, pid_prefix(pid) + "tid " + std::to_string(tid) +
                                                 ": PTRACE_SEIZE: permission denied: " + *tracer +
                                                 "; only one tracer can attach at a time");
    }
  }
  // A thread that did not stop in an earlier freeze (a vfork parent, a
  // thread in state D) stays this process's tracee until it stops.
  for (const auto& [tid, error] : errors_) {
    if (error != EPERM || !is_seized_by_this_process(tid)) continue;
    throw Error(ErrorKind::system, pid_prefix(pid) + "tid " + std::to_string(tid) +
                                       ": still seized by an earlier freeze of this stray, in which it "
                                       "did not stop; it is let go once it stops");
  }
  if (any_permission) {
    std::string cause = explain_permission(pid);
    ErrorKind kind = cause.rfind("already traced", 0) == 0 ? ErrorKind::already_traced
                                                            : ErrorKind::permission_denied;
    throw Error(kind, pid_prefix(pid) + "PTRACE_SEIZE: permission denied: " + cause);
  }
  int error = errors_.empty() ? ESRCH : errors_.begin()->second;
  throw Error(ErrorKind::system, pid_prefix(pid) + "PTRACE_SEIZE failed: " + std::strerror(error));
}

}  // namespace stray
