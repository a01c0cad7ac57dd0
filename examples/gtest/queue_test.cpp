// Tests of a small work queue. Queue.LeaksDetachedWaiter passes on its own,
// but its thread outlives it, so stray::gtest_main fails it.
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <pthread.h>
#include <thread>

#include <gtest/gtest.h>
#include <stray/gtest.hpp>

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

void close_queue() {
  {
    std::lock_guard<std::mutex> lock(queue_mutex);
    queue_closed = true;
  }
  queue_ready.notify_all();
}

TEST(Queue, LeaksDetachedWaiter) {
  std::thread(drain_queue).detach();
  SUCCEED();
}

TEST(Queue, JoinsItsThread) {
  std::thread worker(drain_queue);
  close_queue();
  worker.join();
}

// A thread meant to outlive the test, excused for this test only.
TEST(Queue, KeepsExpectedMonitor) {
  stray::gtest::ExpectThreads("name:queue_monitor max:1");
  std::thread([] {
    pthread_setname_np(pthread_self(), "queue_monitor");
    while (true) std::this_thread::sleep_for(std::chrono::seconds(1));
  }).detach();
}

}  // namespace
