#include "freeze/freezer.hpp"

#include <signal.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <set>
#include <thread>

#include <spdlog/spdlog.h>

#include "freeze/lingering.hpp"
#include "freeze/seize_errors.hpp"
#include "freeze/wait_status.hpp"
#include "proc/proc.hpp"
#include "stray/error.hpp"

namespace stray {

namespace {

static_assert(sizeof(sigset_t) <= sizeof(std::uint64_t[16]), "saved_mask_ too small for sigset_t");

// Signals that would end or stop stray while threads are frozen. Blocked,
// they stay pending until resume(). SIGKILL and SIGSTOP cannot be blocked:
// after SIGKILL the kernel detaches the tracees, but after SIGSTOP they stay
// in their ptrace stop until stray is continued.
sigset_t deferred_signals() {
  sigset_t set;
  sigemptyset(&set);
  for (int signal : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP, SIGTTIN, SIGTTOU}) sigaddset(&set, signal);
  return set;
}

// Reads what the freeze must know about a thread before seizing it. Returns
// false when the thread is already gone.
bool describe_thread(int pid, int tid, FrozenThread& thread) {
  auto stat = proc::try_read_task_stat(pid, tid);
  if (!stat) return false;
  thread.tid = tid;
  thread.state = stat->state;
  thread.start_time = stat->start_time;
  thread.name = std::move(stat->comm);
  return true;
}

// Describes every listed thread before the first seize, because its /proc
// read would otherwise lengthen the stop. Threads that are gone are left out.
std::map<int, FrozenThread> describe_threads(int pid) {
  std::map<int, FrozenThread> described;
  std::vector<int> tids;
  try {
    tids = proc::read_tids(pid);
  } catch (const Error&) {
    return described;  // seize_all reports the exit with the usual error
  }
  for (int tid : tids) {
    FrozenThread thread;
    if (describe_thread(pid, tid, thread)) described.emplace(tid, std::move(thread));
  }
  return described;
}

}  // namespace

FrozenProcess::FrozenProcess(int pid) : pid_(pid) {}

FrozenProcess::FrozenProcess(FrozenProcess&& other) noexcept
    : pid_(other.pid_),
      traced_by_caller_(other.traced_by_caller_),
      listed_only_(other.listed_only_),
      held_tids_(std::move(other.held_tids_)),
      threads_(std::move(other.threads_)),
      started_(other.started_),
      resumed_(other.resumed_),
      signals_blocked_(other.signals_blocked_) {
  std::memcpy(saved_mask_, other.saved_mask_, sizeof saved_mask_);
  other.resumed_ = true;
  other.signals_blocked_ = false;
  other.threads_.clear();
}

FrozenProcess::~FrozenProcess() { resume(); }

FrozenProcess FrozenProcess::freeze(int pid, const FreezeOptions& options) {
  lingering::release();
  check_freezable(pid);
  FrozenProcess frozen(pid);
  frozen.traced_by_caller_ = options.traced_by_caller;
  frozen.listed_only_ = !options.only_tids.empty();
  if (options.traced_by_caller) frozen.held_tids_ = options.held_tids;

  sigset_t block = deferred_signals();
  ::pthread_sigmask(SIG_BLOCK, &block, reinterpret_cast<sigset_t*>(frozen.saved_mask_));
  frozen.signals_blocked_ = true;

  if (options.only_tids.empty()) {
    frozen.seize_all(describe_threads(pid), options.excluded_tids);
  } else {
    frozen.seize_listed(options.only_tids);
  }
  frozen.wait_for_stops(options.stop_timeout);
  return frozen;
}

void FrozenProcess::seize_all(std::map<int, FrozenThread> described,
                              const std::vector<int>& excluded_tids) {
  std::set<int> seen(excluded_tids.begin(), excluded_tids.end());
  SeizeFailures failures;
  started_ = std::chrono::steady_clock::now();
  // A thread that was running when the task directory was listed may have
  // created another one since, so list again until a pass finds no new tid.
  // Seized threads are stopped or about to stop, so this converges.
  while (true) {
    std::vector<int> tids;
    try {
      tids = proc::read_tids(pid_);
    } catch (const Error&) {
      throw Error(ErrorKind::target_exited,
                  "pid " + std::to_string(pid_) + ": the process exited during the freeze");
    }
    bool found_new = false;
    for (int tid : tids) {
      if (!seen.insert(tid).second) continue;
      found_new = true;
      // A thread created after describe_threads ran is described here,
      // inside the freeze window.
      FrozenThread thread;
      if (auto it = described.find(tid); it != described.end()) {
        thread = std::move(it->second);
      } else if (!describe_thread(pid_, tid, thread)) {
        continue;
      }
      if (stop(thread, failures) || !thread.seize_error.empty()) threads_.push_back(std::move(thread));
    }
    if (!found_new) break;
  }
  // With excluded threads, the others may all have exited: an empty freeze.
  if (!any_seized() && excluded_tids.empty()) failures.throw_error(pid_);
}

bool FrozenProcess::any_seized() const {
  return std::any_of(threads_.begin(), threads_.end(),
                     [](const FrozenThread& thread) { return thread.seize_error.empty(); });
}

void FrozenProcess::seize_listed(const std::vector<int>& tids) {
  SeizeFailures failures;
  started_ = std::chrono::steady_clock::now();
  for (int tid : tids) {
    FrozenThread thread;
    // Reading /proc/PID/task/TID fails for a tid of another process too.
    if (!describe_thread(pid_, tid, thread)) continue;
    if (stop(thread, failures) || !thread.seize_error.empty()) threads_.push_back(std::move(thread));
  }
  if (any_seized()) return;
  threads_.clear();
  if (failures.empty() && proc::process_exists(pid_)) {
    std::string listed;
    for (int tid : tids) listed += (listed.empty() ? "" : ", ") + std::to_string(tid);
    throw Error(ErrorKind::invalid_input, "pid " + std::to_string(pid_) + ": tid " + listed +
                                              " is not a thread of it");
  }
  failures.throw_error(pid_);
}

bool FrozenProcess::stop(FrozenThread& thread, SeizeFailures& failures) {
  if (!traced_by_caller_) return seize_and_interrupt(thread, failures);
  return interrupt_traced(thread);
}

bool FrozenProcess::interrupt_traced(FrozenThread& thread) {
  if (std::find(held_tids_.begin(), held_tids_.end(), thread.tid) != held_tids_.end()) {
    thread.stop = StopKind::signal_delivery;  // its signal stays with the caller
    // /proc shows 't' for the caller's own stop. Untraced, the thread would
    // be running the signal's delivery (a faulting thread, its instruction).
    thread.state = 'R';
    return true;
  }
  // A zombie (the leader after pthread_exit) accepts the interrupt but
  // never stops, which would cost the whole stop timeout.
  if (thread.state == 'Z' || thread.state == 'X') return false;
  if (::ptrace(PTRACE_INTERRUPT, thread.tid, nullptr, nullptr) != 0) {
    // ESRCH: the thread exited, or is not (yet) our tracee.
    spdlog::debug("pid {} tid {}: PTRACE_INTERRUPT failed: {}", pid_, thread.tid, std::strerror(errno));
    return false;
  }
  return true;
}

bool FrozenProcess::seize_and_interrupt(FrozenThread& thread, SeizeFailures& failures) {
  const int tid = thread.tid;
  if (::ptrace(PTRACE_SEIZE, tid, nullptr, nullptr) != 0) {
    int error = errno;
    failures.record(tid, error);
    // ESRCH: the thread exited after it was listed. EPERM also comes from a
    // thread that is exiting, and from one that another tracer holds, which
    // the snapshot must show. A real permission problem hits every thread
    // and is reported by failures.throw_error when none could be seized.
    if (error == EPERM) {
      if (auto tracer = describe_other_tracer(tid)) {
        thread.seize_error = "not stopped: " + *tracer;
        spdlog::debug("pid {} tid {}: PTRACE_SEIZE: {}", pid_, tid, *tracer);
        return false;
      }
    }
    spdlog::debug("pid {} tid {}: PTRACE_SEIZE failed: {}", pid_, tid, std::strerror(error));
    return false;
  }
  if (::ptrace(PTRACE_INTERRUPT, tid, nullptr, nullptr) != 0) {
    spdlog::debug("pid {} tid {}: PTRACE_INTERRUPT failed: {}", pid_, tid, std::strerror(errno));
    ::ptrace(PTRACE_DETACH, tid, nullptr, nullptr);
    return false;
  }
  return true;
}

void FrozenProcess::wait_for_stops(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::vector<FrozenThread*> pending;
  for (auto& thread : threads_) {
    if (thread.stop == StopKind::not_stopped && thread.seize_error.empty()) pending.push_back(&thread);
  }
  std::vector<int> exited;
  auto pause = std::chrono::microseconds(0);

  while (!pending.empty()) {
    std::size_t before = pending.size();
    std::erase_if(pending, [&](FrozenThread* thread) {
      WaitResult result = wait_nohang(thread->tid);
      switch (result.kind) {
        case WaitKind::none: return false;
        case WaitKind::exited: exited.push_back(thread->tid); return true;
        case WaitKind::stopped:
          thread->stop = result.stop;
          thread->pending_signal = result.signal;
          return true;
      }
      return true;
    });
    if (pending.empty()) break;
    // The timeout counts from the last stop seen, not from the first
    // interrupt. At 1000 threads and a load average of 14 on 2 cores, the
    // stops took longer than 500 ms in all, although each thread came.
    auto now = std::chrono::steady_clock::now();
    if (pending.size() < before) deadline = now + timeout;
    if (now >= deadline) break;
    // Most stops land within microseconds of the interrupt, so poll tightly
    // first and back off towards a millisecond for a slow thread.
    if (pause.count() == 0) {
      std::this_thread::yield();
      pause = std::chrono::microseconds(10);
    } else {
      std::this_thread::sleep_for(pause);
      pause = std::min(pause * 2, std::chrono::microseconds(1000));
    }
  }

  for (FrozenThread* thread : pending) {
    spdlog::warn("pid {} tid {}: no stop reported within {} ms (state {}); reported as not stopped",
                 pid_, thread->tid, timeout.count(), thread->state);
  }
  std::erase_if(threads_, [&](const FrozenThread& thread) {
    return std::find(exited.begin(), exited.end(), thread.tid) != exited.end();
  });
  if (threads_.empty()) {
    // A traced thread's exit is reported to its tracer here, so every
    // listed thread can end while the process lives on.
    if (listed_only_ && proc::process_exists(pid_)) {
      throw Error(ErrorKind::invalid_input,
                  "pid " + std::to_string(pid_) + ": every requested thread exited during the freeze");
    }
    throw Error(ErrorKind::target_exited,
                "pid " + std::to_string(pid_) + ": the process exited during the freeze");
  }
}

std::chrono::steady_clock::time_point FrozenProcess::resume() {
  if (!resumed_) {
    resumed_ = true;
    for (FrozenThread& thread : threads_) {
      if (traced_by_caller_) {
        let_go(thread);
      } else {
        detach(thread);
      }
    }
    released_ = std::chrono::steady_clock::now();
    lingering::release();
  }
  if (signals_blocked_) {
    signals_blocked_ = false;
    ::pthread_sigmask(SIG_SETMASK, reinterpret_cast<const sigset_t*>(saved_mask_), nullptr);
  }
  return released_;
}

void FrozenProcess::detach(FrozenThread& thread) {
  if (!thread.seize_error.empty()) return;  // never seized
  if (thread.stop == StopKind::not_stopped) {
    // PTRACE_DETACH needs a stopped tracee. Give the thread one more
    // chance; otherwise lingering:: detaches it once it stops.
    WaitResult result = wait_nohang(thread.tid);
    if (result.kind != WaitKind::stopped) {
      spdlog::warn("pid {} tid {}: still not stopped; it is released as soon as it stops (at the "
                   "next freeze or when stray exits)",
                   pid_, thread.tid);
      lingering::add(pid_, thread.tid);
      return;
    }
    thread.pending_signal = result.signal;
  }
  // A group-stopped thread stays stopped after the detach: the kernel
  // re-enters the group stop because the process is still marked stopped.
  if (::ptrace(PTRACE_DETACH, thread.tid, nullptr,
               reinterpret_cast<void*>(static_cast<long>(thread.pending_signal))) != 0) {
    if (errno == ESRCH) {
      spdlog::debug("pid {} tid {}: PTRACE_DETACH: thread exited", pid_, thread.tid);
    } else {
      spdlog::error("pid {} tid {}: PTRACE_DETACH failed: {}", pid_, thread.tid,
                    std::strerror(errno));
    }
  }
}

// The traced_by_caller counterpart of detach(): the thread stays traced.
void FrozenProcess::let_go(FrozenThread& thread) {
  bool held = std::find(held_tids_.begin(), held_tids_.end(), thread.tid) != held_tids_.end();
  // A thread that never reported its stop reports it to the caller later.
  if (held || thread.stop == StopKind::not_stopped) return;
  long result;
  if (thread.stop == StopKind::group_stop) {
    // PTRACE_LISTEN keeps the job-control stop while letting the thread
    // wake for SIGCONT, as if no tracer were there.
    result = ::ptrace(PTRACE_LISTEN, thread.tid, nullptr, nullptr);
  } else {
    result = ::ptrace(PTRACE_CONT, thread.tid, nullptr,
                      reinterpret_cast<void*>(static_cast<long>(thread.pending_signal)));
  }
  if (result != 0 && errno != ESRCH) {
    spdlog::error("pid {} tid {}: continuing after the freeze failed: {}", pid_, thread.tid,
                  std::strerror(errno));
  }
}

}  // namespace stray
