#include "run/exit_filter.hpp"

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <cstddef>
#include <cstdint>

namespace stray::run {

namespace {

constexpr std::array<int, 8> kReportedSignals = {SIGABRT, SIGSEGV, SIGBUS, SIGFPE,
                                                 SIGILL,  SIGQUIT, SIGSYS, SIGTRAP};

constexpr std::uint32_t argument_offset(int index) {
  // Low 32 bits of a 64-bit argument on little-endian x86_64.
  return static_cast<std::uint32_t>(offsetof(struct seccomp_data, args) + 8 * index);
}

constexpr sock_filter load(std::uint32_t offset) {
  return BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offset);
}

constexpr sock_filter give(std::uint32_t action) { return BPF_STMT(BPF_RET | BPF_K, action); }

// Conditional jump from instruction `at` to `target` when the accumulator
// equals `value`, else to the next instruction. BPF offsets are relative.
constexpr sock_filter jump_if_equal(std::uint32_t value, std::size_t at, std::size_t target) {
  return BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, value, static_cast<std::uint8_t>(target - at - 1), 0);
}

constexpr sock_filter jump_always(std::size_t at, std::size_t target) {
  return BPF_JUMP(BPF_JMP | BPF_JA, static_cast<std::uint32_t>(target - at - 1), 0, 0);
}

// Non-x86_64 system calls and x32 ones (nr | 0x40000000) are allowed
// unfiltered. kill and tkill carry the signal in args[1], tgkill in args[2].
constexpr std::size_t kSignalCount = kReportedSignals.size();
constexpr std::size_t kLoadSecond = 9;
constexpr std::size_t kLoadFirst = 11;
constexpr std::size_t kCheckSignals = 12;
constexpr std::size_t kAllowAfterCheck = kCheckSignals + kSignalCount;
constexpr std::size_t kNotify = kAllowAfterCheck + 1;
using FilterProgram = std::array<sock_filter, kNotify + 1>;

constexpr FilterProgram build_program() {
  FilterProgram program{};
  program[0] = load(offsetof(struct seccomp_data, arch));
  program[1] = jump_if_equal(AUDIT_ARCH_X86_64, 1, 3);
  program[2] = give(SECCOMP_RET_ALLOW);
  program[3] = load(offsetof(struct seccomp_data, nr));
  program[4] = jump_if_equal(__NR_exit_group, 4, kNotify);
  program[5] = jump_if_equal(__NR_tgkill, 5, kLoadSecond);
  program[6] = jump_if_equal(__NR_tkill, 6, kLoadFirst);
  program[7] = jump_if_equal(__NR_kill, 7, kLoadFirst);
  program[8] = give(SECCOMP_RET_ALLOW);
  program[kLoadSecond] = load(argument_offset(2));
  program[kLoadSecond + 1] = jump_always(kLoadSecond + 1, kCheckSignals);
  program[kLoadFirst] = load(argument_offset(1));
  for (std::size_t k = 0; k < kSignalCount; ++k) {
    std::size_t at = kCheckSignals + k;
    program[at] = jump_if_equal(static_cast<std::uint32_t>(kReportedSignals[k]), at, kNotify);
  }
  program[kAllowAfterCheck] = give(SECCOMP_RET_ALLOW);
  program[kNotify] = give(SECCOMP_RET_USER_NOTIF);
  return program;
}

// Without SECCOMP_FILTER_FLAG_SPEC_ALLOW (Linux 4.17), a kernel booted with
// spec_store_bypass_disable=seccomp or spectre_v2_user=seccomp forces SSBD
// and STIBP on the test, which slows its own code. Those were the x86
// defaults before kernel commit 2f46993d83ff. The filter only observes, so
// it needs no such protection.
int set_filter(sock_fprog& program) {
  constexpr unsigned kFlags = SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_SPEC_ALLOW;
  long fd = ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, kFlags, &program);
  return fd < 0 ? -errno : static_cast<int>(fd);
}

}  // namespace

int install_exit_filter() {
  static FilterProgram program = build_program();
  sock_fprog fprog{static_cast<unsigned short>(program.size()), program.data()};
  int fd = set_filter(fprog);
  // Without CAP_SYS_ADMIN in its user namespace, a process may install a
  // filter only once no_new_privs is set (EACCES otherwise).
  if (fd != -EACCES) return fd;
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return -errno;
  return set_filter(fprog);
}

bool is_reported_signal(int signal) {
  for (int reported : kReportedSignals) {
    if (reported == signal) return true;
  }
  return false;
}

}  // namespace stray::run
