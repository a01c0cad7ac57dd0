// Tests of the classify stage on hand-built threads, and of its wait
// objects against the real /proc of tests/targets/classes.
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "classify/classifier.hpp"
#include "classify/internal.hpp"
#include "support/target_process.hpp"

namespace stray {
namespace {

using namespace std::chrono_literals;

const std::string kLibc = "/usr/lib/x86_64-linux-gnu/libc.so.6";
const std::string kLibstdcxx = "/usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.30";
const std::string kProgram = "/srv/app/bin/server";

Frame frame(const std::string& function, const std::string& module,
            FrameKind kind = FrameKind::cfi) {
  Frame result;
  result.function = function;
  result.module = module;
  result.kind = kind;
  return result;
}

constexpr std::uint64_t kNoFd = ~0ULL;  // fd -1: no /proc lookup

RawThread in_syscall(long number, SyscallArgs args = {kNoFd}, long rax = -512) {
  RawThread raw;
  raw.tid = 100;
  raw.state = 'S';
  raw.registers_valid = true;
  raw.registers.orig_rax = static_cast<std::uint64_t>(number);
  raw.registers.rax = static_cast<std::uint64_t>(rax);
  raw.registers.rdi = args[0];
  raw.registers.rsi = args[1];
  raw.registers.rdx = args[2];
  raw.registers.r10 = args[3];
  raw.registers.r8 = args[4];
  raw.registers.r9 = args[5];
  return raw;
}

// Classifies a thread of a process that is not the test's own pid, so no
// hand-built thread counts as a main thread.
Thread classify_with(const RawThread& raw, std::vector<Frame> frames = {}) {
  Thread thread;
  thread.tid = raw.tid;
  thread.frames = std::move(frames);
  ClassifyContext context(::getpid());
  classify(thread, raw, context);
  return thread;
}

// --- syscall names ---

TEST(SyscallName, MatchesEveryKernelHeaderEntry) {
  std::ifstream header("/usr/include/x86_64-linux-gnu/asm/unistd_64.h");
  ASSERT_TRUE(header) << "the kernel UAPI header is missing";
  std::regex define(R"(^#define __NR_([a-z0-9_]+) ([0-9]+)$)");
  int checked = 0;
  for (std::string line; std::getline(header, line);) {
    std::smatch match;
    if (!std::regex_match(line, match, define)) continue;
    EXPECT_EQ(syscall_name(std::stol(match[2])), match[1].str());
    ++checked;
  }
  EXPECT_GT(checked, 350);
}

TEST(SyscallName, UnknownNumberIsSpelledOut) {
  EXPECT_EQ(syscall_name(9999), "syscall_9999");
  EXPECT_EQ(syscall_name(-1), "syscall_-1");
}

// --- classes from the syscall number ---

struct SyscallCase {
  long number;
  ThreadClass expected;
};

TEST(Classify, SyscallNumberGroups) {
  const SyscallCase cases[] = {
      {SYS_read, ThreadClass::read},          {SYS_readv, ThreadClass::read},
      {SYS_pread64, ThreadClass::read},       {SYS_preadv, ThreadClass::read},
      {SYS_recvfrom, ThreadClass::read},      {SYS_recvmsg, ThreadClass::read},
      {SYS_recvmmsg, ThreadClass::read},      {SYS_write, ThreadClass::write},
      {SYS_writev, ThreadClass::write},       {SYS_pwrite64, ThreadClass::write},
      {SYS_sendto, ThreadClass::write},       {SYS_sendmsg, ThreadClass::write},
      {SYS_sendmmsg, ThreadClass::write},     {SYS_accept, ThreadClass::accept},
      {SYS_accept4, ThreadClass::accept},     {SYS_connect, ThreadClass::connect},
      {SYS_poll, ThreadClass::poll},          {SYS_ppoll, ThreadClass::poll},
      {SYS_select, ThreadClass::poll},        {SYS_pselect6, ThreadClass::poll},
      {SYS_epoll_wait, ThreadClass::epoll},   {SYS_epoll_pwait, ThreadClass::epoll},
      {SYS_epoll_pwait2, ThreadClass::epoll}, {SYS_nanosleep, ThreadClass::sleep},
      {SYS_clock_nanosleep, ThreadClass::sleep}, {SYS_rt_sigtimedwait, ThreadClass::signal_wait},
      {SYS_rt_sigsuspend, ThreadClass::signal_wait}, {SYS_pause, ThreadClass::signal_wait},
      {SYS_wait4, ThreadClass::child_wait},   {SYS_waitid, ThreadClass::child_wait},
      {SYS_futex, ThreadClass::futex},        {SYS_futex_waitv, ThreadClass::futex},
      {SYS_flock, ThreadClass::syscall},      {SYS_msgrcv, ThreadClass::syscall},
  };
  for (const auto& test_case : cases) {
    Thread thread = classify_with(in_syscall(test_case.number));
    EXPECT_EQ(to_string(thread.thread_class), std::string(to_string(test_case.expected)))
        << "syscall " << syscall_name(test_case.number);
  }
}

TEST(Classify, SyscallInfoFromRegisters) {
  Thread thread = classify_with(in_syscall(SYS_read, {kNoFd, 0x1000, 64, 4, 5, 6}, -512));
  EXPECT_EQ(thread.syscall.number, SYS_read);
  EXPECT_EQ(thread.syscall.name, "read");
  EXPECT_EQ(thread.syscall.args[1], 0x1000u);
  EXPECT_EQ(thread.syscall.args[2], 64u);
  EXPECT_EQ(thread.syscall.args[3], 4u);
  EXPECT_EQ(thread.syscall.args[5], 6u);
  EXPECT_TRUE(thread.syscall.interrupted);
}

TEST(Classify, InterruptedResults) {
  for (long rax : {-512L, -513L, -514L, -516L, static_cast<long>(-EINTR)}) {
    EXPECT_TRUE(classify_with(in_syscall(SYS_poll, {}, rax)).syscall.interrupted) << rax;
  }
  for (long rax : {0L, 1L, static_cast<long>(-EAGAIN), static_cast<long>(-ENOSYS)}) {
    EXPECT_FALSE(classify_with(in_syscall(SYS_poll, {}, rax)).syscall.interrupted) << rax;
  }
}

TEST(Classify, NotInSyscallIsRunning) {
  RawThread raw = in_syscall(-1);
  raw.state = 'R';
  Thread thread = classify_with(raw);
  EXPECT_EQ(thread.thread_class, ThreadClass::running);
  EXPECT_EQ(thread.syscall.number, -1);
  EXPECT_TRUE(thread.syscall.name.empty());
}

TEST(Classify, SleepingStateOutsideSyscallIsRunning) {
  // The state was read before the freeze; the registers are newer.
  RawThread raw = in_syscall(-1);
  raw.state = 'S';
  EXPECT_EQ(classify_with(raw).thread_class, ThreadClass::running);
}

TEST(Classify, StateDecidesBeforeSyscall) {
  const std::pair<char, ThreadClass> cases[] = {
      {'T', ThreadClass::stopped}, {'t', ThreadClass::stopped},
      {'D', ThreadClass::uninterruptible}, {'Z', ThreadClass::dead},
      {'X', ThreadClass::dead},
  };
  for (const auto& [state, expected] : cases) {
    RawThread raw = in_syscall(SYS_read);
    raw.state = state;
    Thread thread = classify_with(raw);
    EXPECT_EQ(thread.thread_class, expected) << "state " << state;
    EXPECT_EQ(thread.syscall.name, "read") << "state " << state;
  }
}

TEST(Classify, NewThreadIsStarting) {
  for (long number : {static_cast<long>(SYS_clone), static_cast<long>(SYS_clone3)}) {
    RawThread child = in_syscall(number, {kNoFd}, 0);
    EXPECT_EQ(classify_with(child).thread_class, ThreadClass::starting) << "syscall " << number;
    // The parent returns the child's tid, and is not starting.
    RawThread parent = in_syscall(number, {kNoFd}, 4242);
    EXPECT_NE(classify_with(parent).thread_class, ThreadClass::starting) << "syscall " << number;
  }
  // Even in a ptrace stop ('t'), the registers show that it has not run yet.
  RawThread traced = in_syscall(SYS_clone3, {kNoFd}, 0);
  traced.state = 't';
  EXPECT_EQ(classify_with(traced).thread_class, ThreadClass::starting);

  // The unwinder stops after the clone frame, which is the whole stack of a
  // thread that has not run yet, and not a bad frame.
  Thread thread;
  thread.unwind_end = UnwindEnd::bad_frame;
  ClassifyContext context(::getpid());
  classify(thread, in_syscall(SYS_clone3, {kNoFd}, 0), context);
  EXPECT_EQ(thread.unwind_end, UnwindEnd::outermost);
}

TEST(Classify, InvalidRegisters) {
  RawThread raw = in_syscall(SYS_read);
  raw.registers_valid = false;
  Thread sleeping = classify_with(raw);
  EXPECT_EQ(sleeping.thread_class, ThreadClass::unknown);
  EXPECT_EQ(sleeping.syscall.number, -1);
  EXPECT_FALSE(sleeping.wait.fd.has_value());

  raw.state = 'R';
  EXPECT_EQ(classify_with(raw).thread_class, ThreadClass::running);
  raw.state = 'D';
  EXPECT_EQ(classify_with(raw).thread_class, ThreadClass::uninterruptible);
  raw.state = 'Z';
  EXPECT_EQ(classify_with(raw).thread_class, ThreadClass::dead);
}

// --- futex waits distinguished by frames (glibc 2.36 names with libc6-dbg) ---

std::vector<Frame> libc_frames(std::vector<std::string> names) {
  std::vector<Frame> frames;
  for (const auto& name : names) frames.push_back(frame(name, kLibc));
  frames.push_back(frame("worker(void*)", kProgram));
  frames.push_back(frame("start_thread", kLibc));
  frames.push_back(frame("__clone3", kLibc));
  return frames;
}

ThreadClass futex_class(std::vector<Frame> frames) {
  return classify_with(in_syscall(SYS_futex, {0x7f0000001000}), std::move(frames)).thread_class;
}

TEST(FutexSplit, Mutex) {
  EXPECT_EQ(futex_class(libc_frames({"futex_wait", "__GI___lll_lock_wait",
                                     "lll_mutex_lock_optimized", "___pthread_mutex_lock"})),
            ThreadClass::mutex);
  EXPECT_EQ(futex_class(libc_frames({"__lll_lock_wait", "__pthread_mutex_lock_full"})),
            ThreadClass::mutex);
}

TEST(FutexSplit, Condvar) {
  EXPECT_EQ(futex_class(libc_frames({"__futex_abstimed_wait_common64",
                                     "__futex_abstimed_wait_common", "__pthread_cond_wait_common",
                                     "___pthread_cond_wait"})),
            ThreadClass::condvar);
  EXPECT_EQ(futex_class(libc_frames({"__futex_abstimed_wait_common",
                                     "___pthread_cond_timedwait64"})),
            ThreadClass::condvar);
  EXPECT_EQ(futex_class(libc_frames({"__futex_abstimed_wait_common", "pthread_cond_clockwait"})),
            ThreadClass::condvar);
}

TEST(FutexSplit, CondvarThroughStdCondition) {
  auto frames = libc_frames({"__futex_abstimed_wait_common", "__pthread_cond_wait_common",
                             "___pthread_cond_wait"});
  frames.insert(frames.begin() + 3,
                frame("std::condition_variable::wait(std::unique_lock<std::mutex>&)", kLibstdcxx));
  EXPECT_EQ(futex_class(frames), ThreadClass::condvar);
}

TEST(FutexSplit, CondvarReacquiringMutexIsMutex) {
  EXPECT_EQ(futex_class(libc_frames({"__lll_lock_wait", "__pthread_mutex_cond_lock",
                                     "__pthread_cond_wait_common", "___pthread_cond_wait"})),
            ThreadClass::mutex);
}

TEST(FutexSplit, Rwlock) {
  EXPECT_EQ(futex_class(libc_frames({"__futex_abstimed_wait_common",
                                     "__pthread_rwlock_rdlock_full64",
                                     "___pthread_rwlock_rdlock"})),
            ThreadClass::rwlock);
  EXPECT_EQ(futex_class(libc_frames({"__futex_abstimed_wait_common", "pthread_rwlock_wrlock"})),
            ThreadClass::rwlock);
}

TEST(FutexSplit, Semaphore) {
  EXPECT_EQ(futex_class(libc_frames({"__futex_abstimed_wait_common64",
                                     "__futex_abstimed_wait_common", "__new_sem_wait_slow64"})),
            ThreadClass::semaphore);
  EXPECT_EQ(futex_class(libc_frames({"__futex_abstimed_wait_common", "sem_timedwait"})),
            ThreadClass::semaphore);
}

TEST(FutexSplit, StdCountingSemaphore) {
  std::vector<Frame> frames = {
      frame("syscall", kLibc),
      frame("std::__detail::__platform_wait<int>(int const*, int)", kProgram, FrameKind::inlined),
      frame("std::__atomic_semaphore::_M_acquire()", kProgram, FrameKind::inlined),
      frame("std::counting_semaphore<10l>::acquire()", kProgram, FrameKind::inlined),
      frame("consumer()", kProgram),
  };
  EXPECT_EQ(futex_class(frames), ThreadClass::semaphore);
}

TEST(FutexSplit, Join) {
  EXPECT_EQ(futex_class(libc_frames({"__futex_abstimed_wait_common64",
                                     "__futex_abstimed_wait_common", "__pthread_clockjoin_ex"})),
            ThreadClass::join);
  auto frames = libc_frames({"__futex_abstimed_wait_common", "__pthread_clockjoin_ex"});
  frames.insert(frames.begin() + 2, frame("std::thread::join()", kLibstdcxx));
  EXPECT_EQ(futex_class(frames), ThreadClass::join);
}

TEST(FutexSplit, ExportedNamesWithoutDebugSymbols) {
  EXPECT_EQ(futex_class(libc_frames({"pthread_mutex_lock"})), ThreadClass::mutex);
  EXPECT_EQ(futex_class(libc_frames({"pthread_cond_wait"})), ThreadClass::condvar);
  EXPECT_EQ(futex_class(libc_frames({"sem_wait"})), ThreadClass::semaphore);
  EXPECT_EQ(futex_class(libc_frames({"pthread_join"})), ThreadClass::join);
  EXPECT_EQ(futex_class(libc_frames({"pthread_rwlock_rdlock@@GLIBC_2.34"})), ThreadClass::rwlock);
}

TEST(FutexSplit, RawFutexIsFutex) {
  EXPECT_EQ(futex_class(libc_frames({"syscall"})), ThreadClass::futex);
  EXPECT_EQ(futex_class({}), ThreadClass::futex);
}

TEST(FutexSplit, ProgramFramesAreNotRead) {
  // A program function that happens to look like a libc name sits outside
  // the runtime frames, so it does not decide the class.
  std::vector<Frame> frames = {frame("syscall", kLibc), frame("sem_wait_for_job()", kProgram),
                               frame("pthread_mutex_lock_all()", kProgram)};
  EXPECT_EQ(futex_class(frames), ThreadClass::futex);
}

TEST(FutexSplit, FutexAddressFromFirstArgument) {
  Thread thread = classify_with(in_syscall(SYS_futex, {0x7f0000001234, 0x80}),
                                libc_frames({"___pthread_mutex_lock"}));
  ASSERT_TRUE(thread.wait.futex_address.has_value());
  EXPECT_EQ(*thread.wait.futex_address, 0x7f0000001234u);
  EXPECT_FALSE(thread.wait.fd.has_value());
}

// --- restart_syscall ---

TEST(RestartSyscall, SleepFromFrames) {
  Thread thread = classify_with(in_syscall(SYS_restart_syscall, {}, 0),
                                libc_frames({"__GI___clock_nanosleep", "__GI___nanosleep"}));
  EXPECT_EQ(thread.thread_class, ThreadClass::sleep);
  EXPECT_EQ(thread.syscall.number, SYS_restart_syscall);
  EXPECT_EQ(thread.syscall.name, "restart_syscall");
}

TEST(RestartSyscall, PollKeepsItsTimeoutArgument) {
  Thread thread = classify_with(in_syscall(SYS_restart_syscall, {0x1000, 1, 5000}, 0),
                                libc_frames({"__GI___poll"}));
  EXPECT_EQ(thread.thread_class, ThreadClass::poll);
  ASSERT_TRUE(thread.wait.timeout.has_value());
  EXPECT_EQ(*thread.wait.timeout, 5000ms);
}

TEST(RestartSyscall, TimedCondvarWait) {
  Thread thread = classify_with(
      in_syscall(SYS_restart_syscall, {0x5000}, 0),
      libc_frames({"__futex_abstimed_wait_common64", "__futex_abstimed_wait_common",
                   "__pthread_cond_wait_common", "___pthread_cond_timedwait64"}));
  EXPECT_EQ(thread.thread_class, ThreadClass::condvar);
  ASSERT_TRUE(thread.wait.futex_address.has_value());
  EXPECT_EQ(*thread.wait.futex_address, 0x5000u);
}

TEST(RestartSyscall, UnknownWrapperIsSyscall) {
  Thread no_frames = classify_with(in_syscall(SYS_restart_syscall, {}, 0));
  EXPECT_EQ(no_frames.thread_class, ThreadClass::syscall);
  Thread unnamed = classify_with(in_syscall(SYS_restart_syscall, {}, 0),
                                 {frame("", kLibc), frame("tick()", kProgram)});
  EXPECT_EQ(unnamed.thread_class, ThreadClass::syscall);
}

// --- wait objects from registers alone ---

TEST(WaitObject, PollAndEpollTimeouts) {
  Thread poll = classify_with(in_syscall(SYS_poll, {0x1000, 2, 250}));
  ASSERT_TRUE(poll.wait.timeout.has_value());
  EXPECT_EQ(*poll.wait.timeout, 250ms);
  Thread infinite = classify_with(in_syscall(SYS_poll, {0x1000, 2, ~0ULL}));
  EXPECT_FALSE(infinite.wait.timeout.has_value());
  Thread epoll = classify_with(in_syscall(SYS_epoll_wait, {kNoFd, 0x1000, 8, 1500}));
  ASSERT_TRUE(epoll.wait.timeout.has_value());
  EXPECT_EQ(*epoll.wait.timeout, 1500ms);
  Thread sleep = classify_with(in_syscall(SYS_clock_nanosleep, {1, 0, 0x1000}));
  EXPECT_FALSE(sleep.wait.timeout.has_value()) << "the timespec is in target memory";
}

TEST(WaitObject, ChildPid) {
  Thread wait4 = classify_with(in_syscall(SYS_wait4, {4242, 0, 0}));
  ASSERT_TRUE(wait4.wait.child_pid.has_value());
  EXPECT_EQ(*wait4.wait.child_pid, 4242);
  Thread any_child = classify_with(in_syscall(SYS_wait4, {~0ULL, 0, 0}));
  EXPECT_FALSE(any_child.wait.child_pid.has_value());
  Thread waitid = classify_with(in_syscall(SYS_waitid, {P_PID, 777, 0, 4}));
  ASSERT_TRUE(waitid.wait.child_pid.has_value());
  EXPECT_EQ(*waitid.wait.child_pid, 777);
  Thread waitid_all = classify_with(in_syscall(SYS_waitid, {P_ALL, 0, 0, 4}));
  EXPECT_FALSE(waitid_all.wait.child_pid.has_value());
}

// --- runtime frames, start routine, top frame ---

TEST(RuntimeFrame, ByModule) {
  EXPECT_TRUE(is_runtime_frame(frame("", kLibstdcxx)));
  EXPECT_TRUE(is_runtime_frame(frame("read", kLibc)));
  EXPECT_TRUE(is_runtime_frame(frame("_Unwind_RaiseException", "/lib/x86_64-linux-gnu/libgcc_s.so.1")));
  EXPECT_TRUE(is_runtime_frame(frame("_dl_start", "/lib64/ld-linux-x86-64.so.2")));
  EXPECT_TRUE(is_runtime_frame(frame("__vdso_clock_gettime", "[vdso]")));
  EXPECT_FALSE(is_runtime_frame(frame("handle(Request const&)", kProgram)));
  EXPECT_FALSE(is_runtime_frame(frame("", kProgram)));
  EXPECT_FALSE(is_runtime_frame(frame("compress", "/usr/lib/x86_64-linux-gnu/libz.so.1")));
}

TEST(RuntimeFrame, ByName) {
  EXPECT_TRUE(is_runtime_frame(frame("_start", kProgram)));
  EXPECT_TRUE(is_runtime_frame(frame("start_thread", kProgram)));
  EXPECT_TRUE(is_runtime_frame(frame(
      "std::thread::_State_impl<std::thread::_Invoker<std::tuple<void (*)()> > >::_M_run()",
      kProgram)));
  EXPECT_TRUE(is_runtime_frame(frame(
      "void std::__invoke_impl<void, void (*)()>(std::__invoke_other, void (*&&)())", kProgram,
      FrameKind::inlined)));
  EXPECT_TRUE(is_runtime_frame(frame("__gthread_mutex_lock(pthread_mutex_t*)", kProgram)));
  EXPECT_FALSE(is_runtime_frame(frame("std_helper()", kProgram)));
  // A function template of the program whose return type is a std:: type.
  EXPECT_FALSE(is_runtime_frame(frame(
      "std::vector<int, std::allocator<int> > make_rows<int>(unsigned long)", kProgram)));
}

TEST(RuntimeFrame, DwarfNameWithoutParameterList) {
  // Inlined frames are named from DWARF: qualified, with template
  // arguments but no parameter list, and a lambda's "()" inside them.
  EXPECT_TRUE(is_runtime_frame(frame(
      "std::thread::_Invoker<std::tuple<(anonymous namespace)::Pool::Pool(int)::<lambda()> > "
      ">::_M_invoke<0>",
      kProgram, FrameKind::inlined)));
  EXPECT_TRUE(is_runtime_frame(frame(
      "std::condition_variable::wait<(anonymous namespace)::Pool::work()::<lambda()> >", kProgram,
      FrameKind::inlined)));
  EXPECT_FALSE(is_runtime_frame(frame("Pool::{lambda}::operator()", kProgram, FrameKind::inlined)));
}

TEST(RuntimeFrame, NoNameNoModuleIsProgramCode) {
  EXPECT_FALSE(is_runtime_frame(frame("", "")));
}

TEST(QualifiedName, StripsReturnTypeAndParameters) {
  EXPECT_EQ(qualified_name("main"), "main");
  EXPECT_EQ(qualified_name("park(int)"), "park");
  EXPECT_EQ(qualified_name("void std::__invoke_impl<void, void (*)()>(std::__invoke_other, "
                           "void (*&&)())"),
            "std::__invoke_impl<void, void (*)()>");
  EXPECT_EQ(qualified_name("Pool::run() const"), "Pool::run");
  EXPECT_EQ(qualified_name("(anonymous namespace)::serve(int)"), "(anonymous namespace)::serve");
  EXPECT_EQ(qualified_name("main::{lambda()#1}::operator()() const"),
            "main::{lambda()#1}::operator()");
  EXPECT_EQ(qualified_name("bool std::operator< <char>(std::string const&, std::string const&)"),
            "std::operator< <char>");
  EXPECT_EQ(qualified_name("worker() [clone .cold]"), "worker");
}

TEST(GlibcBaseName, RemovesDecorations) {
  EXPECT_EQ(classify_detail::glibc_base_name("__GI___lll_lock_wait"), "lll_lock_wait");
  EXPECT_EQ(classify_detail::glibc_base_name("___pthread_cond_timedwait64"),
            "pthread_cond_timedwait");
  EXPECT_EQ(classify_detail::glibc_base_name("__libc_read"), "read");
  EXPECT_EQ(classify_detail::glibc_base_name("__clock_nanosleep_time64"), "clock_nanosleep");
  EXPECT_EQ(classify_detail::glibc_base_name("sem_wait@@GLIBC_2.34"), "sem_wait");
  EXPECT_EQ(classify_detail::glibc_base_name("wait4"), "wait4");
}

// What libstdc++ 12 on Debian 12 leaves of std::thread at -O2: _M_run and
// __invoke inlined or tail-called, execute_native_thread_routine unnamed.
TEST(StartRoutine, StdThreadTrampolines) {
  std::vector<Frame> frames = {
      frame("__futex_abstimed_wait_common", kLibc),
      frame("___pthread_cond_wait", kLibc),
      frame("std::condition_variable::wait(std::unique_lock<std::mutex>&)", kLibstdcxx),
      frame("void std::condition_variable::wait<Queue::pop()::{lambda()#1}>(std::unique_lock<std::mutex>&, Queue::pop()::{lambda()#1})", kProgram, FrameKind::inlined),
      frame("Queue::pop()", kProgram, FrameKind::inlined),
      frame("consume(Queue&)", kProgram),
      frame("void std::__invoke_impl<void, void (*)(Queue&), std::reference_wrapper<Queue> >(std::__invoke_other, void (*&&)(Queue&), std::reference_wrapper<Queue>&&)", kProgram, FrameKind::inlined),
      frame("std::thread::_State_impl<std::thread::_Invoker<std::tuple<void (*)(Queue&), std::reference_wrapper<Queue> > > >::_M_run()", kProgram),
      frame("", kLibstdcxx),
      frame("start_thread", kLibc),
      frame("__clone3", kLibc),
  };
  Thread thread = classify_with(in_syscall(SYS_futex, {0x10}), frames);
  ASSERT_TRUE(thread.start_routine.has_value());
  EXPECT_EQ(*thread.start_routine, 5u);
  ASSERT_TRUE(thread.top_frame.has_value());
  EXPECT_EQ(*thread.top_frame, 4u) << "Queue::pop, inlined, is the program's own";
  EXPECT_EQ(thread.thread_class, ThreadClass::condvar);
}

// A lambda thread body waiting with a predicate, built at -O0 (GCC 12):
// every frame is out of line and named by its ELF symbol, and the wait
// template names the lambda's operator() in its template argument.
TEST(StartRoutine, LambdaWaitingWithPredicateAtO0) {
  std::vector<Frame> frames = {
      frame("__futex_abstimed_wait_common", kLibc),
      frame("pthread_cond_wait", kLibc),
      frame("void std::condition_variable::wait<main::{lambda()#1}::operator()() const::{lambda()#1}>(std::unique_lock<std::mutex>&, main::{lambda()#1}::operator()() const::{lambda()#1})", kProgram),
      frame("main::{lambda()#1}::operator()() const", kProgram),
      frame("void std::__invoke_impl<void, main::{lambda()#1}>(std::__invoke_other, main::{lambda()#1}&&)", kProgram),
      frame("std::__invoke_result<main::{lambda()#1}>::type std::__invoke<main::{lambda()#1}>(main::{lambda()#1}&&)", kProgram),
      frame("void std::thread::_Invoker<std::tuple<main::{lambda()#1}> >::_M_invoke<0ul>(std::_Index_tuple<0ul>)", kProgram),
      frame("std::thread::_Invoker<std::tuple<main::{lambda()#1}> >::operator()()", kProgram),
      frame("std::thread::_State_impl<std::thread::_Invoker<std::tuple<main::{lambda()#1}> > >::_M_run()", kProgram),
      frame("", kLibstdcxx),
      frame("start_thread", kLibc),
      frame("__clone3", kLibc),
  };
  Thread thread = classify_with(in_syscall(SYS_futex, {0x10}), frames);
  ASSERT_TRUE(thread.top_frame.has_value());
  EXPECT_EQ(*thread.top_frame, 3u) << "the wait template is std::, whatever its return type";
  ASSERT_TRUE(thread.start_routine.has_value());
  EXPECT_EQ(*thread.start_routine, 3u);
  EXPECT_EQ(thread.thread_class, ThreadClass::condvar);
}

// A lambda inlined into _M_run in a program without debug information:
// only _M_run's name shows which callable the thread runs.
TEST(StartRoutine, InlinedLambdaWithoutDebugInfoIsMRun) {
  std::vector<Frame> frames = {
      frame("std::thread::_State_impl<std::thread::_Invoker<std::tuple<main::{lambda()#1}> > >::_M_run()", kProgram),
      frame("", kLibstdcxx),
      frame("start_thread", kLibc),
      frame("__clone3", kLibc),
  };
  RawThread raw = in_syscall(-1);
  raw.state = 'R';
  Thread thread = classify_with(raw, frames);
  ASSERT_TRUE(thread.start_routine.has_value());
  EXPECT_EQ(*thread.start_routine, 0u);
  EXPECT_FALSE(thread.top_frame.has_value());

  // The same frame in libstdc++ itself is no clue.
  frames[0].module = kLibstdcxx;
  thread = classify_with(raw, frames);
  EXPECT_FALSE(thread.start_routine.has_value());
}

TEST(StartRoutine, PthreadCreatedFunction) {
  std::vector<Frame> frames = {
      frame("__GI___libc_read", kLibc),
      frame("read_exact(int, char*, unsigned long)", kProgram),
      frame("serve_client(void*)", kProgram),
      frame("start_thread", kLibc),
      frame("__clone3", kLibc),
  };
  Thread thread = classify_with(in_syscall(SYS_read), frames);
  ASSERT_TRUE(thread.start_routine.has_value());
  EXPECT_EQ(*thread.start_routine, 2u);
  ASSERT_TRUE(thread.top_frame.has_value());
  EXPECT_EQ(*thread.top_frame, 1u);
}

TEST(StartRoutine, MainThreadIsMain) {
  std::vector<Frame> frames = {
      frame("__GI___clock_nanosleep", kLibc),
      frame("__GI___nanosleep", kLibc),
      frame("wait_for_work()", kProgram),
      frame("main", kProgram),
      frame("__libc_start_call_main", kLibc),
      frame("__libc_start_main_impl", kLibc),
      frame("_start", kProgram),
  };
  Thread thread;
  thread.tid = ::getpid();
  thread.frames = frames;
  ClassifyContext context(::getpid());
  classify(thread, in_syscall(SYS_clock_nanosleep), context);
  ASSERT_TRUE(thread.start_routine.has_value());
  EXPECT_EQ(*thread.start_routine, 3u);
  ASSERT_TRUE(thread.top_frame.has_value());
  EXPECT_EQ(*thread.top_frame, 2u);
}

TEST(StartRoutine, AllRuntimeFramesGiveNone) {
  Thread thread = classify_with(in_syscall(SYS_futex),
                                {frame("futex_wait", kLibc), frame("start_thread", kLibc)});
  EXPECT_FALSE(thread.start_routine.has_value());
  EXPECT_FALSE(thread.top_frame.has_value());
  EXPECT_EQ(classify_with(in_syscall(SYS_futex)).start_routine, std::nullopt);
}

TEST(StartRoutine, UnknownFrameCounts) {
  Thread thread = classify_with(in_syscall(SYS_read),
                                {frame("read", kLibc), frame("", ""), frame("start_thread", kLibc)});
  ASSERT_TRUE(thread.top_frame.has_value());
  EXPECT_EQ(*thread.top_frame, 1u);
  ASSERT_TRUE(thread.start_routine.has_value());
  EXPECT_EQ(*thread.start_routine, 1u);
}

// --- /proc/net parsing ---

TEST(SocketAddress, Formats) {
  EXPECT_EQ(classify_detail::format_inet_address("0100007F:1F90"), "127.0.0.1:8080");
  EXPECT_EQ(classify_detail::format_inet_address("00000000000000000000000001000000:0050"),
            "[::1]:80");
  EXPECT_EQ(classify_detail::format_inet_address("0100007F"), "");
  EXPECT_EQ(classify_detail::format_inet_address("01Z0007F:0050"), "");
}

TEST(SocketTable, ParsesInetLines) {
  const char* text =
      "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
      "timeout inode\n"
      "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        "
      "0 4242 1 0000000000000000 100 0 0 10 0\n"
      "   1: 0100007F:C350 0100007F:1F90 01 00000000:00000000 00:00000000 00000000  1000        "
      "0 4343 1 0000000000000000 20 4 30 10 -1\n";
  auto sockets = classify_detail::parse_inet_sockets(text, "tcp");
  ASSERT_EQ(sockets.size(), 2u);
  EXPECT_EQ(sockets[4242].local, "127.0.0.1:8080");
  EXPECT_EQ(sockets[4242].peer, "");
  EXPECT_EQ(sockets[4242].protocol, "tcp");
  EXPECT_EQ(sockets[4343].local, "127.0.0.1:50000");
  EXPECT_EQ(sockets[4343].peer, "127.0.0.1:8080");
}

TEST(SocketTable, ParsesUnixLines) {
  const char* text =
      "Num       RefCount Protocol Flags    Type St Inode Path\n"
      "0000000000000000: 00000002 00000000 00010000 0001 01 111 /run/app.sock\n"
      "0000000000000000: 00000002 00000000 00000000 0002 01 222 @abstract name\n"
      "0000000000000000: 00000003 00000000 00000000 0001 03 333\n";
  auto sockets = classify_detail::parse_unix_sockets(text);
  ASSERT_EQ(sockets.size(), 3u);
  EXPECT_EQ(sockets[111].local, "/run/app.sock");
  EXPECT_EQ(sockets[222].local, "@abstract name");
  EXPECT_EQ(sockets[333].local, "");
  EXPECT_EQ(sockets[333].protocol, "unix");
}

// --- wait objects against the real /proc of the classes target ---

class ClassesWaitObject : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { target_ = std::make_unique<test::TargetProcess>("classes"); }
  static void TearDownTestSuite() { target_.reset(); }

  void SetUp() override { ASSERT_NE(target_->pid(), 0) << "the classes target did not start"; }

  static int value_of(const std::string& key) { return std::stoi(target_->value(key)); }

  // Classifies a thread of the target blocked in `number` with `args`.
  static Thread classify_target(long number, SyscallArgs args) {
    RawThread raw = in_syscall(number, args);
    Thread thread;
    thread.tid = raw.tid;
    ClassifyContext context(target_->pid());
    classify(thread, raw, context);
    return thread;
  }

  static std::string fd_link(int fd) {
    std::string path = "/proc/" + std::to_string(target_->pid()) + "/fd/" + std::to_string(fd);
    return std::filesystem::read_symlink(path).string();
  }

  static std::unique_ptr<test::TargetProcess> target_;
};

std::unique_ptr<test::TargetProcess> ClassesWaitObject::target_;

TEST_F(ClassesWaitObject, PipeFd) {
  int fd = value_of("pipe_read_fd");
  Thread thread = classify_target(SYS_read, {static_cast<std::uint64_t>(fd), 0, 1});
  EXPECT_EQ(thread.thread_class, ThreadClass::read);
  ASSERT_TRUE(thread.wait.fd.has_value());
  EXPECT_EQ(*thread.wait.fd, fd);
  EXPECT_TRUE(thread.wait.fd_target.starts_with("pipe:[")) << thread.wait.fd_target;
  EXPECT_EQ(thread.wait.fd_target, fd_link(fd));
  EXPECT_TRUE(thread.wait.socket_protocol.empty());
}

TEST_F(ClassesWaitObject, TcpListener) {
  int fd = value_of("listener_fd");
  Thread thread = classify_target(SYS_accept, {static_cast<std::uint64_t>(fd), 0, 0});
  EXPECT_EQ(thread.thread_class, ThreadClass::accept);
  EXPECT_TRUE(thread.wait.fd_target.starts_with("socket:[")) << thread.wait.fd_target;
  EXPECT_EQ(thread.wait.socket_protocol, "tcp");
  EXPECT_EQ(thread.wait.socket_local, "127.0.0.1:" + target_->value("listener_port"));
  EXPECT_EQ(thread.wait.socket_peer, "");
}

TEST_F(ClassesWaitObject, UnixSocket) {
  int fd = value_of("unix_fd");
  Thread thread = classify_target(SYS_recvfrom, {static_cast<std::uint64_t>(fd), 0, 1});
  EXPECT_EQ(thread.thread_class, ThreadClass::read);
  EXPECT_EQ(thread.wait.socket_protocol, "unix");
  EXPECT_EQ(thread.wait.socket_local, target_->value("unix_name"));
}

TEST_F(ClassesWaitObject, EpollFd) {
  int fd = value_of("epoll_fd");
  Thread thread = classify_target(SYS_epoll_wait, {static_cast<std::uint64_t>(fd), 0, 1, ~0ULL});
  EXPECT_EQ(thread.thread_class, ThreadClass::epoll);
  ASSERT_TRUE(thread.wait.fd.has_value());
  EXPECT_EQ(*thread.wait.fd, fd);
  EXPECT_EQ(thread.wait.fd_target, "anon_inode:[eventpoll]");
  EXPECT_FALSE(thread.wait.timeout.has_value());
}

TEST_F(ClassesWaitObject, ClosedFdKeepsNumberOnly) {
  Thread thread = classify_target(SYS_read, {1000, 0, 1});
  ASSERT_TRUE(thread.wait.fd.has_value());
  EXPECT_EQ(*thread.wait.fd, 1000);
  EXPECT_TRUE(thread.wait.fd_target.empty());
}

}  // namespace
}  // namespace stray
