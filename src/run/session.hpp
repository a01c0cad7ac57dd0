// The state of one `stray run`: the command, the listener of its exit
// filter, the notifications held or queued, and the --timeout steps.
// launcher.cpp runs the main loop and serves signals and traced threads;
// held_calls.cpp decides what each held system call gets.
#pragma once

#include <sys/signalfd.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <vector>

#include "run/exit_listener.hpp"
#include "run/launcher.hpp"
#include "run/process_tree.hpp"
#include "run/session_signals.hpp"
#include "run/spawn.hpp"
#include "run/thread_tracer.hpp"
#include "stray/check.hpp"
#include "stray/inspect.hpp"

namespace stray::run {

// How long a later exit_group of an ending process waits for the teardown
// (see Session::deferred_) before it is let go anyway.
inline constexpr std::chrono::seconds kDeferredCallLimit{1};

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

}  // namespace stray::run
