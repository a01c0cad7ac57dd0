#include "run/launcher.hpp"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <limits>
#include <memory>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>

#include "freeze/lingering.hpp"
#include "freeze/wait_status.hpp"
#include "proc/proc.hpp"
#include "run/exit_filter.hpp"
#include "run/exit_listener.hpp"
#include "run/listener_keeper.hpp"
#include "run/process_tree.hpp"
#include "run/session.hpp"
#include "run/session_signals.hpp"
#include "run/spawn.hpp"
#include "run/thread_tracer.hpp"
#include "run/task_status.hpp"

namespace stray::run {

LaunchResult Session::run(const SessionSignals& signals) {
  signal_fd_ = signals.fd();
  while (!wait_status_) {
    dispatch_queued_calls();
    if (wait_status_) break;
    release_deferred(false);
    pollfd fds[2] = {{signals.fd(), POLLIN, 0}, {listener_.fd(), POLLIN, 0}};
    int count = listener_open_ ? 2 : 1;
    int ready = ::poll(fds, static_cast<nfds_t>(count), loop_timeout_ms());
    if (ready < 0) {
      if (errno == EINTR) continue;
      throw Error(ErrorKind::system, std::string("poll failed: ") + std::strerror(errno));
    }
    if (ready == 0) {
      on_deadline();
      continue;
    }
    if (fds[0].revents & POLLIN) read_signals(signals.fd());
    if (count == 2 && (fds[1].revents & POLLIN)) {
      receive_held_call(false);
    } else if (count == 2 && (fds[1].revents & (POLLHUP | POLLERR))) {
      listener_open_ = false;  // no process uses the filter any more (Linux 5.8)
    }
  }
  // The background helper replies only to notifications that it receives itself.
  for (const HeldCall& call : queued_) listener_.let_continue(call.id);
  queued_.clear();
  release_deferred(true);
  // Processes the command forked may outlive it and still carry the filter.
  if (listener_open_) keep_answering_in_background(listener_.release());
  finish_timeout();
  result_.wait_status = *wait_status_;
  return result_;
}

// After a timeout, the command may end at SIGTERM while processes it
// started ignore it. They still get SIGKILL when its time comes, so that
// none outlives stray, holding the job's output pipe open.
void Session::finish_timeout() {
  if (!kill_at_) return;
  if (!timed_out_tree_->wait_for_exits(*kill_at_)) timed_out_tree_->signal_all(SIGKILL);
  kill_at_.reset();
}

void Session::read_signals(int fd) {
  signalfd_siginfo info;
  while (::read(fd, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
    if (info.ssi_signo == SIGCHLD) {
      if (options_.catch_faults) {
        drain_traced_threads();
      } else {
        reap_command();
      }
      continue;
    }
    if (info.ssi_signo == SIGTSTP) {
      stop_with_command(info);
      continue;
    }
    if (checking_command_exit_ && is_termination_signal(static_cast<int>(info.ssi_signo))) {
      cut_grace(info);
      continue;
    }
    if (should_relay(info, pid_)) relay(info, pid_);
  }
}

void Session::cut_grace(const signalfd_siginfo& info) {
  if (grace_cut_) return;
  grace_cut_ = true;
  const char* name = ::sigabbrev_np(static_cast<int>(info.ssi_signo));
  spdlog::warn("pid {}: SIG{} arrived while the command was exiting; the check ends now and the "
               "signal is not passed on",
               pid_, name != nullptr ? name : "?");
}

// Waits `duration` while a check keeps the exiting thread in exit_group.
// Meanwhile stray still relays signals and, with catch_faults, continues
// the stops of traced threads, which could not leave them otherwise.
// Returns false when a termination signal ended the grace period, or when
// --timeout is due: the main loop then handles it once the check is done.
// It waits even once the command is reaped, because the process under
// check (a child, with follow_forks) may still be running.
bool Session::serve_for(std::chrono::milliseconds duration) {
  auto deadline = std::chrono::steady_clock::now() + duration;
  while (!grace_cut_) {
    int timeout_left = poll_timeout_ms();
    if (timeout_left == 0) return false;
    auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    int wait = static_cast<int>(left.count());
    if (timeout_left > 0) wait = std::min(wait, timeout_left);
    pollfd fds[2] = {{signal_fd_, POLLIN, 0}, {listener_.fd(), POLLIN, 0}};
    int count = listener_open_ ? 2 : 1;
    int ready = ::poll(fds, static_cast<nfds_t>(count), wait);
    if (ready > 0) {
      if (fds[0].revents & POLLIN) read_signals(signal_fd_);
      // Other processes' exits go on during the check: a vfork parent or
      // a test harness waiting for a child is not held up by it.
      if (count == 2 && (fds[1].revents & POLLIN)) {
        receive_held_call(true);
      } else if (count == 2 && (fds[1].revents & (POLLHUP | POLLERR))) {
        listener_open_ = false;
      }
    } else if (ready == 0 || errno != EINTR) {
      break;
    }
  }
  return !grace_cut_;
}

// SIGTSTP: stray stops only once the command has stopped, so that a
// command that ignores or catches SIGTSTP runs on with stray serving it,
// as it would alone. With catch_faults, the command's thread that takes
// the signal stops for stray first, and the others enter the group stop
// only after stray delivers it.
void Session::stop_with_command(const signalfd_siginfo& info) {
  if (should_relay(info, pid_)) relay(info, pid_);
  constexpr auto kMaxWait = std::chrono::milliseconds(200);
  auto deadline = std::chrono::steady_clock::now() + kMaxWait;
  bool stopped = false;
  while (!wait_status_ && !stopped && std::chrono::steady_clock::now() < deadline) {
    if (options_.catch_faults) drain_traced_threads();
    stopped = command_stopped();
    if (!stopped) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  if (!stopped) {
    spdlog::debug("pid {}: the command did not stop for SIGTSTP; stray runs on", pid_);
    return;
  }
  // Raised again with its default action, so that the kernel's rule for an
  // orphaned process group (stop signals discarded) applies to stray too.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTSTP);
  ::kill(::getpid(), SIGTSTP);
  ::sigprocmask(SIG_UNBLOCK, &stop, nullptr);
  ::sigprocmask(SIG_BLOCK, &stop, nullptr);
}

// True when every thread of the command is in a stop (state T, or t for a
// traced thread in a group stop).
bool Session::command_stopped() const {
  std::vector<int> tids;
  try {
    tids = proc::read_tids(pid_);
  } catch (const Error&) {
    return true;  // gone
  }
  for (int tid : tids) {
    std::optional<proc::TaskStat> stat = proc::try_read_task_stat(pid_, tid);
    if (stat && stat->state != 'T' && stat->state != 't') return false;
  }
  return true;
}

void Session::reap_command() {
  // Reaping a lingering thread below makes the zombie command reapable and
  // queues another SIGCHLD. Handled after the status is taken, it would
  // find ECHILD and erase that status.
  if (wait_status_) return;
  // A thread seized during a freeze that never stopped stays traced until
  // it stops or exits. The command cannot be reaped until stray, as its
  // tracer, reaps such a thread, so those go first.
  lingering::release();
  int status = 0;
  pid_t reaped;
  do {
    reaped = ::waitpid(pid_, &status, WNOHANG);
  } while (reaped < 0 && errno == EINTR);
  if (reaped == pid_) {
    wait_status_ = status;
  } else if (reaped < 0 && errno == ECHILD) {
    // A freeze that saw the command exit collected its status already.
    wait_status_ = take_collected_exit(pid_);
  }
}

// With catch_faults, SIGCHLD also reports every ptrace stop of the
// command's threads. One SIGCHLD may stand for many stops.
void Session::drain_traced_threads() {
  while (!wait_status_) {
    int status = 0;
    pid_t tid = ::waitpid(-1, &status, __WALL | WNOHANG);
    if (tid == 0) return;
    if (tid < 0) {
      if (errno == EINTR) continue;
      // ECHILD: nothing left to wait for. A freeze that saw the command
      // exit collected its status already.
      if (!wait_status_) wait_status_ = take_collected_exit(pid_);
      return;
    }
    if (WIFSTOPPED(status)) {
      handle_traced_stop(tid, status);
    } else if (tid == pid_) {
      wait_status_ = status;  // the whole process is gone
    }
  }
}

void Session::handle_traced_stop(int tid, int status) {
  TracedStop stop = decode_traced_stop(status);
  // clone() without CLONE_THREAD and with an exit signal other than
  // SIGCHLD makes a process that PTRACE_O_TRACECLONE traces too. It is
  // not the command, so it runs on untraced.
  if (tid != pid_ && !is_thread_of(pid_, tid)) {
    detach_traced(tid, stop);
    return;
  }
  if (stop.kind == TracedStop::Kind::signal_delivery && is_reported_signal(stop.signal) &&
      has_default_action(pid_, stop.signal)) {
    SignalOrigin origin;
    if (read_signal_origin(tid, origin)) report_fatal_signal(pid_, tid, stop.signal, origin, true);
  }
  continue_traced(tid, stop);
}

CheckOptions Session::check_options_for(int pid) {
  CheckOptions options = options_.check;
  options.inspect.traced_by_caller = options_.catch_faults && pid == pid_;
  options.verdict_if_ended = true;
  options.wait_between_rechecks = [this](std::chrono::milliseconds duration) { return serve_for(duration); };
  return options;
}

// The poll timeout of the main loop: the next --timeout step, and while
// calls are deferred, their next check.
int Session::loop_timeout_ms() const {
  int timeout = poll_timeout_ms();
  if (deferred_.empty()) return timeout;
  constexpr int kDeferredCheckMs = 1;
  return timeout < 0 ? kDeferredCheckMs : std::min(timeout, kDeferredCheckMs);
}

// Milliseconds until the next --timeout step is due, or -1 (none).
int Session::poll_timeout_ms() const {
  std::optional<std::chrono::steady_clock::time_point> due;
  if (options_.timeout && !result_.timed_out && !command_exiting_) {
    due = started_ + *options_.timeout;
  } else if (kill_at_) {
    due = kill_at_;
  }
  if (!due) return -1;
  auto left = std::chrono::ceil<std::chrono::milliseconds>(*due - std::chrono::steady_clock::now());
  return static_cast<int>(std::clamp<long long>(left.count(), 0, std::numeric_limits<int>::max()));
}

// The command ran too long: the pidfds are opened first, so that neither
// the reports, which take time, nor a reaped process lets a signal reach a
// reused pid.
void Session::on_deadline() {
  auto now = std::chrono::steady_clock::now();
  // A command that has begun to exit finished in time.
  if (options_.timeout && !result_.timed_out && !command_exiting_ && now >= started_ + *options_.timeout) {
    result_.timed_out = true;
    std::vector<int> tree = list_process_tree(pid_);
    timed_out_tree_ = std::make_unique<ProcessHandles>(tree);
    for (int pid : tree) report_timeout(pid);
    timed_out_tree_->signal_all(SIGTERM);
    kill_at_ = std::chrono::steady_clock::now() + kTimeoutKillAfter;
  } else if (kill_at_ && now >= *kill_at_) {
    kill_at_.reset();
    timed_out_tree_->signal_all(SIGKILL);
  }
}

void Session::report_timeout(int pid) {
  ProcessReport report;
  report.pid = pid;
  report.tid = pid;
  report.event = ExitEvent::timeout;
  report.parent_pid = parent_of_child(pid);
  try {
    report.snapshot = inspector_.inspect(pid, check_options_for(pid).inspect);
  } catch (const Error& error) {
    if (error.kind() == ErrorKind::target_exited || error.kind() == ErrorKind::no_such_process) {
      spdlog::debug("pid {}: exited before its timeout snapshot: {}", pid, error.what());
      return;
    }
    spdlog::error("pid {}: inspection at the timeout failed: {}", pid, error.what());
    report.error = error.what();
  }
  sink_(report);
}

// The parent of a process other than the command, or 0. A held process
// has not exited yet, so its stat file is still there.
int Session::parent_of_child(int pid) const {
  if (pid == pid_) return 0;
  auto stat = proc::try_read_task_stat(pid, pid);
  return stat ? stat->ppid : 0;
}

LaunchResult launch(const std::vector<std::string>& argv, const LaunchOptions& options, const ReportSink& sink) {
  SessionSignals signals;
  BeforeExec before_exec;
  if (options.catch_faults) before_exec = seize_before_exec;
  SpawnedCommand command = spawn_with_exit_filter(argv, signals.original_mask(), before_exec);
  spdlog::debug("pid {}: started {} under the exit filter", command.pid, argv[0]);
  Session session(options, sink, command);
  return session.run(signals);
}

}  // namespace stray::run
