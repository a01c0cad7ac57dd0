#include "run/process_tree.hpp"

#include <errno.h>
#include <poll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <sstream>
#include <string>

#include <spdlog/spdlog.h>

#include "proc/proc.hpp"
#include "stray/error.hpp"

namespace stray::run {

namespace {

// Children of every thread of `pid`: a process is the child of the thread
// that forked it.
std::vector<int> children_of(int pid) {
  std::vector<int> children;
  std::vector<int> tids;
  try {
    tids = proc::read_tids(pid);
  } catch (const Error&) {
    return children;
  }
  for (int tid : tids) {
    auto text = proc::try_read_file("/proc/" + std::to_string(pid) + "/task/" + std::to_string(tid) +
                                    "/children");
    if (!text) continue;
    std::istringstream list(*text);
    for (int child = 0; list >> child;) children.push_back(child);
  }
  return children;
}

}  // namespace

std::vector<int> list_process_tree(int pid) {
  std::vector<int> tree = {pid};
  for (std::size_t next = 0; next < tree.size(); ++next) {
    for (int child : children_of(tree[next])) tree.push_back(child);
  }
  return tree;
}

ProcessHandles::ProcessHandles(const std::vector<int>& pids) : pids_(pids) {
  for (int pid : pids_) {
    long fd = ::syscall(SYS_pidfd_open, pid, 0);
    if (fd < 0) spdlog::debug("pid {}: pidfd_open failed: {}", pid, std::strerror(errno));
    fds_.push_back(fd < 0 ? -1 : static_cast<int>(fd));
  }
}

ProcessHandles::~ProcessHandles() {
  for (int fd : fds_) {
    if (fd >= 0) ::close(fd);
  }
}

void ProcessHandles::signal_all(int signal) const {
  for (std::size_t i = 0; i < fds_.size(); ++i) {
    if (fds_[i] < 0) continue;
    if (::syscall(SYS_pidfd_send_signal, fds_[i], signal, nullptr, 0) != 0 && errno != ESRCH) {
      spdlog::error("pid {}: pidfd_send_signal of signal {} failed: {}", pids_[i], signal,
                    std::strerror(errno));
    }
  }
}

// A pidfd polls readable once its process has exited (Linux 5.3).
bool ProcessHandles::wait_for_exits(std::chrono::steady_clock::time_point deadline) const {
  std::vector<pollfd> running;
  for (int fd : fds_) {
    if (fd >= 0) running.push_back({fd, POLLIN, 0});
  }
  while (!running.empty()) {
    auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    int ready = ::poll(running.data(), running.size(), static_cast<int>(left.count()));
    if (ready < 0 && errno != EINTR) {
      spdlog::error("poll of {} pidfds failed: {}", running.size(), std::strerror(errno));
      return false;
    }
    std::erase_if(running, [](const pollfd& entry) { return entry.revents != 0; });
  }
  return true;
}

}  // namespace stray::run
