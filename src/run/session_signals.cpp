#include "run/session_signals.hpp"

#include <errno.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include <spdlog/spdlog.h>

#include "proc/proc.hpp"
#include "stray/error.hpp"

namespace stray::run {

namespace {

// Signals whose default action ends stray. SIGTTIN, SIGTTOU and SIGCONT
// keep their defaults, so stray stops and continues with the job.
// SIGSEGV, SIGBUS, SIGFPE and SIGILL stay unblocked: raised by stray's own
// code, they must end it as usual (the kernel unblocks them anyway).
constexpr int kRelayedSignals[] = {SIGHUP,  SIGINT,    SIGQUIT, SIGTERM,   SIGUSR1, SIGUSR2,
                                   SIGALRM, SIGVTALRM, SIGPROF, SIGIO,     SIGPWR,  SIGSTKFLT,
                                   SIGXCPU, SIGXFSZ,   SIGSYS,  SIGTRAP,   SIGABRT};

sigset_t session_set() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTSTP);
  sigaddset(&set, SIGCHLD);
  sigaddset(&set, SIGPIPE);  // a closed report pipe must fail a write, not end stray
  for (int signal : kRelayedSignals) sigaddset(&set, signal);
  for (int signal = SIGRTMIN; signal <= SIGRTMAX; ++signal) sigaddset(&set, signal);
  return set;
}

// True when `pid` is `ancestor` or one of its descendants. Follows the
// parent links in /proc/PID/stat; a process that is gone counts as no.
bool descends_from(int pid, int ancestor) {
  constexpr int kMaxDepth = 64;
  for (int depth = 0; depth < kMaxDepth && pid > 1; ++depth) {
    if (pid == ancestor) return true;
    std::optional<proc::TaskStat> stat = proc::try_read_task_stat(pid, pid);
    if (!stat) return false;
    pid = stat->ppid;
  }
  return false;
}

}  // namespace

SessionSignals::SessionSignals() {
  sigset_t handled = session_set();
  ::sigprocmask(SIG_BLOCK, &handled, &original_);
  fd_ = ::signalfd(-1, &handled, SFD_CLOEXEC | SFD_NONBLOCK);
  if (fd_ < 0) {
    ::sigprocmask(SIG_SETMASK, &original_, nullptr);
    throw Error(ErrorKind::system, std::string("signalfd failed: ") + std::strerror(errno));
  }
}

SessionSignals::~SessionSignals() {
  ::close(fd_);
  ::sigprocmask(SIG_SETMASK, &original_, nullptr);
}

bool should_relay(const signalfd_siginfo& info, int command_pid) {
  int signal = static_cast<int>(info.ssi_signo);
  if (signal == SIGCHLD || signal == SIGPIPE) return false;
  // The terminal sends SIGINT, SIGQUIT, SIGTSTP and SIGHUP (SI_KERNEL) to
  // its foreground process group, so the command got it too, unless it
  // moved to a group of its own (setpgid, setsid).
  if (info.ssi_code == SI_KERNEL) {
    bool from_terminal = signal == SIGINT || signal == SIGQUIT || signal == SIGTSTP || signal == SIGHUP;
    pid_t group = ::getpgid(command_pid);
    return from_terminal && group > 0 && group != ::getpgrp();
  }
  int sender = static_cast<int>(info.ssi_pid);
  if (sender > 0 && descends_from(sender, command_pid)) {
    spdlog::debug("pid {}: signal {} came from pid {} in the command's tree; not relayed",
                  command_pid, signal, sender);
    return false;
  }
  return true;
}

bool is_termination_signal(int signal) {
  return signal == SIGINT || signal == SIGTERM || signal == SIGHUP;
}

void relay(const signalfd_siginfo& info, int command_pid) {
  int signal = static_cast<int>(info.ssi_signo);
  spdlog::debug("pid {}: relaying signal {} from pid {}", command_pid, signal, info.ssi_pid);
  int result;
  if (info.ssi_code == SI_QUEUE) {
    sigval value{};
    value.sival_ptr = reinterpret_cast<void*>(static_cast<std::uintptr_t>(info.ssi_ptr));
    result = ::sigqueue(command_pid, signal, value);
  } else {
    result = ::kill(command_pid, signal);
  }
  if (result != 0 && errno != ESRCH) {
    spdlog::error("pid {}: relaying signal {} failed: {}", command_pid, signal, std::strerror(errno));
  }
}

}  // namespace stray::run
