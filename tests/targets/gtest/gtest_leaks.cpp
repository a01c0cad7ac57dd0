// A GoogleTest binary with the stray::gtest leak check installed, for
// tests/gtest_test.cpp. Leaky.LeavesParkedThread, Expected.OverTheMax,
// AfterExpected.TestRuleEnded and AfterSuiteRules.SuiteRuleEnded leave
// threads parked on a condition variable that no rule expects, so the leak
// check fails them. The fixture of LeakySuite leaves one as well, which
// fails that suite. Every other test passes with or without the check.
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "stray/gtest.hpp"

namespace {

// Never destroyed: glibc's pthread_cond_destroy waits for a parked waiter,
// so a static condition variable would hang the exit.
std::mutex& shutdown_mutex = *new std::mutex;
std::condition_variable& shutdown_requested = *new std::condition_variable;
bool shutting_down = false;

__attribute__((noinline)) void wait_for_shutdown() {
  std::unique_lock<std::mutex> lock(shutdown_mutex);
  shutdown_requested.wait(lock, [] { return shutting_down; });  // gtest_leaks: parked here
}

__attribute__((noinline)) void expected_worker() { wait_for_shutdown(); }
__attribute__((noinline)) void capped_worker() { wait_for_shutdown(); }
__attribute__((noinline)) void suite_worker() { wait_for_shutdown(); }
__attribute__((noinline)) void fixture_worker() { wait_for_shutdown(); }

TEST(Clean, NoThreads) { SUCCEED(); }

TEST(Clean, JoinsItsThread) {
  std::thread worker([] { std::this_thread::sleep_for(std::chrono::milliseconds(5)); });
  worker.join();
}

TEST(Clean, DetachedThreadExitsWithinGrace) {
  std::thread([] { std::this_thread::sleep_for(std::chrono::milliseconds(50)); }).detach();
}

TEST(Leaky, LeavesParkedThread) { std::thread(wait_for_shutdown).detach(); }

TEST(Expected, ExcusedInCode) {
  stray::gtest::ExpectThreads("start:*expected_worker*");
  std::thread(expected_worker).detach();
}

TEST(Expected, OverTheMax) {
  stray::gtest::ExpectThreads("start:*capped_worker* max:1");
  std::thread(capped_worker).detach();
  std::thread(capped_worker).detach();
}

// The rule of Expected.ExcusedInCode ended with that test.
TEST(AfterExpected, TestRuleEnded) { std::thread(expected_worker).detach(); }

class SuiteRules : public testing::Test {
 protected:
  static void SetUpTestSuite() { stray::gtest::ExpectThreads("start:*suite_worker*"); }
};

TEST_F(SuiteRules, ExcusedBySuite) { std::thread(suite_worker).detach(); }
TEST_F(SuiteRules, ExcusedAgain) { std::thread(suite_worker).detach(); }

// The rule of SuiteRules ended with that suite.
TEST(AfterSuiteRules, SuiteRuleEnded) { std::thread(suite_worker).detach(); }

// A pool that lives from SetUpTestSuite to TearDownTestSuite: alive before
// each test starts, so no test is blamed for it.
class Pool : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    stopping_ = false;
    for (int i = 0; i < 3; ++i) workers_->emplace_back(work);
  }
  static void TearDownTestSuite() {
    {
      std::lock_guard<std::mutex> lock(*mutex_);
      stopping_ = true;
    }
    wake_->notify_all();
    for (std::thread& worker : *workers_) worker.join();
    workers_->clear();
  }
  static void work() {
    std::unique_lock<std::mutex> lock(*mutex_);
    wake_->wait(lock, [] { return stopping_; });
  }

  static inline std::vector<std::thread>* workers_ = new std::vector<std::thread>;
  static inline std::mutex* mutex_ = new std::mutex;
  static inline std::condition_variable* wake_ = new std::condition_variable;
  static inline bool stopping_ = false;
};

TEST_F(Pool, FirstUse) { SUCCEED(); }
TEST_F(Pool, SecondUse) { SUCCEED(); }

// A fixture whose SetUpTestSuite starts a thread that TearDownTestSuite
// leaves running: the suite fails, and its test passes.
class LeakySuite : public testing::Test {
 protected:
  static void SetUpTestSuite() { std::thread(fixture_worker).detach(); }
};

TEST_F(LeakySuite, Passes) { SUCCEED(); }

}  // namespace

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  stray::gtest::Install();
  return RUN_ALL_TESTS();
}
