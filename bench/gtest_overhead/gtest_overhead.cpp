// Per-test cost of stray::gtest when no test leaves a thread behind.
//
//   stray_gtest_overhead [TESTS [THREADS [ROUNDS]]]
//
// Runs itself ROUNDS times with the leak check off (STRAY_GTEST_DISABLE=1)
// and ROUNDS times with it on, alternating. Each run registers TESTS empty
// tests, parks THREADS extra threads for the whole run (the cost of a test
// grows with the threads alive, because each is listed and its stat read),
// and times RUN_ALL_TESTS without GoogleTest's printer. Prints the median of
// each mode and their difference per test.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "stray/gtest.hpp"

namespace {

class EmptyTest : public testing::Test {
 public:
  void TestBody() override {}
};

void register_tests(int count) {
  for (int i = 0; i < count; ++i) {
    testing::RegisterTest("Empty", ("Test" + std::to_string(i)).c_str(), nullptr, nullptr, __FILE__, __LINE__,
                          []() -> testing::Test* { return new EmptyTest; });
  }
}

// Threads parked until the process exits, started before any test.
void park_threads(int count) {
  static std::mutex& mutex = *new std::mutex;
  static std::condition_variable& never = *new std::condition_variable;
  for (int i = 0; i < count; ++i) {
    std::thread([] {
      std::unique_lock<std::mutex> lock(mutex);
      never.wait(lock, [] { return false; });
    }).detach();
  }
}

// One measured run in this process; prints the wall time in nanoseconds.
int run_tests(int argc, char** argv, int tests, int threads) {
  testing::InitGoogleTest(&argc, argv);
  stray::gtest::Install();
  testing::TestEventListeners& listeners = testing::UnitTest::GetInstance()->listeners();
  delete listeners.Release(listeners.default_result_printer());
  register_tests(tests);
  park_threads(threads);

  const auto start = std::chrono::steady_clock::now();
  const int failed = RUN_ALL_TESTS();
  const auto elapsed = std::chrono::steady_clock::now() - start;
  std::printf("%lld\n", static_cast<long long>(std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed).count()));
  return failed;
}

// Runs this program as a child with the leak check on or off and returns
// the nanoseconds it printed, or -1 when it failed.
long long measure_child(const char* self, const std::string& tests, const std::string& threads, bool on) {
  const std::string command = std::string(on ? "" : "STRAY_GTEST_DISABLE=1 ") + "'" + self + "' --child " + tests +
                              " " + threads;
  FILE* child = ::popen(command.c_str(), "r");
  if (child == nullptr) return -1;
  long long nanoseconds = -1;
  if (std::fscanf(child, "%lld", &nanoseconds) != 1) nanoseconds = -1;
  return ::pclose(child) == 0 ? nanoseconds : -1;
}

long long median(std::vector<long long> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 4 && std::string(argv[1]) == "--child") {
    return run_tests(argc, argv, std::atoi(argv[2]), std::atoi(argv[3]));
  }
  const std::string tests = argc > 1 ? argv[1] : "2000";
  const std::string threads = argc > 2 ? argv[2] : "0";
  const int rounds = argc > 3 ? std::atoi(argv[3]) : 7;

  std::vector<long long> off, on;
  for (int round = 0; round < rounds; ++round) {
    off.push_back(measure_child(argv[0], tests, threads, false));
    on.push_back(measure_child(argv[0], tests, threads, true));
    if (off.back() < 0 || on.back() < 0) {
      std::fprintf(stderr, "a measured run failed\n");
      return 1;
    }
  }
  const double per_test_us = static_cast<double>(median(on) - median(off)) / 1000.0 / std::atof(tests.c_str());
  std::printf("tests %s, extra threads %s, rounds %d\n", tests.c_str(), threads.c_str(), rounds);
  std::printf("median off %.1f ms, on %.1f ms, cost per test %.1f us\n", static_cast<double>(median(off)) / 1e6,
              static_cast<double>(median(on)) / 1e6, per_test_us);
  return 0;
}
