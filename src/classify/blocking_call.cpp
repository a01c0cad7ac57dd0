// Reads the runtime frames of a blocked thread to say what a futex wait is
// for, and which call a thread in restart_syscall had made.
//
// Names are those of Debian 12's glibc 2.36 with libc6-dbg symbols, as
// eu-stack shows them, reduced by glibc_base_name(). Examples are
// "___pthread_mutex_lock" and "__GI___lll_lock_wait" for a mutex,
// "__pthread_cond_wait_common" and "___pthread_cond_timedwait64" for a
// condition variable, "___pthread_rwlock_rdlock" and
// "__pthread_rwlock_rdlock_full64", "__new_sem_wait_slow64" (sem_wait),
// "__pthread_clockjoin_ex" (pthread_join). Without debug symbols the
// exported names (pthread_mutex_lock, sem_wait...) still match.
#include <sys/syscall.h>

#include <array>
#include <map>
#include <string_view>
#include <utility>

#include "classify/internal.hpp"

namespace stray::classify_detail {

namespace {

using Family = std::pair<std::string_view, ThreadClass>;

// Prefixes of glibc base names, and of gthr-posix.h wrappers that libstdc++
// inlines into programs.
constexpr std::array<Family, 20> kGlibcFamilies = {{
    {"pthread_cond_", ThreadClass::condvar},
    {"cnd_", ThreadClass::condvar},
    {"gthread_cond_", ThreadClass::condvar},
    {"pthread_mutex_", ThreadClass::mutex},
    {"lll_lock_wait", ThreadClass::mutex},
    {"lll_mutex_lock", ThreadClass::mutex},
    {"mtx_", ThreadClass::mutex},
    {"gthread_mutex_", ThreadClass::mutex},
    {"gthread_recursive_mutex_", ThreadClass::mutex},
    {"pthread_rwlock_", ThreadClass::rwlock},
    {"glibcxx_rwlock_", ThreadClass::rwlock},
    {"sem_", ThreadClass::semaphore},
    {"new_sem_", ThreadClass::semaphore},
    {"old_sem_", ThreadClass::semaphore},
    {"pthread_join", ThreadClass::join},
    {"pthread_clockjoin", ThreadClass::join},
    {"pthread_timedjoin", ThreadClass::join},
    {"pthread_tryjoin", ThreadClass::join},
    {"thrd_join", ThreadClass::join},
    {"gthread_join", ThreadClass::join},
}};

// Prefixes of qualified C++ names. libstdc++ 12's std::counting_semaphore
// waits on a futex without any libc semaphore frame.
constexpr std::array<Family, 14> kCxxFamilies = {{
    {"std::condition_variable", ThreadClass::condvar},
    {"std::_V2::condition_variable_any", ThreadClass::condvar},
    {"std::__condvar", ThreadClass::condvar},
    {"std::mutex::", ThreadClass::mutex},
    {"std::timed_mutex::", ThreadClass::mutex},
    {"std::recursive_mutex::", ThreadClass::mutex},
    {"std::recursive_timed_mutex::", ThreadClass::mutex},
    {"std::shared_mutex::", ThreadClass::rwlock},
    {"std::shared_timed_mutex::", ThreadClass::rwlock},
    {"std::__shared_mutex_pthread::", ThreadClass::rwlock},
    {"std::counting_semaphore<", ThreadClass::semaphore},
    {"std::__atomic_semaphore", ThreadClass::semaphore},
    {"std::thread::join", ThreadClass::join},
    {"std::jthread::join", ThreadClass::join},
}};

// glibc wrapper base names and the syscall each one makes on x86_64 with
// glibc 2.36 (nanosleep goes through clock_nanosleep, select through
// pselect6, recv and send through recvfrom and sendto).
const std::map<std::string_view, long>& wrapper_syscalls() {
  static const std::map<std::string_view, long> table = {
      {"read", SYS_read},         {"readv", SYS_readv},
      {"pread", SYS_pread64},     {"preadv", SYS_preadv},
      {"preadv2", SYS_preadv2},   {"write", SYS_write},
      {"writev", SYS_writev},     {"pwrite", SYS_pwrite64},
      {"pwritev", SYS_pwritev},   {"pwritev2", SYS_pwritev2},
      {"recv", SYS_recvfrom},     {"recvfrom", SYS_recvfrom},
      {"recvmsg", SYS_recvmsg},   {"recvmmsg", SYS_recvmmsg},
      {"send", SYS_sendto},       {"sendto", SYS_sendto},
      {"sendmsg", SYS_sendmsg},   {"sendmmsg", SYS_sendmmsg},
      {"accept", SYS_accept},     {"accept4", SYS_accept4},
      {"connect", SYS_connect},   {"poll", SYS_poll},
      {"ppoll", SYS_ppoll},       {"select", SYS_pselect6},
      {"pselect", SYS_pselect6},  {"epoll_wait", SYS_epoll_wait},
      {"epoll_pwait", SYS_epoll_pwait}, {"epoll_pwait2", SYS_epoll_pwait2},
      {"nanosleep", SYS_clock_nanosleep}, {"clock_nanosleep", SYS_clock_nanosleep},
      {"sigtimedwait", SYS_rt_sigtimedwait}, {"sigwaitinfo", SYS_rt_sigtimedwait},
      {"sigwait", SYS_rt_sigtimedwait}, {"sigsuspend", SYS_rt_sigsuspend},
      {"pause", SYS_pause},       {"wait4", SYS_wait4},
      {"waitpid", SYS_wait4},     {"wait", SYS_wait4},
      {"waitid", SYS_waitid},     {"flock", SYS_flock},
      {"fcntl", SYS_fcntl},       {"ioctl", SYS_ioctl},
      {"fsync", SYS_fsync},       {"fdatasync", SYS_fdatasync},
      {"msgrcv", SYS_msgrcv},     {"msgsnd", SYS_msgsnd},
      {"semtimedop", SYS_semtimedop}, {"futex", SYS_futex},
  };
  return table;
}

template <std::size_t N>
std::optional<ThreadClass> match_family(const std::array<Family, N>& families,
                                        std::string_view name) {
  for (const auto& [prefix, thread_class] : families) {
    if (name.substr(0, prefix.size()) == prefix) return thread_class;
  }
  return std::nullopt;
}

std::optional<ThreadClass> futex_family(const Frame& frame) {
  if (frame.function.empty()) return std::nullopt;
  std::string_view name = qualified_name(frame.function);
  if (name.substr(0, 5) == "std::") return match_family(kCxxFamilies, name);
  return match_family(kGlibcFamilies, glibc_base_name(name));
}

}  // namespace

ThreadClass classify_futex_wait(const std::vector<Frame>& frames, std::size_t end) {
  for (std::size_t i = 0; i < end && i < frames.size(); ++i) {
    if (auto thread_class = futex_family(frames[i])) return *thread_class;
  }
  return ThreadClass::futex;
}

std::optional<long> syscall_from_frames(const std::vector<Frame>& frames, std::size_t end) {
  const auto& table = wrapper_syscalls();
  for (std::size_t i = 0; i < end && i < frames.size(); ++i) {
    if (frames[i].function.empty()) continue;
    std::string base = glibc_base_name(qualified_name(frames[i].function));
    if (auto entry = table.find(base); entry != table.end()) return entry->second;
    // futex_wait, __futex_abstimed_wait_common64, __lll_lock_wait...
    if (base.rfind("futex", 0) == 0 || base.rfind("lll_", 0) == 0) return SYS_futex;
    if (futex_family(frames[i])) return SYS_futex;
  }
  return std::nullopt;
}

}  // namespace stray::classify_detail
