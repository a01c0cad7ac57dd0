// The GoogleTest listener that fails a test which leaves threads behind.
#pragma once

#include <gtest/gtest.h>

#include "gtest_listener/settings.hpp"
#include "gtest_listener/thread_census.hpp"

namespace stray::gtest {

// Lists the threads when a test starts. When it ends, waits up to the grace
// period for the threads it started to exit, has stray capture the stacks
// of those left, judges them against the rules and fails the test when any
// is unexpected. Threads listed at the start are never blamed on the test.
// The same check runs from the start to the end of each test suite, for
// threads that SetUpTestSuite or TearDownTestSuite left behind, and fails
// the suite.
//
// GoogleTest calls OnTestEnd on listeners in reverse order of appending,
// while the test is still the current one (seen with GoogleTest 1.12.1).
// So a failure added there counts for the test, and the default printer
// and the XML writer see it.
class LeakListener : public testing::EmptyTestEventListener {
 public:
  explicit LeakListener(Settings settings) : settings_(std::move(settings)) {}

  void OnTestSuiteStart(const testing::TestSuite& suite) override;
  void OnTestStart(const testing::TestInfo& test) override;
  void OnTestEnd(const testing::TestInfo& test) override;
  void OnTestSuiteEnd(const testing::TestSuite& suite) override;

 private:
  // The source location of a failure, and who started the threads it reports.
  struct Location {
    const char* file;
    int line;
    std::string starter;  // "this test"
  };

  void judge_leftovers(const Census& before, Census leftovers, const Location& where);
  std::optional<Snapshot> capture(const Census& before, Census& leftovers);

  Settings settings_;
  Census suite_before_;
  Census before_;
  // The listing at the end of the last test, reused by the next test's
  // start within the same suite: nothing but the listener runs in between.
  Census last_end_;
  // Threads judged at the end of a test of the running suite, so the check
  // at the suite's end does not report them again.
  Census judged_;
  std::chrono::steady_clock::time_point ended_;
};

}  // namespace stray::gtest
