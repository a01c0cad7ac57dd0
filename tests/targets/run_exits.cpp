// A test binary for `stray run`: each mode ends the process in one way,
// with or without threads left behind. Unlike the other targets it does not
// park; it exits on its own. Usage: run_exits MODE [ARG]
//   clean                exit 0, no other thread
//   code N               exit N
//   abort                abort() (SIGABRT sent by the process itself)
//   segv                 write through a null pointer (SIGSEGV raised by the CPU)
//   leak                 exit 0 with a detached thread parked on a condition variable
//   leak-code N          exit N with a detached thread parked on a condition variable
//   static-join          exit 0; a static destructor stops and joins two workers
//   finish-late MS       exit 0 while a detached thread sleeps MS milliseconds, then returns
//   echo-stdin           copy stdin to stdout, then exit 0
//   children             run `sh -c`, fork a child that leaks a thread, exit 0
//   wait-signal          print "waiting", then wait for a signal with its default action
//   segv-thread          a worker thread faults (SIGSEGV) while another thread is parked
//   churn-late           exit 0 while a detached thread creates and joins 50 threads
//   signal-group         count SIGUSR1 sent with kill(0, ...); exit 0 when it came once
//   blocked-raise        raise a blocked SIGQUIT, discard it, exit 0
//   clone-process DIR    clone() a process with exit signal 0 that creates DIR/survived
//                        after 300 ms; exit 0 at once
//   trap                 execute int3 (SIGTRAP from the kernel)
//   null-call            call through a null function pointer (SIGSEGV at pc 0)
//   overflow-thread      a worker thread recurses until its stack overflows (SIGSEGV)
//   exit-late            exit 0 from main while a detached thread calls _exit(0) 100 ms later
//   workers-exit         8 threads call exit(10 + i) after 50 ms while main spins
//   hang                 main joins a thread parked on a condition variable: never exits
//   hang-ignoring-term   as hang, with SIGTERM ignored
//   worker-exit N        a worker thread calls exit(N) at once, another returns after
//                        200 ms, and main returns 0 after 100 ms
//   not-dumpable-leak    prctl(PR_SET_DUMPABLE, 0), then exit 0 with a leaked parked thread
//   waits-for-child      exit 0 while a detached thread waits for a child that exits
//                        300 ms later; the thread then returns
//   main-exits-leak      leak a parked thread, then pthread_exit from main; another thread
//                        calls exit(0) 100 ms later
//   tick                 a second thread prints "tick" every 20 ms until the process is killed
//   handled-signals      raise signals that have handlers, recover from a SIGSEGV, reap a
//                        child and join 64 threads. Exit 0 when each behaved as untraced
//   own-group            move to a process group of its own, print "waiting", then wait
//                        for a signal with its default action
//   child-leak-segv      fork a child that exits 0 with a leaked parked thread. Then,
//                        200 ms later and without waiting for it, fault (SIGSEGV)
//   vfork-leak           exit 0 while a thread waits in vfork (state D, so it never
//                        stops for ptrace). The vfork child is killed when that thread dies
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <setjmp.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

// Never destroyed: glibc's pthread_cond_destroy waits for the parked
// waiter, so a static condition variable would hang the exit.
std::mutex& never_mutex = *new std::mutex;
std::condition_variable& never_signalled = *new std::condition_variable;

__attribute__((noinline)) void park_forever_on_condition() {
  std::unique_lock<std::mutex> lock(never_mutex);
  for (;;) never_signalled.wait(lock);  // run_exits: leaked thread parks here
}

void leak_parked_thread() {
  std::thread(park_forever_on_condition).detach();
  // Exit only once the thread is parked, so the verdict never races its start.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
}

// Workers that a static destructor stops and joins, after main returned
// and before exit_group.
class WorkerPool {
 public:
  void start(int count) {
    for (int i = 0; i < count; ++i) workers_.emplace_back([this] { serve(); });
  }
  ~WorkerPool() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    for (std::thread& worker : workers_) worker.join();
  }

 private:
  void serve() {
    std::unique_lock<std::mutex> lock(mutex_);
    wake_.wait(lock, [this] { return stopping_; });
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

WorkerPool static_pool;

std::atomic<bool> g_sleeper_started{false};

__attribute__((noinline)) void sleep_then_return(int milliseconds) {
  g_sleeper_started = true;
  std::this_thread::sleep_for(std::chrono::milliseconds(milliseconds));
}

int echo_stdin() {
  char buffer[4096];
  ssize_t got;
  while ((got = ::read(STDIN_FILENO, buffer, sizeof buffer)) > 0) {
    if (::write(STDOUT_FILENO, buffer, static_cast<size_t>(got)) != got) return 1;
  }
  return got == 0 ? 0 : 1;
}

int run_children() {
  int shell = std::system("sh -c 'echo from-shell; exit 0'");
  std::cout << "shell status " << shell << std::endl;
  pid_t child = ::fork();
  if (child == 0) {
    leak_parked_thread();
    std::exit(0);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  std::cout << "child " << child << " status " << status << std::endl;
  return shell == 0 && status == 0 ? 0 : 1;
}

__attribute__((noinline)) void fault_in_worker() {
  volatile int* nowhere = nullptr;
  *nowhere = 1;  // run_exits: worker faults here
}

int segv_in_thread() {
  leak_parked_thread();
  std::thread(fault_in_worker).join();
  return 0;
}

void (*volatile g_missing_callback)() = nullptr;

__attribute__((noinline)) void call_missing_callback() {
  g_missing_callback();  // run_exits: calls a null function pointer
  std::cout << "unreachable" << std::endl;  // keeps the call from being a tail call
}

volatile bool g_recurse_forever = true;

__attribute__((noinline)) int recurse_deeply(int depth) {
  volatile char frame[256];
  frame[0] = static_cast<char>(depth);
  if (!g_recurse_forever) return frame[0];
  return recurse_deeply(depth + 1) + frame[0];  // run_exits: recursion overflows here
}

std::atomic<int> g_usr1_count{0};
sigjmp_buf g_recover;

void count_usr1(int) { ++g_usr1_count; }
void recover_from_segv(int) { siglongjmp(g_recover, 1); }

// Every signal here has a handler or is ignored, so none may be reported,
// and each must reach the process exactly as it would without stray.
int handle_signals() {
  std::signal(SIGUSR1, count_usr1);
  for (int i = 0; i < 3; ++i) std::raise(SIGUSR1);
  std::signal(SIGSEGV, recover_from_segv);
  bool recovered = false;
  if (sigsetjmp(g_recover, 1) == 0) {
    volatile int* nowhere = nullptr;
    *nowhere = 1;
  } else {
    recovered = true;
  }
  std::signal(SIGSEGV, SIG_DFL);
  pid_t child = ::fork();
  if (child == 0) ::_exit(7);
  int status = 0;
  ::waitpid(child, &status, 0);
  std::vector<std::thread> threads;
  std::atomic<int> ran{0};
  for (int i = 0; i < 64; ++i) threads.emplace_back([&ran] { ++ran; });
  for (std::thread& thread : threads) thread.join();
  bool ok = g_usr1_count == 3 && recovered && WIFEXITED(status) && WEXITSTATUS(status) == 7 && ran == 64;
  std::cout << "usr1 " << g_usr1_count << " recovered " << recovered << " child " << status << " threads "
            << ran << std::endl;
  return ok ? 0 : 1;
}

std::atomic<bool> g_churn_started{false};

void churn_then_return() {
  g_churn_started = true;
  for (int i = 0; i < 50; ++i) std::thread([] {}).join();
}

int signal_group() {
  std::signal(SIGUSR1, count_usr1);
  ::kill(0, SIGUSR1);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  std::cout << "usr1 " << g_usr1_count << std::endl;
  return g_usr1_count == 1 ? 0 : 1;
}

int raise_blocked() {
  sigset_t quit;
  sigemptyset(&quit);
  sigaddset(&quit, SIGQUIT);
  ::sigprocmask(SIG_BLOCK, &quit, nullptr);
  std::raise(SIGQUIT);
  std::signal(SIGQUIT, SIG_IGN);  // discards the pending SIGQUIT
  ::sigprocmask(SIG_UNBLOCK, &quit, nullptr);
  return 0;
}

std::string g_survivor_path;

int create_survivor_file(void*) {
  ::usleep(300 * 1000);
  int fd = ::open(g_survivor_path.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
  if (fd >= 0) ::close(fd);
  return 0;
}

int clone_process(const std::string& directory) {
  g_survivor_path = directory + "/survived";
  static char stack[64 * 1024];
  // Exit signal 0, not SIGCHLD: ptrace counts this clone as a thread-like
  // PTRACE_EVENT_CLONE although it makes a new process.
  pid_t child = ::clone(create_survivor_file, stack + sizeof stack, 0, nullptr);
  return child > 0 ? 0 : 1;
}

std::atomic<long> g_vfork_tid{0};

// The vfork child shares the parent's memory, so it only makes raw system
// calls. PR_SET_PDEATHSIG ends it when the vfork parent thread dies.
void vfork_and_wait() {
  g_vfork_tid = ::syscall(SYS_gettid);
  if (::vfork() == 0) {
    ::syscall(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    for (;;) ::syscall(SYS_pause);
  }
}

char task_state(long tid) {
  std::ifstream stat("/proc/self/task/" + std::to_string(tid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  auto paren = text.rfind(')');
  return paren == std::string::npos || paren + 2 >= text.size() ? '?' : text[paren + 2];
}

int vfork_leak() {
  std::thread(vfork_and_wait).detach();
  while (g_vfork_tid == 0 || task_state(g_vfork_tid) != 'D') std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return 0;
}

int tick_forever() {
  std::thread([] {
    for (;;) {
      std::cout << "tick" << std::endl;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }).detach();
  for (;;) ::pause();
}

int wait_for_signal() {
  std::cout << "waiting" << std::endl;
  for (;;) ::pause();
}

}  // namespace

int main(int argc, char** argv) {
  std::string mode = argc > 1 ? argv[1] : "";
  int number = argc > 2 ? std::atoi(argv[2]) : 0;
  if (mode == "clean") return 0;
  if (mode == "code") return number;
  if (mode == "abort") std::abort();
  if (mode == "segv") {
    volatile int* nowhere = nullptr;
    *nowhere = 1;
  }
  if (mode == "leak") leak_parked_thread();
  if (mode == "leak-code") {
    leak_parked_thread();
    return number;
  }
  if (mode == "static-join") static_pool.start(2);
  if (mode == "finish-late") {
    std::thread(sleep_then_return, number).detach();
    // Exit only once the thread runs its own code, so stray never catches
    // it still inside clone3, where its stack cannot be unwound yet.
    while (!g_sleeper_started) std::this_thread::yield();
  }
  if (mode == "echo-stdin") return echo_stdin();
  if (mode == "children") return run_children();
  if (mode == "wait-signal") return wait_for_signal();
  if (mode == "segv-thread") return segv_in_thread();
  if (mode == "churn-late") {
    std::thread(churn_then_return).detach();
    while (!g_churn_started) std::this_thread::yield();
    return 0;
  }
  if (mode == "waits-for-child") {
    static std::atomic<bool> forked{false};
    std::thread([] {
      pid_t child = ::fork();
      if (child == 0) {
        ::usleep(300'000);
        ::_exit(0);
      }
      forked = true;
      ::waitpid(child, nullptr, 0);
    }).detach();
    while (!forked) std::this_thread::yield();
    return 0;
  }
  if (mode == "signal-group") return signal_group();
  if (mode == "blocked-raise") return raise_blocked();
  if (mode == "clone-process") return clone_process(argc > 2 ? argv[2] : ".");
  if (mode == "trap") asm volatile("int3");
  if (mode == "tick") return tick_forever();
  if (mode == "null-call") call_missing_callback();
  if (mode == "exit-late") {
    std::thread([] {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      ::_exit(0);
    }).detach();
    return 0;
  }
  if (mode == "workers-exit") {
    for (int i = 0; i < 8; ++i) {
      std::thread([i] {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        std::exit(10 + i);
      }).detach();
    }
    volatile unsigned long spins = 0;
    while (true) spins = spins + 1;
  }
  if (mode == "hang" || mode == "hang-ignoring-term") {
    if (mode == "hang-ignoring-term") std::signal(SIGTERM, SIG_IGN);
    std::thread(park_forever_on_condition).join();
  }
  if (mode == "worker-exit") {
    std::thread([] { std::this_thread::sleep_for(std::chrono::milliseconds(200)); }).detach();
    static std::atomic<bool> exiting{false};
    std::thread([number] {
      exiting = true;
      std::exit(number);
    }).detach();
    // Counted from the worker's start, so that on a loaded machine main
    // still returns well after the worker called exit, as the test expects.
    while (!exiting) std::this_thread::yield();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    return 0;
  }
  if (mode == "not-dumpable-leak") {
    ::prctl(PR_SET_DUMPABLE, 0);
    leak_parked_thread();
    return 0;
  }
  if (mode == "main-exits-leak") {
    leak_parked_thread();
    std::thread([] {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      std::exit(0);
    }).detach();
    pthread_exit(nullptr);
  }
  if (mode == "overflow-thread") {
    std::thread([] { recurse_deeply(0); }).join();
    return 0;
  }
  if (mode == "handled-signals") return handle_signals();
  if (mode == "vfork-leak") return vfork_leak();
  if (mode == "child-leak-segv") {
    if (::fork() == 0) {
      leak_parked_thread();
      std::exit(0);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    volatile int* nowhere = nullptr;
    *nowhere = 1;
  }
  if (mode == "own-group") {
    ::setpgid(0, 0);
    return wait_for_signal();
  }
  if (mode == "leak" || mode == "static-join" || mode == "finish-late") return 0;
  std::fprintf(stderr, "run_exits: unknown mode '%s'\n", mode.c_str());
  return 64;
}
