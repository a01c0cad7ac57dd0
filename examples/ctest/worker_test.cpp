// Under `stray run`, Worker.LeaksDetachedWaiter fails although it passes
// on its own: the thread it starts is still parked when the test binary
// exits. Worker.JoinsItsThread passes. Worker.CrashesInWorker fails either
// way; with CATCH_FAULTS, the output has every thread's stack at the crash.
// Worker.JoinsWithoutClosing hangs; with TIMEOUT, stray prints every
// thread's stack before it ends the test.
#include <condition_variable>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

namespace {

// Never destroyed: glibc's pthread_cond_destroy waits for a parked waiter,
// so a static condition variable would hang the exit of the leaking test.
std::mutex& queue_mutex = *new std::mutex;
std::condition_variable& queue_ready = *new std::condition_variable;
bool queue_closed = false;

void drain_queue() {
  std::unique_lock<std::mutex> lock(queue_mutex);
  queue_ready.wait(lock, [] { return queue_closed; });
}

TEST(Worker, LeaksDetachedWaiter) {
  std::thread(drain_queue).detach();
  SUCCEED();
}

TEST(Worker, JoinsItsThread) {
  std::thread worker(drain_queue);
  {
    std::lock_guard<std::mutex> lock(queue_mutex);
    queue_closed = true;
  }
  queue_ready.notify_all();
  worker.join();
}

// Forgets to close the queue, so the join never returns.
TEST(Worker, JoinsWithoutClosing) {
  std::thread worker(drain_queue);
  worker.join();
}

int* volatile g_missing_buffer = nullptr;

void fill_buffer() {
  g_missing_buffer[0] = 1;  // SIGSEGV raised by the CPU
}

TEST(Worker, CrashesInWorker) {
  std::thread worker(fill_buffer);
  worker.join();
}

}  // namespace
