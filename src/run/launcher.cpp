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
#include <map>
#include <memory>
#include <set>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>

#include "freeze/lingering.hpp"
#include "freeze/wait_status.hpp"
#include "proc/proc.hpp"
#include "run/exit_check.hpp"
#include "run/exit_filter.hpp"
#include "run/exit_listener.hpp"
#include "run/listener_keeper.hpp"
#include "run/process_tree.hpp"
#include "run/session_signals.hpp"
#include "run/spawn.hpp"
#include "run/thread_tracer.hpp"
#include "run/task_status.hpp"

namespace stray::run {

namespace {

// How long a later exit_group of an ending process waits for the teardown
// (see Session::deferred_) before it is let go anyway.
constexpr std::chrono::seconds kDeferredCallLimit{1};

class Session {
 public:
  Session(const LaunchOptions& options, const ReportSink& sink, const SpawnedCommand& command)
      : options_(options), sink_(sink), pid_(command.pid), listener_(command.listener_fd) {}

  LaunchResult run(const SessionSignals& signals);

 private:
  void read_signals(int fd);
  bool serve_for(std::chrono::milliseconds duration);
  void stop_with_command(const signalfd_siginfo& info);
  void cut_grace(const signalfd_siginfo& info);
  bool command_stopped() const;
  void reap_command();
  void drain_traced_threads();
  void handle_traced_stop(int tid, int status);
  void receive_held_call(bool during_check);
  void dispatch_held_call(const HeldCall& call, bool during_check);
  void dispatch_queued_calls();
  std::optional<int> watched_process_of(int tid) const;
  bool is_fatal_self_signal(const HeldCall& call, int pid) const;
  CheckOptions check_options_for(int pid);
  void report_exit(int pid, int tid);
  void report_fatal_signal(int pid, int tid, int signal, const SignalOrigin& origin, bool held);
  bool release(const HeldCall& call);
  bool is_ending(int pid);
  void release_deferred(bool all);
  int loop_timeout_ms() const;
  int parent_of_child(int pid) const;
  int poll_timeout_ms() const;
  void on_deadline();
  void finish_timeout();
  void report_timeout(int pid);

  const LaunchOptions& options_;
  const ReportSink& sink_;
  int pid_;
  ExitListener listener_;
  int signal_fd_ = -1;
  bool listener_open_ = true;
  std::optional<int> wait_status_;
  Inspector inspector_;
  // Threads whose held call was interrupted by stray's own freeze: the
  // kernel drops that notification and the thread restarts the call, which
  // notifies again. That second notification is let go without a report.
  std::set<int> restarted_;
  // Processes whose exit_group stray let go, by pid, with the start time of
  // their main thread (a pid may be reused). They are ending: a later
  // notification from one of their threads is let go unjudged, because a
  // freeze during the group exit would seize threads that never stop.
  std::map<int, std::uint64_t> ending_;
  // Such later exit_group calls, held until the teardown of their process
  // has begun. Let go at once, one could run before the first one, which
  // waits to be scheduled, and its status would win. The teardown kills
  // the thread, so its call never runs. `release_by` bounds the wait for a
  // first thread that a stop keeps from running.
  struct DeferredCall {
    HeldCall call;
    int pid = 0;
    std::chrono::steady_clock::time_point release_by;
  };
  std::vector<DeferredCall> deferred_;
  // Notifications received while a check waits between re-checks that
  // need a check or a report of their own. Their threads stay held until
  // the main loop handles them, after the running check.
  std::vector<HeldCall> queued_;
  // Set once the command's exit_group is held: it began to exit in time for
  // --timeout. During its check (checking_command_exit_), a SIGINT, SIGTERM
  // or SIGHUP would only replace its exit status, because alone it would
  // have exited already. Such a signal is not relayed then, and it ends the
  // grace period (grace_cut_).
  bool command_exiting_ = false;
  bool grace_cut_ = false;
  // True while the command's own exit check runs. Only then is a
  // termination signal kept from the command: once its exit_group is let
  // go, the signal is relayed again, so that a command that fails to end
  // can still be ended through stray.
  bool checking_command_exit_ = false;
  LaunchResult result_;
  // --timeout: counted from the start of the session. After it, the tree
  // of processes that got SIGTERM, and when they get SIGKILL.
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  std::unique_ptr<ProcessHandles> timed_out_tree_;
  std::optional<std::chrono::steady_clock::time_point> kill_at_;
};

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
  // The helper below answers only notifications it receives itself.
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

CheckOptions Session::check_options_for(int pid) {
  CheckOptions options = options_.check;
  options.inspect.traced_by_caller = options_.catch_faults && pid == pid_;
  options.verdict_if_ended = true;
  options.wait_between_rechecks = [this](std::chrono::milliseconds duration) { return serve_for(duration); };
  return options;
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

}  // namespace

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
