// A GoogleTest binary for `stray run`: one test leaks a detached thread
// parked on a condition variable, the other joins its thread. Both pass on
// their own; only stray can tell them apart.
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

namespace {

// Never destroyed: glibc's pthread_cond_destroy waits for a parked waiter,
// so a static condition variable would hang the exit.
std::mutex& shutdown_mutex = *new std::mutex;
std::condition_variable& shutdown_requested = *new std::condition_variable;
bool shutting_down = false;

__attribute__((noinline)) void wait_for_shutdown() {
  std::unique_lock<std::mutex> lock(shutdown_mutex);
  shutdown_requested.wait(lock, [] { return shutting_down; });  // run_gtest_leak: parked here
}

TEST(Worker, LeaksDetachedWaiter) {
  std::thread(wait_for_shutdown).detach();
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  SUCCEED();
}

TEST(Worker, JoinsItsThread) {
  std::thread worker([] { std::this_thread::sleep_for(std::chrono::milliseconds(10)); });
  worker.join();
  SUCCEED();
}

}  // namespace
