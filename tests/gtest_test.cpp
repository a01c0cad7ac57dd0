// stray::gtest end to end: a GoogleTest binary with the leak check installed
// (tests/targets/gtest/gtest_leaks.cpp) runs as a child process, and its
// XML report and output show which tests failed and why.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/target_process.hpp"

namespace stray {
namespace {

using test::CommandResult;
using test::run_command;
using test::target_path;

struct GtestRun {
  CommandResult result;
  std::string xml;  // the --gtest_output=xml report
};

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Runs gtest_leaks with a 200 ms grace period, `environment` ("NAME=VALUE")
// and the GoogleTest flags `flags`, through the command `wrapper` when it
// is not empty (strace, stray run).
GtestRun run_gtest_leaks(const std::vector<std::string>& environment, const std::vector<std::string>& flags,
                         const std::vector<std::string>& wrapper = {}) {
  static int runs = 0;
  const std::string xml_path = (std::filesystem::temp_directory_path() /
                                ("stray_gtest_" + std::to_string(::getpid()) + "_" + std::to_string(++runs) + ".xml"))
                                   .string();
  std::vector<std::string> argv = {"env", "STRAY_GTEST_GRACE=200ms"};
  argv.insert(argv.end(), environment.begin(), environment.end());
  argv.insert(argv.end(), wrapper.begin(), wrapper.end());
  argv.push_back(target_path("gtest_leaks"));
  argv.push_back("--gtest_output=xml:" + xml_path);
  argv.insert(argv.end(), flags.begin(), flags.end());
  GtestRun run;
  run.result = run_command(argv, std::chrono::seconds(90));
  run.xml = read_file(xml_path);
  std::filesystem::remove(xml_path);
  return run;
}

// The <testcase> element of test `name` in a GoogleTest XML report, or ""
// when the report has none.
std::string testcase_element(const std::string& xml, const std::string& name) {
  const std::size_t start = xml.find("<testcase name=\"" + name + "\"");
  if (start == std::string::npos) return {};
  const std::size_t tag_end = xml.find('>', start);
  if (tag_end == std::string::npos) return {};
  if (xml[tag_end - 1] == '/') return xml.substr(start, tag_end + 1 - start);
  const std::size_t end = xml.find("</testcase>", start);
  return xml.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

bool has_failure(const std::string& element) { return element.find("<failure") != std::string::npos; }

// Lines "[  FAILED  ] TEST (N ms)" printed as each run of a test ends.
int count_failed_runs(const std::string& out, const std::string& test) {
  int count = 0;
  for (std::size_t at = out.find("[  FAILED  ] " + test + " ("); at != std::string::npos;
       at = out.find("[  FAILED  ] " + test + " (", at + 1)) {
    ++count;
  }
  return count;
}

int count_passed_runs(const std::string& out, const std::string& test) {
  int count = 0;
  for (std::size_t at = out.find("[       OK ] " + test + " ("); at != std::string::npos;
       at = out.find("[       OK ] " + test + " (", at + 1)) {
    ++count;
  }
  return count;
}

// The 1-based line of gtest_leaks.cpp that contains `marker`, as "FILE:LINE".
std::string marked_line(const std::string& marker) {
  std::ifstream in(std::string(STRAY_SOURCE_DIR) + "/tests/targets/gtest/gtest_leaks.cpp");
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.find(marker) != std::string::npos) return "gtest_leaks.cpp:" + std::to_string(number);
  }
  ADD_FAILURE() << "marker '" << marker << "' not found in gtest_leaks.cpp";
  return "gtest_leaks.cpp:?";
}

const std::vector<std::string> kCleanTests = {"NoThreads", "JoinsItsThread", "DetachedThreadExitsWithinGrace"};

TEST(Gtest, OnlyLeakingTestFails) {
  GtestRun run = run_gtest_leaks({}, {"--gtest_filter=Clean.*:Leaky.*"});
  EXPECT_EQ(run.result.exit_code(), 1) << run.result.out << run.result.err;
  const std::string leaky = testcase_element(run.xml, "LeavesParkedThread");
  ASSERT_FALSE(leaky.empty()) << run.xml;
  EXPECT_TRUE(has_failure(leaky)) << leaky;
  EXPECT_NE(leaky.find("started by: (anonymous namespace)::wait_for_shutdown()"), std::string::npos) << leaky;
  EXPECT_NE(leaky.find(marked_line("gtest_leaks: parked here")), std::string::npos) << leaky;
  EXPECT_NE(leaky.find("[condvar]"), std::string::npos) << leaky;
  for (const std::string& name : kCleanTests) {
    const std::string clean = testcase_element(run.xml, name);
    ASSERT_FALSE(clean.empty()) << name << '\n' << run.xml;
    EXPECT_FALSE(has_failure(clean)) << clean;
  }
}

TEST(Gtest, SuitePoolNotBlamed) {
  GtestRun run = run_gtest_leaks({}, {"--gtest_filter=Pool.*"});
  EXPECT_EQ(run.result.exit_code(), 0) << run.result.out << run.result.err;
  EXPECT_EQ(count_passed_runs(run.result.out, "Pool.FirstUse"), 1) << run.result.out;
  EXPECT_EQ(count_passed_runs(run.result.out, "Pool.SecondUse"), 1) << run.result.out;
  EXPECT_FALSE(has_failure(testcase_element(run.xml, "FirstUse"))) << run.xml;
  EXPECT_FALSE(has_failure(testcase_element(run.xml, "SecondUse"))) << run.xml;
}

TEST(Gtest, FixtureLeakFailsSuite) {
  GtestRun run = run_gtest_leaks({}, {"--gtest_filter=LeakySuite.*:Pool.*"});
  EXPECT_EQ(run.result.exit_code(), 1) << run.result.out << run.result.err;
  EXPECT_NE(run.result.out.find("[  FAILED  ] LeakySuite: SetUpTestSuite or TearDownTestSuite"), std::string::npos)
      << run.result.out;
  EXPECT_EQ(run.result.out.find("[  FAILED  ] Pool"), std::string::npos) << run.result.out;
  EXPECT_NE(run.result.out.find("1 thread that the fixture of this test suite started"), std::string::npos)
      << run.result.out;
  EXPECT_NE(run.result.out.find("started by: (anonymous namespace)::fixture_worker()"), std::string::npos)
      << run.result.out;
  EXPECT_FALSE(has_failure(testcase_element(run.xml, "Passes"))) << run.xml;
}

TEST(Gtest, ThreadExitingWithinGracePasses) {
  GtestRun run = run_gtest_leaks({}, {"--gtest_filter=Clean.DetachedThreadExitsWithinGrace"});
  EXPECT_EQ(run.result.exit_code(), 0) << run.result.out << run.result.err;
  EXPECT_EQ(count_passed_runs(run.result.out, "Clean.DetachedThreadExitsWithinGrace"), 1) << run.result.out;
}

// The same thread outlives a shorter grace period.
TEST(Gtest, ThreadOutlivingGraceFails) {
  GtestRun run = run_gtest_leaks({"STRAY_GTEST_GRACE=5ms"}, {"--gtest_filter=Clean.DetachedThreadExitsWithinGrace"});
  EXPECT_EQ(run.result.exit_code(), 1) << run.result.out << run.result.err;
  EXPECT_NE(run.result.out.find("after the 5 ms grace period"), std::string::npos) << run.result.out;
}

// STRAY_GTEST_GRACE takes the units of the command line: 0.0001m is 6 ms.
TEST(Gtest, GraceInMinutesAccepted) {
  GtestRun run = run_gtest_leaks({"STRAY_GTEST_GRACE=0.0001m"}, {"--gtest_filter=Clean.DetachedThreadExitsWithinGrace"});
  EXPECT_EQ(run.result.exit_code(), 1) << run.result.out << run.result.err;
  EXPECT_NE(run.result.out.find("after the 6 ms grace period"), std::string::npos) << run.result.out;
}

TEST(Gtest, InvalidGraceNamesUnits) {
  GtestRun run = run_gtest_leaks({"STRAY_GTEST_GRACE=5"}, {"--gtest_filter=Clean.DetachedThreadExitsWithinGrace"});
  EXPECT_NE(run.result.exit_code(), 0) << run.result.out;
  EXPECT_NE(run.result.err.find("STRAY_GTEST_GRACE: invalid duration '5': expected a number with a unit "
                                "(us, ms, s, m, h or d)"),
            std::string::npos)
      << run.result.err;
  EXPECT_EQ(count_passed_runs(run.result.out, "Clean.DetachedThreadExitsWithinGrace"), 0) << run.result.out;
}

TEST(Gtest, RepeatBlamesLeakingTestEachTime) {
  GtestRun run = run_gtest_leaks({}, {"--gtest_filter=Clean.*:Leaky.*:Pool.*", "--gtest_repeat=3"});
  EXPECT_EQ(run.result.exit_code(), 1) << run.result.out << run.result.err;
  EXPECT_EQ(count_failed_runs(run.result.out, "Leaky.LeavesParkedThread"), 3) << run.result.out;
  for (const std::string& name : kCleanTests) {
    EXPECT_EQ(count_passed_runs(run.result.out, "Clean." + name), 3) << name << '\n' << run.result.out;
  }
  EXPECT_EQ(count_passed_runs(run.result.out, "Pool.FirstUse"), 3) << run.result.out;
  EXPECT_EQ(count_passed_runs(run.result.out, "Pool.SecondUse"), 3) << run.result.out;
}

TEST(Gtest, ShuffleBlamesLeakingTest) {
  for (const char* seed : {"1", "2", "3"}) {
    GtestRun run = run_gtest_leaks(
        {}, {"--gtest_filter=Clean.*:Leaky.*:Pool.*", "--gtest_shuffle", std::string("--gtest_random_seed=") + seed});
    EXPECT_EQ(run.result.exit_code(), 1) << run.result.out << run.result.err;
    EXPECT_EQ(count_failed_runs(run.result.out, "Leaky.LeavesParkedThread"), 1) << "seed " << seed;
    EXPECT_EQ(run.result.out.find("1 FAILED TEST"), run.result.out.rfind("1 FAILED TEST")) << run.result.out;
    EXPECT_NE(run.result.out.find(" 1 FAILED TEST"), std::string::npos) << "seed " << seed << '\n' << run.result.out;
  }
}

TEST(Gtest, ExpectThreadsExcusesInCode) {
  GtestRun run = run_gtest_leaks({}, {"--gtest_filter=Expected.ExcusedInCode"});
  EXPECT_EQ(run.result.exit_code(), 0) << run.result.out << run.result.err;
  EXPECT_FALSE(has_failure(testcase_element(run.xml, "ExcusedInCode"))) << run.xml;
}

TEST(Gtest, ExpectThreadsMaxExcusesOne) {
  GtestRun run = run_gtest_leaks({}, {"--gtest_filter=Expected.OverTheMax"});
  EXPECT_EQ(run.result.exit_code(), 1) << run.result.out << run.result.err;
  const std::string element = testcase_element(run.xml, "OverTheMax");
  EXPECT_TRUE(has_failure(element)) << element;
  EXPECT_NE(element.find("1 unexpected survivor in 1 group among 2 threads"), std::string::npos) << element;
  EXPECT_NE(element.find("already excused its max:1 threads"), std::string::npos) << element;
}

TEST(Gtest, ExpectThreadsScopes) {
  GtestRun run = run_gtest_leaks(
      {}, {"--gtest_filter=Expected.ExcusedInCode:AfterExpected.*:SuiteRules.*:AfterSuiteRules.*"});
  EXPECT_EQ(run.result.exit_code(), 1) << run.result.out << run.result.err;
  EXPECT_FALSE(has_failure(testcase_element(run.xml, "ExcusedInCode"))) << run.xml;
  EXPECT_TRUE(has_failure(testcase_element(run.xml, "TestRuleEnded"))) << run.xml;
  EXPECT_FALSE(has_failure(testcase_element(run.xml, "ExcusedBySuite"))) << run.xml;
  EXPECT_FALSE(has_failure(testcase_element(run.xml, "ExcusedAgain"))) << run.xml;
  EXPECT_TRUE(has_failure(testcase_element(run.xml, "SuiteRuleEnded"))) << run.xml;
}

TEST(Gtest, RulesFileFromEnvironment) {
  const std::string rules = (std::filesystem::temp_directory_path() /
                             ("stray_gtest_" + std::to_string(::getpid()) + ".rules"))
                                .string();
  std::ofstream(rules) << "start:*wait_for_shutdown*\n";
  GtestRun run = run_gtest_leaks({"STRAY_GTEST_RULES=" + rules}, {"--gtest_filter=Leaky.*"});
  std::filesystem::remove(rules);
  EXPECT_EQ(run.result.exit_code(), 0) << run.result.out << run.result.err;
  EXPECT_FALSE(has_failure(testcase_element(run.xml, "LeavesParkedThread"))) << run.xml;
}

TEST(Gtest, DisabledByEnvironment) {
  GtestRun run = run_gtest_leaks({"STRAY_GTEST_DISABLE=1"}, {"--gtest_filter=Leaky.*"});
  EXPECT_EQ(run.result.exit_code(), 0) << run.result.out << run.result.err;
}

TEST(Gtest, MissingExecutableNamesCause) {
  GtestRun run = run_gtest_leaks({"STRAY_EXECUTABLE=/nonexistent/stray"}, {"--gtest_filter=Clean.*:Leaky.*"});
  ASSERT_TRUE(WIFEXITED(run.result.status)) << "status " << run.result.status;
  EXPECT_EQ(run.result.exit_code(), 1) << run.result.out << run.result.err;
  const std::string leaky = testcase_element(run.xml, "LeavesParkedThread");
  EXPECT_TRUE(has_failure(leaky)) << leaky;
  EXPECT_NE(leaky.find("cannot run the stray executable /nonexistent/stray"), std::string::npos) << leaky;
  EXPECT_NE(leaky.find("STRAY_EXECUTABLE"), std::string::npos) << leaky;
  for (const std::string& name : kCleanTests) {
    EXPECT_FALSE(has_failure(testcase_element(run.xml, name))) << name;
  }
}

// strace traces every thread of the binary, so stray's attach is rejected
// as it would be under Yama's ptrace_scope 2 or with a debugger attached.
TEST(Gtest, AttachNotPermittedNamesCause) {
  if (run_command({"strace", "-V"}).exit_code() != 0) GTEST_SKIP() << "strace is not installed";
  GtestRun run = run_gtest_leaks({}, {"--gtest_filter=Clean.NoThreads:Leaky.*"},
                                 {"strace", "-f", "-o", "/dev/null"});
  const CommandResult& result = run.result;
  const std::string& xml = run.xml;
  ASSERT_TRUE(WIFEXITED(result.status)) << "status " << result.status;
  EXPECT_EQ(result.exit_code(), 1) << result.out << result.err;
  const std::string leaky = testcase_element(xml, "LeavesParkedThread");
  EXPECT_TRUE(has_failure(leaky)) << leaky;
  EXPECT_NE(leaky.find("its stack could not be captured: stray cannot attach to this test process"),
            std::string::npos)
      << leaky;
  EXPECT_NE(leaky.find("already traced"), std::string::npos) << leaky;
  EXPECT_NE(leaky.find("Detach the tracer (pid "), std::string::npos) << leaky;
  EXPECT_EQ(leaky.find("Yama"), std::string::npos) << leaky;
  EXPECT_FALSE(has_failure(testcase_element(xml, "NoThreads"))) << xml;
}

// `stray run --catch-faults` traces every thread of the test, so the stray
// child of the listener cannot attach. The failure names stray as the
// tracer and the fix, and leaves out the Yama and seccomp advice.
TEST(Gtest, CatchFaultsTracerNamed) {
  GtestRun run = run_gtest_leaks({}, {"--gtest_filter=Clean.NoThreads:Leaky.*"},
                                 {STRAY_BINARY, "run", "--catch-faults", "--grace", "0s", "--"});
  const CommandResult& result = run.result;
  const std::string& xml = run.xml;
  ASSERT_TRUE(WIFEXITED(result.status)) << "status " << result.status;
  EXPECT_EQ(result.exit_code(), 1) << result.out << result.err;
  const std::string leaky = testcase_element(xml, "LeavesParkedThread");
  EXPECT_TRUE(has_failure(leaky)) << leaky;
  EXPECT_NE(leaky.find("its stack could not be captured: stray cannot attach to this test process"),
            std::string::npos)
      << leaky;
  EXPECT_NE(leaky.find("(stray)"), std::string::npos) << leaky;
  EXPECT_NE(leaky.find("run the tests without --catch-faults"), std::string::npos) << leaky;
  EXPECT_EQ(leaky.find("Yama"), std::string::npos) << leaky;
  EXPECT_EQ(leaky.find("seccomp"), std::string::npos) << leaky;
  EXPECT_FALSE(has_failure(testcase_element(xml, "NoThreads"))) << xml;
}

// examples/gtest built against an installed stray, run test by test by
// ctest through gtest_discover_tests.
TEST(Gtest, ExamplesProjectUnderCtest) {
  std::string directory = (std::filesystem::temp_directory_path() / "stray-gtest-example.XXXXXX").string();
  ASSERT_NE(::mkdtemp(directory.data()), nullptr);
  const std::string prefix = directory + "/prefix";
  const std::string build = directory + "/build";
  auto installed = run_command({"cmake", "--install", STRAY_BUILD_DIR, "--prefix", prefix});
  ASSERT_EQ(installed.exit_code(), 0) << installed.err;
  auto configured = run_command({"cmake", "-S", std::string(STRAY_SOURCE_DIR) + "/examples/gtest", "-B", build,
                                 "-DCMAKE_PREFIX_PATH=" + prefix},
                                std::chrono::minutes(3));
  ASSERT_EQ(configured.exit_code(), 0) << configured.out << configured.err;
  auto built = run_command({"cmake", "--build", build}, std::chrono::minutes(5));
  ASSERT_EQ(built.exit_code(), 0) << built.out << built.err;

  auto leaking = run_command({"ctest", "--test-dir", build, "-R", "LeaksDetachedWaiter", "--output-on-failure"},
                             std::chrono::minutes(2));
  EXPECT_NE(leaking.exit_code(), 0) << leaking.out;
  EXPECT_NE(leaking.out.find("started by: (anonymous namespace)::drain_queue()"), std::string::npos) << leaking.out;
  auto clean = run_command({"ctest", "--test-dir", build, "-E", "LeaksDetachedWaiter", "--output-on-failure"},
                           std::chrono::minutes(2));
  EXPECT_EQ(clean.exit_code(), 0) << clean.out;
  EXPECT_NE(clean.out.find("0 tests failed out of 2"), std::string::npos) << clean.out;
  std::filesystem::remove_all(directory);
}

// The same project against stray's build directory, without an install:
// stray::gtest_main and the stray executable come from the build tree.
TEST(Gtest, ExamplesProjectAgainstBuildTree) {
  std::string build = (std::filesystem::temp_directory_path() / "stray-gtest-build-tree.XXXXXX").string();
  ASSERT_NE(::mkdtemp(build.data()), nullptr);
  auto configured = run_command({"cmake", "-S", std::string(STRAY_SOURCE_DIR) + "/examples/gtest", "-B", build,
                                 "-DCMAKE_PREFIX_PATH=" + std::string(STRAY_BUILD_DIR)},
                                std::chrono::minutes(3));
  ASSERT_EQ(configured.exit_code(), 0) << configured.out << configured.err;
  auto built = run_command({"cmake", "--build", build}, std::chrono::minutes(5));
  ASSERT_EQ(built.exit_code(), 0) << built.out << built.err;

  auto leaking = run_command({"ctest", "--test-dir", build, "-R", "LeaksDetachedWaiter", "--output-on-failure"},
                             std::chrono::minutes(2));
  EXPECT_NE(leaking.exit_code(), 0) << leaking.out;
  EXPECT_NE(leaking.out.find("started by: (anonymous namespace)::drain_queue()"), std::string::npos) << leaking.out;
  auto clean = run_command({"ctest", "--test-dir", build, "-E", "LeaksDetachedWaiter", "--output-on-failure"},
                           std::chrono::minutes(2));
  EXPECT_EQ(clean.exit_code(), 0) << clean.out;
  std::filesystem::remove_all(build);
}

}  // namespace
}  // namespace stray
