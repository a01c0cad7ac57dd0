#include "freeze/wait_status.hpp"

#include <signal.h>
#include <sys/ptrace.h>
#include <sys/wait.h>

#include <cerrno>
#include <map>
#include <cstring>

#include <spdlog/spdlog.h>

namespace stray {

WaitResult decode_wait_status(int status) {
  WaitResult result;
  if (WIFEXITED(status) || WIFSIGNALED(status)) {
    result.kind = WaitKind::exited;
    return result;
  }
  if (!WIFSTOPPED(status)) return result;
  result.kind = WaitKind::stopped;
  int signal = WSTOPSIG(status);
  int event = status >> 16;
  if (event == PTRACE_EVENT_STOP) {
    // PTRACE_INTERRUPT reports SIGTRAP; a group stop (including a thread
    // that was already stopped when it was seized) reports the stopping
    // signal. Either way nothing is pending for the thread.
    bool stopping_signal = signal == SIGSTOP || signal == SIGTSTP || signal == SIGTTIN ||
                           signal == SIGTTOU;
    result.stop = stopping_signal ? StopKind::group_stop : StopKind::interrupt;
    return result;
  }
  if (event != 0) {
    // Another ptrace event (PTRACE_EVENT_CLONE of a thread traced with
    // PTRACE_O_TRACECLONE) came before the interrupt. WSTOPSIG is SIGTRAP
    // here, but no signal is pending: handing it back would kill the
    // target. The interrupt stays pending and is reported later.
    result.stop = StopKind::interrupt;
    return result;
  }
  // A signal reached the thread before the interrupt did. The thread is in
  // signal-delivery-stop and the signal must be handed back on detach, or
  // the target would never see it.
  result.stop = StopKind::signal_delivery;
  result.signal = signal;
  return result;
}

namespace {

// Exit statuses collected by wait_nohang, per calling thread, like ptrace
// itself. Bounded, because only the last few matter to a parent.
thread_local std::map<int, int> collected_exits;
constexpr std::size_t kMaxCollectedExits = 256;

void keep_exit(int tid, int status) {
  if (collected_exits.size() >= kMaxCollectedExits) collected_exits.erase(collected_exits.begin());
  collected_exits[tid] = status;
}

}  // namespace

std::optional<int> take_collected_exit(int tid) {
  auto it = collected_exits.find(tid);
  if (it == collected_exits.end()) return std::nullopt;
  int status = it->second;
  collected_exits.erase(it);
  return status;
}

WaitResult wait_nohang(int tid) {
  int status = 0;
  while (true) {
    int waited = ::waitpid(tid, &status, __WALL | WNOHANG);
    if (waited == tid) {
      if (WIFEXITED(status) || WIFSIGNALED(status)) keep_exit(tid, status);
      return decode_wait_status(status);
    }
    if (waited == 0) return {};
    if (errno == EINTR) continue;
    // ECHILD: the thread is no longer our tracee, so it has exited.
    spdlog::debug("tid {}: waitpid failed: {}", tid, std::strerror(errno));
    WaitResult gone;
    gone.kind = WaitKind::exited;
    return gone;
  }
}

}  // namespace stray
