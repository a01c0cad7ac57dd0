#include "run/thread_tracer.hpp"

#include <errno.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/wait.h>

#include <cstring>

#include <spdlog/spdlog.h>

namespace stray::run {

namespace {

bool is_stopping_signal(int signal) {
  return signal == SIGSTOP || signal == SIGTSTP || signal == SIGTTIN || signal == SIGTTOU;
}

}  // namespace

std::string seize_before_exec(int pid) {
  // No PTRACE_O_EXITKILL: PR_SET_PDEATHSIG already ends the command with
  // stray, and a process made by clone() without SIGCHLD, traced until its
  // first stop is seen, must outlive stray.
  long options = PTRACE_O_TRACECLONE;
  if (::ptrace(PTRACE_SEIZE, pid, nullptr, reinterpret_cast<void*>(options)) == 0) return {};
  return std::string("PTRACE_SEIZE of pid ") + std::to_string(pid) + " failed: " + std::strerror(errno);
}

TracedStop decode_traced_stop(int status) {
  TracedStop stop;
  int signal = WSTOPSIG(status);
  int event = status >> 16;
  if (event == 0) {
    stop.kind = TracedStop::Kind::signal_delivery;
    stop.signal = signal;
  } else if (event == PTRACE_EVENT_STOP && is_stopping_signal(signal)) {
    stop.kind = TracedStop::Kind::group_stop;
    stop.signal = signal;
  }
  return stop;
}

void continue_traced(int tid, const TracedStop& stop) {
  long result;
  if (stop.kind == TracedStop::Kind::group_stop) {
    result = ::ptrace(PTRACE_LISTEN, tid, nullptr, nullptr);
  } else {
    int signal = stop.kind == TracedStop::Kind::signal_delivery ? stop.signal : 0;
    result = ::ptrace(PTRACE_CONT, tid, nullptr, reinterpret_cast<void*>(static_cast<long>(signal)));
  }
  if (result == 0) return;
  if (errno == ESRCH) {
    spdlog::debug("tid {}: gone before it could be continued", tid);
  } else {
    spdlog::error("tid {}: {} failed: {}", tid,
                  stop.kind == TracedStop::Kind::group_stop ? "PTRACE_LISTEN" : "PTRACE_CONT",
                  std::strerror(errno));
  }
}

void detach_traced(int tid, const TracedStop& stop) {
  int signal = stop.kind == TracedStop::Kind::signal_delivery ? stop.signal : 0;
  if (::ptrace(PTRACE_DETACH, tid, nullptr, reinterpret_cast<void*>(static_cast<long>(signal))) != 0 &&
      errno != ESRCH) {
    spdlog::error("tid {}: PTRACE_DETACH of a task outside the command failed: {}", tid, std::strerror(errno));
  }
}

bool read_signal_origin(int tid, SignalOrigin& origin) {
  siginfo_t info{};
  if (::ptrace(PTRACE_GETSIGINFO, tid, nullptr, &info) != 0) {
    spdlog::debug("tid {}: PTRACE_GETSIGINFO failed: {}", tid, std::strerror(errno));
    return false;
  }
  // si_code > 0 means the kernel raised the signal (a fault, SI_KERNEL);
  // SI_USER, SI_TKILL and SI_QUEUE are <= 0 and carry the sender's pid.
  if (info.si_code > 0) {
    origin.raised_by_kernel = true;
    origin.has_fault_address = info.si_code != SI_KERNEL;
    origin.fault_address = reinterpret_cast<std::uintptr_t>(info.si_addr);
  } else {
    origin.sender_pid = info.si_pid;
  }
  return true;
}

}  // namespace stray::run
