// A target whose threads park in a few common places and stay there.
// Arguments: [THREADS] [churn | main-exits]. With "churn", one more thread
// creates and joins short-lived threads as fast as it can, to race against
// the freeze. With "main-exits", the main thread calls pthread_exit after
// "ready", which leaves it a zombie while the others run on.
// Every SIGRTMIN the process receives is acknowledged by writing one 's'
// byte to stdout, so a test can count delivered signals.
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

std::mutex g_mutex;
std::condition_variable g_never;
std::atomic<int> g_parked{0};
std::mutex g_tids_mutex;
std::vector<long> g_tids;

void announce_tid() {
  std::lock_guard<std::mutex> lock(g_tids_mutex);
  g_tids.push_back(syscall(SYS_gettid));
}

void on_signal(int) {
  char acknowledgement = 's';
  (void)!write(STDOUT_FILENO, &acknowledgement, 1);
}

__attribute__((noinline)) void park_on_condvar() {
  announce_tid();
  std::unique_lock<std::mutex> lock(g_mutex);
  ++g_parked;
  g_never.wait(lock, [] { return false; });
}

__attribute__((noinline)) void park_in_sleep() {
  announce_tid();
  ++g_parked;
  while (true) std::this_thread::sleep_for(std::chrono::hours(1));
}

__attribute__((noinline)) void churn() {
  while (true) std::thread([] {}).join();
}

}  // namespace

int main(int argc, char** argv) {
  int count = argc > 1 ? std::atoi(argv[1]) : 4;
  bool with_churn = argc > 2 && std::strcmp(argv[2], "churn") == 0;
  bool main_exits = argc > 2 && std::strcmp(argv[2], "main-exits") == 0;

  struct sigaction action {};
  action.sa_handler = on_signal;
  action.sa_flags = SA_RESTART;
  sigaction(SIGRTMIN, &action, nullptr);

  std::vector<std::thread> threads;
  for (int i = 0; i < count; ++i) {
    threads.emplace_back(i % 2 == 0 ? park_on_condvar : park_in_sleep);
  }
  while (g_parked.load() < count) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  if (with_churn) threads.emplace_back(churn);

  std::printf("threads %d\n", count);
  for (long tid : g_tids) std::printf("tid %ld\n", tid);
  std::printf("ready\n");
  std::fflush(stdout);
  if (main_exits) {
    // pthread_exit unwinds main's frame, and a joinable std::thread's
    // destructor would call std::terminate.
    for (std::thread& thread : threads) thread.detach();
    pthread_exit(nullptr);
  }
  while (true) pause();
}
