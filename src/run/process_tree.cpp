#include "run/process_tree.hpp"

#include <errno.h>
#include <sys/syscall.h>
#include <unistd.h>

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

}  // namespace stray::run
