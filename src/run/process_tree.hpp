// The processes a command started, found through /proc, and a way to
// signal them later without hitting a pid that was reused meanwhile.
#pragma once

#include <chrono>
#include <vector>

namespace stray::run {

// `pid` first, then its descendants, breadth-first, from the children
// files of /proc/PID/task/TID (Linux 4.2 with CONFIG_PROC_CHILDREN). A
// process that exits while the tree is read is left out.
std::vector<int> list_process_tree(int pid);

// pidfds (Linux 5.3) of a set of processes. A signal sent through one
// reaches the process it was opened for or, once that has exited, none.
class ProcessHandles {
 public:
  explicit ProcessHandles(const std::vector<int>& pids);
  ~ProcessHandles();
  ProcessHandles(const ProcessHandles&) = delete;
  ProcessHandles& operator=(const ProcessHandles&) = delete;

  // Sends `signal` to each process that still runs.
  void signal_all(int signal) const;

  // Waits until every process has exited (a zombie counts) or `deadline`
  // passes. Returns true when all have exited.
  bool wait_for_exits(std::chrono::steady_clock::time_point deadline) const;

 private:
  std::vector<int> pids_;
  std::vector<int> fds_;  // -1 where pidfd_open failed: the process had exited
};

}  // namespace stray::run
