// Finds the object a blocked thread waits on from its syscall arguments and
// /proc/PID/fd.
//
// Only what the registers hold is available: the fd, the futex address, a
// timeout passed by value (poll, epoll_wait, epoll_pwait: milliseconds) and
// the child pid. Timeouts passed by pointer (nanosleep, clock_nanosleep,
// ppoll, select, pselect6, epoll_pwait2, futex, rt_sigtimedwait) lie in the
// target's memory, which is not read after the target runs again, so they
// stay unknown. A call restarted through restart_syscall still has its
// original arguments in the registers, so the timeout is the one first
// requested, not what remains of it.
#include <sys/syscall.h>
#include <sys/wait.h>

#include <charconv>
#include <set>
#include <string_view>

#include <spdlog/spdlog.h>

#include "classify/internal.hpp"
#include "proc/proc.hpp"

namespace stray::classify_detail {

namespace {

// Syscalls whose first argument is the file descriptor they block on.
bool takes_fd_first(long number) {
  static const std::set<long> calls = {
      SYS_read,     SYS_readv,       SYS_pread64,     SYS_preadv,      SYS_preadv2,
      SYS_write,    SYS_writev,      SYS_pwrite64,    SYS_pwritev,     SYS_pwritev2,
      SYS_recvfrom, SYS_recvmsg,     SYS_recvmmsg,    SYS_sendto,      SYS_sendmsg,
      SYS_sendmmsg, SYS_accept,      SYS_accept4,     SYS_connect,     SYS_epoll_wait,
      SYS_epoll_pwait, SYS_epoll_pwait2, SYS_flock,   SYS_fcntl,       SYS_ioctl,
      SYS_fsync,    SYS_fdatasync,
  };
  return calls.count(number) != 0;
}

// The inode of a "socket:[12345]" link target.
std::optional<std::uint64_t> socket_inode(std::string_view target) {
  constexpr std::string_view kPrefix = "socket:[";
  if (target.substr(0, kPrefix.size()) != kPrefix || target.back() != ']') return std::nullopt;
  std::string_view digits = target.substr(kPrefix.size(), target.size() - kPrefix.size() - 1);
  std::uint64_t inode = 0;
  auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), inode);
  if (error != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  return inode;
}

void fill_fd(WaitObject& wait, int fd, ClassifyContext& context) {
  wait.fd = fd;
  auto target = proc::try_read_fd_link(context.proc_tid(), fd);
  if (!target) {
    spdlog::debug("pid {}: readlink of fd {} failed; it was closed or the process exited",
                  context.pid(), fd);
    return;
  }
  wait.fd_target = *target;
  auto inode = socket_inode(*target);
  if (!inode) return;
  if (const auto* socket = context.find_socket(*inode)) {
    wait.socket_protocol = socket->protocol;
    wait.socket_local = socket->local;
    wait.socket_peer = socket->peer;
  }
}

// A timeout argument in milliseconds, where a negative value means none.
std::optional<std::chrono::nanoseconds> timeout_ms(std::uint64_t argument) {
  int milliseconds = static_cast<int>(argument);
  if (milliseconds < 0) return std::nullopt;
  return std::chrono::milliseconds(milliseconds);
}

// The single child a wait4 or waitid call waits for. Absent when the call
// waits for any child or a process group (wait4 pid <= 0, waitid P_ALL or
// P_PGID).
std::optional<int> waited_child(long number, const SyscallArgs& args) {
  if (number == SYS_wait4 && static_cast<int>(args[0]) > 0) return static_cast<int>(args[0]);
  if (number == SYS_waitid && static_cast<int>(args[0]) == P_PID) {
    return static_cast<int>(args[1]);
  }
  return std::nullopt;
}

}  // namespace

void fill_wait_object(WaitObject& wait, long number, const SyscallArgs& args,
                      ClassifyContext& context) {
  int fd = static_cast<int>(args[0]);
  if (takes_fd_first(number) && fd >= 0) fill_fd(wait, fd, context);

  if (number == SYS_poll) wait.timeout = timeout_ms(args[2]);
  if (number == SYS_epoll_wait || number == SYS_epoll_pwait) wait.timeout = timeout_ms(args[3]);
  if (number == SYS_futex) wait.futex_address = args[0];
  wait.child_pid = waited_child(number, args);
}

}  // namespace stray::classify_detail
