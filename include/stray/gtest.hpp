// GoogleTest integration: each test fails when it leaves a thread behind.
//
//   #include <stray/gtest.hpp>
//   stray::gtest::Install();   // in main, before RUN_ALL_TESTS()
//
// or link stray::gtest_main instead of GTest::gtest_main. Usage, the
// environment variables and the ptrace permissions it needs are in
// docs/gtest.md.
#pragma once

#include <chrono>
#include <source_location>
#include <string>
#include <string_view>
#include <vector>

#include "stray/check.hpp"

// The stray executable that captures stacks, set by the CMake targets
// stray::gtest and stray::gtest_main (the build tree's or the installed
// one). STRAY_EXECUTABLE in the environment overrides it at run time.
#ifndef STRAY_GTEST_EXECUTABLE
#define STRAY_GTEST_EXECUTABLE "stray"
#endif

namespace stray::gtest {

struct Options {
  // How long threads that a test started may take to exit after the test
  // ends. Threads are re-listed with backoff, so a clean test waits only
  // as long as its threads take. STRAY_GTEST_GRACE overrides it.
  std::chrono::microseconds grace = kDefaultGrace;
  // Rules files of expected threads (format in docs/rules.md), loaded by
  // Install. STRAY_GTEST_RULES adds more, separated by ':'.
  std::vector<std::string> rules_files;
  // Also excuse the threads that glibc and common runtimes start on their
  // own. STRAY_GTEST_NO_BUILTIN_RULES=1 turns them off.
  bool builtin_rules = true;
  // The stray executable run to capture the stacks of leaked threads.
  // Empty: STRAY_EXECUTABLE from the environment, else the path the CMake
  // target was built with.
  std::string stray_executable;
  // Upper bound on one run of stray; it is killed after this.
  std::chrono::seconds helper_timeout{60};
};

namespace detail {
void install(Options options, const char* default_executable);
}  // namespace detail

// Appends the leak-checking listener to GoogleTest's listeners. Call it
// once, after testing::InitGoogleTest and before RUN_ALL_TESTS. Loads the
// rules files now, so a malformed one throws stray::RulesSyntaxError (or
// stray::Error for an unreadable file or an invalid environment variable)
// before any test runs. STRAY_GTEST_DISABLE=1 makes it do nothing.
inline void Install(Options options = {}) {
  detail::install(std::move(options), STRAY_GTEST_EXECUTABLE);
}

// Adds rules of expected threads, in the rules-file format (one rule per
// line, `max:` included): ExpectThreads("start:my_pool_worker max:4").
// Called in a test body, SetUp or TearDown, they apply to that test only.
// Called in SetUpTestSuite, they apply to every test of the suite. Called
// before RUN_ALL_TESTS, they apply to every test. Throws
// stray::RulesSyntaxError for a malformed rule.
void ExpectThreads(std::string_view rules,
                   std::source_location location = std::source_location::current());

}  // namespace stray::gtest
