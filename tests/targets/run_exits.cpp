// A test binary for `stray run`: each mode ends the process in one way,
// with or without threads left behind. Unlike the other targets it does not
// park; it exits on its own. Usage: run_exits MODE [ARG]
//   clean                exit 0, no other thread
//   code N               exit N
//   abort                abort() (SIGABRT sent by the process itself)
//   segv                 write through a null pointer (SIGSEGV raised by the CPU)
//   leak                 exit 0 with a detached thread parked on a condition variable
//   static-join          exit 0; a static destructor stops and joins two workers
//   finish-late MS       exit 0 while a detached thread sleeps MS milliseconds, then returns
//   echo-stdin           copy stdin to stdout, then exit 0
//   children             run `sh -c`, fork a child that leaks a thread, exit 0
//   wait-signal          print "waiting", then wait for a signal with its default action
//   segv-thread          a worker thread faults (SIGSEGV) while another thread is parked
//   handled-signals      raise signals that have handlers, recover from a SIGSEGV, reap a
//                        child and join 64 threads. Exit 0 when each behaved as untraced
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
  if (mode == "handled-signals") return handle_signals();
  if (mode == "leak" || mode == "static-join" || mode == "finish-late") return 0;
  std::fprintf(stderr, "run_exits: unknown mode '%s'\n", mode.c_str());
  return 64;
}
