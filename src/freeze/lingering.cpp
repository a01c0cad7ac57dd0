#include "freeze/lingering.hpp"

#include <sys/ptrace.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>

#include "freeze/wait_status.hpp"

namespace stray::lingering {

namespace {

struct Tracee {
  int pid = 0;
  int tid = 0;
};

thread_local std::vector<Tracee> t_tracees;

// Returns true when the tracee is done with: detached or gone.
bool try_release(const Tracee& tracee) {
  WaitResult result = wait_nohang(tracee.tid);
  if (result.kind == WaitKind::none) return false;
  if (result.kind == WaitKind::exited) return true;
  if (::ptrace(PTRACE_DETACH, tracee.tid, nullptr,
               reinterpret_cast<void*>(static_cast<long>(result.signal))) != 0 &&
      errno != ESRCH) {
    spdlog::error("pid {} tid {}: PTRACE_DETACH of a late stop failed: {}", tracee.pid,
                  tracee.tid, std::strerror(errno));
  } else {
    spdlog::info("pid {} tid {}: stopped late and is now released", tracee.pid, tracee.tid);
  }
  return true;
}

}  // namespace

void add(int pid, int tid) { t_tracees.push_back({pid, tid}); }

std::size_t release() {
  std::erase_if(t_tracees, try_release);
  return t_tracees.size();
}

std::size_t release_within(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (release() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return t_tracees.size();
}

}  // namespace stray::lingering
