// Decides what each thread is parked in, from its syscall, its /proc state
// and its top frames, and finds the object it waits on and its start
// routine. Reads /proc/PID/fd and /proc/PID/net after the target runs again;
// it never stops the target.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "stray/model.hpp"

namespace stray {

// Per-snapshot facts shared by all threads of one process, loaded lazily.
class ClassifyContext {
 public:
  // `proc_tid` is the thread whose /proc/TID directory lists the process's
  // fds and network namespace: pid, unless the main thread has exited (see
  // proc::find_memory_tid).
  explicit ClassifyContext(int pid, int proc_tid = 0);
  ~ClassifyContext();
  int pid() const { return pid_; }
  int proc_tid() const { return proc_tid_; }

  // Socket details for a socket inode, from /proc/PID/net/{tcp,tcp6,udp,udp6,unix}.
  struct Socket {
    std::string protocol;  // "tcp", "tcp6", "udp", "udp6", "unix"
    std::string local;     // "127.0.0.1:80", "[::1]:80", a Unix path, "@name" (abstract)
    std::string peer;      // empty when unconnected, and always for Unix sockets
  };
  // The socket with this inode in the target's network namespace, or
  // nullptr when it is not listed (another protocol, or closed since).
  const Socket* find_socket(std::uint64_t inode);

 private:
  void load_sockets();

  int pid_;
  int proc_tid_;
  bool sockets_loaded_ = false;
  std::map<std::uint64_t, Socket> sockets_;
};

// Fills thread.thread_class, thread.syscall, thread.wait, thread.start_routine
// and thread.top_frame. Expects thread.frames to be symbolized already.
void classify(Thread& thread, const RawThread& raw, ClassifyContext& context);

// Name of an x86_64 syscall number ("futex"), or "syscall_N" when unknown.
std::string syscall_name(long number);

// True when a frame belongs to the C or C++ runtime (libc, libstdc++,
// libgcc, the dynamic loader, the vDSO, std::thread's trampolines).
bool is_runtime_frame(const Frame& frame);

}  // namespace stray
