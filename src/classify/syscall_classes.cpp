// Maps x86_64 syscall numbers to thread classes.
#include <sys/syscall.h>

#include <map>

#include "classify/internal.hpp"

namespace stray::classify_detail {

namespace {

const std::map<long, ThreadClass>& syscall_classes() {
  static const std::map<long, ThreadClass> table = {
      {SYS_read, ThreadClass::read},
      {SYS_readv, ThreadClass::read},
      {SYS_pread64, ThreadClass::read},
      {SYS_preadv, ThreadClass::read},
      {SYS_preadv2, ThreadClass::read},
      {SYS_recvfrom, ThreadClass::read},
      {SYS_recvmsg, ThreadClass::read},
      {SYS_recvmmsg, ThreadClass::read},
      {SYS_write, ThreadClass::write},
      {SYS_writev, ThreadClass::write},
      {SYS_pwrite64, ThreadClass::write},
      {SYS_pwritev, ThreadClass::write},
      {SYS_pwritev2, ThreadClass::write},
      {SYS_sendto, ThreadClass::write},
      {SYS_sendmsg, ThreadClass::write},
      {SYS_sendmmsg, ThreadClass::write},
      {SYS_accept, ThreadClass::accept},
      {SYS_accept4, ThreadClass::accept},
      {SYS_connect, ThreadClass::connect},
      {SYS_poll, ThreadClass::poll},
      {SYS_ppoll, ThreadClass::poll},
      {SYS_select, ThreadClass::poll},
      {SYS_pselect6, ThreadClass::poll},
      {SYS_epoll_wait, ThreadClass::epoll},
      {SYS_epoll_pwait, ThreadClass::epoll},
      {SYS_epoll_pwait2, ThreadClass::epoll},
      {SYS_nanosleep, ThreadClass::sleep},
      {SYS_clock_nanosleep, ThreadClass::sleep},
      {SYS_rt_sigtimedwait, ThreadClass::signal_wait},
      {SYS_rt_sigsuspend, ThreadClass::signal_wait},
      {SYS_pause, ThreadClass::signal_wait},
      {SYS_wait4, ThreadClass::child_wait},
      {SYS_waitid, ThreadClass::child_wait},
      {SYS_futex, ThreadClass::futex},
      {SYS_futex_waitv, ThreadClass::futex},
  };
  return table;
}

}  // namespace

ThreadClass class_of_syscall(long number) {
  const auto& table = syscall_classes();
  auto entry = table.find(number);
  return entry == table.end() ? ThreadClass::syscall : entry->second;
}

}  // namespace stray::classify_detail
