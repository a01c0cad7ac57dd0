#include "gtest_listener/leak_listener.hpp"

#include <algorithm>
#include <sstream>

#include <spdlog/spdlog.h>

#include "gtest_listener/expected_threads.hpp"
#include "gtest_listener/self_snapshot.hpp"
#include "report/escape.hpp"
#include "report/verdict_report.hpp"

namespace stray::gtest {

namespace {

// A leftover that exits between the listing and the capture makes stray
// reject its tid, so the capture is tried again with the threads left.
constexpr int kCaptureAttempts = 3;

std::string count_of(std::size_t count, const char* singular, const char* plural) {
  return std::to_string(count) + ' ' + (count == 1 ? singular : plural);
}

std::string grace_text(std::chrono::microseconds grace) {
  if (grace.count() % 1000 != 0) return std::to_string(grace.count()) + " us";
  return std::to_string(grace.count() / 1000) + " ms";
}

std::string listed_threads(const Census& threads) {
  std::string text;
  for (const CensusEntry& thread : threads) {
    text += "\n  tid " + std::to_string(thread.tid) + ' ' + quote_text(thread.name);
  }
  return text;
}

std::string expected_by_none(std::size_t survivors, std::size_t leftovers) {
  if (survivors == leftovers) return survivors == 1 ? "it" : "them";
  return std::to_string(survivors) + " of them";
}

std::vector<int> tids_of(const Census& threads) {
  std::vector<int> tids;
  for (const CensusEntry& thread : threads) tids.push_back(thread.tid);
  return tids;
}

}  // namespace

void LeakListener::OnTestSuiteStart(const testing::TestSuite&) {
  suite_before_ = take_census();
  last_end_.clear();
  judged_.clear();
}

void LeakListener::OnTestStart(const testing::TestInfo&) { before_ = take_census_reusing(last_end_); }

void LeakListener::OnTestEnd(const testing::TestInfo& test) {
  ended_ = std::chrono::steady_clock::now();
  last_end_ = wait_for_new_threads(before_, settings_.grace);
  Census leftovers = new_threads(before_, last_end_);
  if (!leftovers.empty()) judge_leftovers(before_, std::move(leftovers), {test.file(), test.line(), "this test"});
  ExpectedThreads::instance().end_test();
}

// Judges the threads that SetUpTestSuite or TearDownTestSuite started and
// left running. Those a test of the suite left were judged with that test.
void LeakListener::OnTestSuiteEnd(const testing::TestSuite& suite) {
  ended_ = std::chrono::steady_clock::now();
  Census before = suite_before_;
  before.insert(before.end(), judged_.begin(), judged_.end());
  std::sort(before.begin(), before.end(), [](const CensusEntry& a, const CensusEntry& b) { return a.tid < b.tid; });

  Census leftovers = new_threads(before, wait_for_new_threads(before, settings_.grace));
  const testing::TestInfo* first_test = suite.total_test_count() > 0 ? suite.GetTestInfo(0) : nullptr;
  Location where{first_test != nullptr ? first_test->file() : __FILE__, first_test != nullptr ? first_test->line() : __LINE__,
                 "the fixture of this test suite"};
  if (!leftovers.empty()) judge_leftovers(before, std::move(leftovers), where);
  ExpectedThreads::instance().end_suite();
}

std::optional<Snapshot> LeakListener::capture(const Census& before, Census& leftovers) {
  for (int attempt = 1;; ++attempt) {
    try {
      return capture_own_threads(settings_.executable, tids_of(leftovers), settings_.helper_timeout);
    } catch (const Error& error) {
      if (error.kind() != ErrorKind::target_exited || attempt == kCaptureAttempts) throw;
      spdlog::debug("pid {}: a leftover thread exited before its capture: {}", ::getpid(), error.what());
    }
    leftovers = new_threads(before, take_census());
    if (leftovers.empty()) return std::nullopt;
  }
}

void LeakListener::judge_leftovers(const Census& before, Census leftovers, const Location& where) {
  judged_.insert(judged_.end(), leftovers.begin(), leftovers.end());
  const std::string left = count_of(leftovers.size(), "thread", "threads") + " that " + where.starter + " started";
  std::optional<Snapshot> snapshot;
  try {
    snapshot = capture(before, leftovers);
  } catch (const Error& error) {
    ADD_FAILURE_AT(where.file, where.line)
        << "stray: " << left << " still ran after the " << grace_text(settings_.grace)
        << " grace period, but " << (leftovers.size() == 1 ? "its stack" : "their stacks")
        << " could not be captured: " << error.what() << listed_threads(leftovers);
    return;
  }
  if (!snapshot) return;

  CheckResult result;
  result.snapshot = std::move(*snapshot);
  std::vector<Rule> rules = ExpectedThreads::instance().current();
  rules.insert(rules.end(), settings_.rules.begin(), settings_.rules.end());
  result.judgement = judge(result.snapshot, rules);
  result.duration = std::chrono::steady_clock::now() - ended_;
  if (result.judgement.survivors == 0) return;

  std::ostringstream report;
  write_verdict_text(report, result, rules);
  ADD_FAILURE_AT(where.file, where.line)
      << "stray: " << left << " still ran after the " << grace_text(settings_.grace)
      << " grace period, and no rule expects " << expected_by_none(result.judgement.survivors, leftovers.size())
      << ":\n"
      << report.str();
}

}  // namespace stray::gtest
