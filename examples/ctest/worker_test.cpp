// Two tests that pass on their own. Under `stray run`, the first fails:
// the thread it starts is still parked when the test binary exits.
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

}  // namespace
