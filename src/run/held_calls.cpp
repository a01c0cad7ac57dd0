// Decides what each system call held by the exit filter gets. An
// exit_group gets a check, and a fatal signal a process sends itself gets
// a report. A later exit_group of an ending process waits for the
// teardown, a call that comes while another check runs waits in a queue,
// and every other call gets CONTINUE at once.
#include "run/session.hpp"

#include <sys/syscall.h>

#include <chrono>
#include <optional>

#include <spdlog/spdlog.h>

#include "proc/proc.hpp"
#include "run/exit_check.hpp"
#include "run/task_status.hpp"

namespace stray::run {

void Session::receive_held_call(bool during_check) {
  HeldCall call;
  if (listener_.receive(call)) dispatch_held_call(call, during_check);
}

void Session::dispatch_queued_calls() {
  while (!queued_.empty() && !wait_status_) {
    HeldCall call = queued_.front();
    queued_.erase(queued_.begin());
    dispatch_held_call(call, false);
  }
}

// `during_check`: a check is running, so a call that needs one of its own
// is queued instead.
void Session::dispatch_held_call(const HeldCall& call, bool during_check) {
  if (restarted_.erase(call.tid) > 0) {
    release(call);
    return;
  }
  std::optional<int> pid = watched_process_of(call.tid);
  if (!pid) {
    if (call.syscall == SYS_exit_group) ++result_.unjudged_exits;
    release(call);
    return;
  }
  if (is_ending(*pid)) {
    deferred_.push_back({call, *pid, std::chrono::steady_clock::now() + kDeferredCallLimit});
    return;
  }
  if (during_check) {
    queued_.push_back(call);
    return;
  }

  if (call.syscall == SYS_exit_group) {
    report_exit(*pid, call.tid);
    auto leader = proc::try_read_task_stat(*pid, *pid);
    if (release(call) && leader) ending_[*pid] = leader->start_time;
    return;
  }
  if (is_fatal_self_signal(call, *pid)) {
    int signal = static_cast<int>(call.syscall == SYS_tgkill ? call.args[2] : call.args[1]);
    SignalOrigin origin;
    origin.sender_pid = *pid;
    report_fatal_signal(*pid, call.tid, signal, origin, false);
  }
  release(call);
}

// Every process the command forks carries the filter and notifies at its
// exit, so this runs once per process exit of the whole test. Without
// --follow-forks one tgkill probe decides it. Reading /proc/TID/status
// instead added an estimated 20 to 60 us to each notification on a 2-core VM.
std::optional<int> Session::watched_process_of(int tid) const {
  if (options_.follow_forks) return thread_group_of(tid);
  if (tid == pid_ || is_thread_of(pid_, tid)) return pid_;
  return std::nullopt;
}

bool Session::is_fatal_self_signal(const HeldCall& call, int pid) const {
  // A traced process reports the signal when it is delivered instead.
  if (options_.catch_faults && pid == pid_) return false;
  int target = static_cast<int>(call.args[0]);
  int signal = 0;
  bool to_self = false;
  if (call.syscall == SYS_tgkill) {
    signal = static_cast<int>(call.args[2]);
    to_self = target == pid;
  } else if (call.syscall == SYS_tkill) {
    signal = static_cast<int>(call.args[1]);
    to_self = thread_group_of(target) == pid;
  } else if (call.syscall == SYS_kill) {
    signal = static_cast<int>(call.args[1]);
    to_self = target == pid;
  }
  // A handler runs first (abort() then restores the default and sends
  // SIGABRT again, which is held again). A blocked signal stays pending.
  // NOTE: glibc 2.33 and older block every signal around raise()'s tgkill,
  // so there a raise() that is not from abort() is not reported.
  if (!to_self || !has_default_action(pid, signal)) return false;
  if (call.syscall == SYS_kill) return !is_blocked_by_every_thread(pid, signal);
  return !is_blocked_by(pid, static_cast<int>(call.args[call.syscall == SYS_tgkill ? 1 : 0]), signal);
}

void Session::report_exit(int pid, int tid) {
  ProcessReport report;
  report.pid = pid;
  report.tid = tid;
  report.event = ExitEvent::exit;
  report.parent_pid = parent_of_child(pid);
  if (pid == pid_) command_exiting_ = true;
  checking_command_exit_ = pid == pid_;
  try {
    report.check = check_exiting_process(inspector_, pid, tid, check_options_for(pid));
    checking_command_exit_ = false;
    if (pid == pid_ && report.check->snapshot.threads.empty()) result_.lone_command_exe = report.check->snapshot.exe;
  } catch (const Error& error) {
    checking_command_exit_ = false;
    // Another thread's exit_group, or a kill, ended the process first: it
    // has finished exiting, and there is nothing left to judge.
    if (error.kind() == ErrorKind::target_exited || error.kind() == ErrorKind::no_such_process) {
      spdlog::debug("pid {}: exited before its check at exit finished: {}", pid, error.what());
      return;
    }
    spdlog::error("pid {}: inspection at exit failed: {}", pid, error.what());
    report.error = error.what();
  }
  sink_(report);
}

// `held`: the thread is in a signal-delivery-stop that stray waited for.
void Session::report_fatal_signal(int pid, int tid, int signal, const SignalOrigin& origin, bool held) {
  ProcessReport report;
  report.pid = pid;
  report.tid = tid;
  report.event = ExitEvent::fatal_signal;
  report.parent_pid = parent_of_child(pid);
  report.signal = signal;
  report.origin = origin;
  try {
    InspectOptions inspect = check_options_for(pid).inspect;
    if (held) inspect.held_tids = {tid};
    report.snapshot = inspector_.inspect(pid, inspect);
  } catch (const Error& error) {
    spdlog::error("pid {}: inspection at signal {} failed: {}", pid, signal, error.what());
    report.error = error.what();
  }
  sink_(report);
}

void Session::release_deferred(bool all) {
  auto now = std::chrono::steady_clock::now();
  std::erase_if(deferred_, [&](const DeferredCall& deferred) {
    if (!all && now < deferred.release_by && !proc::is_task_ending(deferred.pid, deferred.call.tid)) {
      return false;
    }
    // Fails with ENOENT when the teardown killed the thread, as it should.
    listener_.let_continue(deferred.call.id);
    return true;
  });
}

// Returns true when the held call goes on.
bool Session::release(const HeldCall& call) {
  if (listener_.let_continue(call.id)) return true;
  // The thread left the call: killed, or interrupted by our freeze, in
  // which case it is about to call again.
  if (thread_group_of(call.tid)) restarted_.insert(call.tid);
  return false;
}

bool Session::is_ending(int pid) {
  auto it = ending_.find(pid);
  if (it == ending_.end()) return false;
  auto leader = proc::try_read_task_stat(pid, pid);
  if (leader && leader->start_time == it->second) return true;
  ending_.erase(it);  // a new process with a reused pid
  return false;
}

}  // namespace stray::run
