// `stray run` end to end: real test binaries run under stray, judged as
// they exit, with their exit status, output and children left as they were.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/target_process.hpp"

namespace stray {
namespace {

using test::run_command;
using test::target_path;

std::vector<std::string> stray_run(std::vector<std::string> options, std::vector<std::string> command) {
  std::vector<std::string> argv = {STRAY_BINARY, "run"};
  argv.insert(argv.end(), options.begin(), options.end());
  argv.push_back("--");
  argv.insert(argv.end(), command.begin(), command.end());
  return argv;
}

// The 1-based line of `source` that contains `marker`, as "FILE:LINE".
std::string marked_line(const std::string& source, const std::string& marker) {
  std::ifstream in(std::string(STRAY_SOURCE_DIR) + "/tests/targets/" + source);
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.find(marker) != std::string::npos) return source + ":" + std::to_string(number);
  }
  ADD_FAILURE() << "marker '" << marker << "' not found in " << source;
  return source + ":?";
}

std::string temporary_directory(const std::string& name) {
  std::string pattern = (std::filesystem::temp_directory_path() / (name + ".XXXXXX")).string();
  char* made = ::mkdtemp(pattern.data());
  EXPECT_NE(made, nullptr);
  return pattern;
}

TEST(Run, GtestLeakFailsWithStack) {
  auto result = run_command(stray_run({"--grace", "100ms"},
                                      {target_path("run_gtest_leak"), "--gtest_filter=Worker.LeaksDetachedWaiter"}));
  EXPECT_EQ(result.exit_code(), 1) << result.err;
  EXPECT_NE(result.out.find("[  PASSED  ] 1 test"), std::string::npos) << result.out;
  EXPECT_NE(result.err.find("began to exit"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("started by: (anonymous namespace)::wait_for_shutdown"), std::string::npos)
      << result.err;
  EXPECT_NE(result.err.find(marked_line("run_gtest_leak.cpp", "parked here")), std::string::npos)
      << result.err;
  EXPECT_NE(result.err.find("[condvar]"), std::string::npos) << result.err;
  // The exiting main thread is not judged, and no rule excused a thread.
  EXPECT_NE(result.err.find("\nexpected: none\n"), std::string::npos) << result.err;
}

TEST(Run, GtestJoinedThreadPasses) {
  auto result = run_command(stray_run({}, {target_path("run_gtest_leak"), "--gtest_filter=Worker.JoinsItsThread"}));
  EXPECT_EQ(result.exit_code(), 0) << result.err;
  EXPECT_EQ(result.err.find("stray run:"), std::string::npos) << result.err;
}

TEST(Run, RulesExcuseLeak) {
  std::string directory = temporary_directory("stray-run-rules");
  std::string rules = directory + "/expected.rules";
  std::ofstream(rules) << "start:*park_forever_on_condition*\n";
  auto result = run_command(stray_run({"--rules", rules}, {target_path("run_exits"), "leak"}));
  EXPECT_EQ(result.exit_code(), 0) << result.err;
  std::filesystem::remove_all(directory);
}

TEST(Run, ErrorExitcodeChoosesCode) {
  auto result = run_command(stray_run({"--grace", "0ms", "--error-exitcode", "99"},
                                      {target_path("run_exits"), "leak"}));
  EXPECT_EQ(result.exit_code(), 99) << result.err;
  EXPECT_NE(result.err.find("park_forever_on_condition"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find(marked_line("run_exits.cpp", "leaked thread parks here")), std::string::npos)
      << result.err;
}

// The main thread is a zombie when another thread calls exit, so the
// memory and files of the process are reached through a live thread.
TEST(Run, LeakAfterMainThreadExitedHasStack) {
  for (std::string option : {"--follow-forks", "--catch-faults"}) {
    auto result = run_command(stray_run({option, "--grace", "0ms"}, {target_path("run_exits"), "main-exits-leak"}));
    EXPECT_EQ(result.exit_code(), 1) << option << "\n" << result.err;
    EXPECT_NE(result.err.find(marked_line("run_exits.cpp", "leaked thread parks here")), std::string::npos)
        << option << "\n" << result.err;
    EXPECT_EQ(result.err.find("partial"), std::string::npos) << option << "\n" << result.err;
    // No main thread is left to excuse, and no rule excused a thread.
    EXPECT_NE(result.err.find("expected: none\n"), std::string::npos) << option << "\n" << result.err;
  }
}

// Alone, the worker's exit(3) ends the process before main returns. Under
// stray the worker waits in exit_group while the grace period waits for a
// second worker, and main runs on into its own exit_group(0), which must
// not win.
TEST(Run, FirstExitGroupStatusWins) {
  for (std::string option : {"--grace=500ms", "--catch-faults", "--follow-forks"}) {
    for (int round = 0; round < 3; ++round) {
      auto result = run_command(stray_run({option}, {target_path("run_exits"), "worker-exit", "3"}));
      EXPECT_EQ(result.exit_code(), 3) << option << " round " << round << "\n" << result.err;
    }
  }
}

TEST(Run, TimeoutReportsStacksAndExits124) {
  auto started = std::chrono::steady_clock::now();
  auto result = run_command(stray_run({"--timeout", "300ms"}, {target_path("run_exits"), "hang"}));
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
  EXPECT_EQ(result.exit_code(), 124) << result.err;
  EXPECT_NE(result.err.find("was still running at the 300.00 ms timeout"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find(marked_line("run_exits.cpp", "leaked thread parks here")), std::string::npos)
      << result.err;
  EXPECT_NE(result.err.find("[join]"), std::string::npos) << result.err;
}

// SIGKILL follows SIGTERM after kTimeoutKillAfter (2 s).
TEST(Run, TimeoutKillsCommandIgnoringSigterm) {
  auto started = std::chrono::steady_clock::now();
  auto result = run_command(stray_run({"--timeout", "100ms"}, {target_path("run_exits"), "hang-ignoring-term"}));
  auto took = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(result.exit_code(), 124) << result.err;
  EXPECT_GE(took, std::chrono::seconds(2));
  EXPECT_LT(took, std::chrono::seconds(8));
}

// The command ends at SIGTERM, but a process it started ignores SIGTERM.
// That process still gets SIGKILL 2 s later, before stray exits.
TEST(Run, TimeoutKillsChildIgnoringSigterm) {
  std::string directory = temporary_directory("stray-run-timeout");
  std::string pid_file = directory + "/child.pid";
  std::string exits = "'" + target_path("run_exits") + "'";
  std::string script = exits + " hang-ignoring-term & echo $! > '" + pid_file + "'; exec " + exits + " hang";
  auto started = std::chrono::steady_clock::now();
  auto result = run_command(stray_run({"--timeout", "300ms"}, {"/bin/sh", "-c", script}), std::chrono::seconds(15));
  auto took = std::chrono::steady_clock::now() - started;

  int child = 0;
  std::ifstream(pid_file) >> child;
  ASSERT_GT(child, 0) << result.err;
  std::string cmdline;
  std::ifstream(std::string("/proc/") + std::to_string(child) + "/cmdline") >> cmdline;
  bool child_runs = cmdline.find("run_exits") != std::string::npos;
  if (child_runs) ::kill(child, SIGKILL);
  std::filesystem::remove_all(directory);

  EXPECT_EQ(result.exit_code(), 124) << result.err;
  EXPECT_FALSE(child_runs) << "pid " << child << " ignoring SIGTERM outlived stray";
  EXPECT_GE(took, std::chrono::seconds(2));
  EXPECT_LT(took, std::chrono::seconds(8));
}

// A shell that runs the test in a child: both processes are reported.
TEST(Run, TimeoutReportsEveryProcessOfTheTree) {
  std::string test = "'" + target_path("run_exits") + "' hang; true";
  auto result = run_command(stray_run({"--timeout", "300ms"}, {"/bin/sh", "-c", test}));
  EXPECT_EQ(result.exit_code(), 124) << result.err;
  EXPECT_NE(result.err.find("(child of pid "), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("park_forever_on_condition"), std::string::npos) << result.err;
}

// A child's check keeps it in exit_group for a long grace period while the
// command hangs. The timeout must not wait for that grace period to end.
TEST(Run, TimeoutNotDelayedByChildGrace) {
  std::string exits = "'" + target_path("run_exits") + "'";
  std::string script = exits + " leak & exec " + exits + " hang";
  auto started = std::chrono::steady_clock::now();
  auto result = run_command(stray_run({"--follow-forks", "--grace", "15s", "--timeout", "1s"},
                                      {"/bin/sh", "-c", script}),
                            std::chrono::seconds(30));
  EXPECT_EQ(result.exit_code(), 124) << result.err;
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(8)) << result.err;
}

TEST(Run, TimeoutNotReachedChangesNothing) {
  auto result = run_command(stray_run({"--timeout", "10s"}, {target_path("run_exits"), "code", "3"}));
  EXPECT_EQ(result.exit_code(), 3) << result.err;
  EXPECT_EQ(result.err, "");
}

// Once the first exit_group is let go, the process is ending: a second
// thread's exit_group must not start a check, whose freeze would seize
// dying threads that never stop and keep stray waiting for ever.
TEST(Run, ConcurrentExitsEndCleanly) {
  for (std::string option : {"--grace=200ms", "--catch-faults", "--follow-forks"}) {
    for (int round = 0; round < 4; ++round) {
      auto result = run_command(stray_run({option}, {target_path("run_exits"), "workers-exit"}),
                                std::chrono::seconds(20));
      EXPECT_GE(result.exit_code(), 10) << option << " round " << round << "\n" << result.err;
      EXPECT_LE(result.exit_code(), 17) << option << " round " << round << "\n" << result.err;
    }
  }
}

// A vfork parent never stops for the freeze, so stray stays its tracer.
// When the exit kills it, stray reaps it and then the command, and a
// second SIGCHLD must not erase the command's status and leave stray
// waiting for a child it has already reaped.
TEST(Run, VforkParentAtExitEndsCleanly) {
  for (std::string option : {"--grace=100ms", "--follow-forks"}) {
    auto started = std::chrono::steady_clock::now();
    auto result = run_command(stray_run({option}, {target_path("run_exits"), "vfork-leak"}),
                              std::chrono::seconds(20));
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(10)) << option;
    EXPECT_EQ(result.exit_code(), 1) << option << "\n" << result.err;
    EXPECT_NE(result.err.find("[uninterruptible]"), std::string::npos) << option << "\n" << result.err;
  }
}

TEST(Run, StaticDestructorJoinPasses) {
  auto result = run_command(stray_run({}, {target_path("run_exits"), "static-join"}));
  EXPECT_EQ(result.exit_code(), 0) << result.err;
}

TEST(Run, ThreadFinishingInGracePasses) {
  auto result = run_command(stray_run({"--grace", "5s"}, {target_path("run_exits"), "finish-late", "300"}));
  EXPECT_EQ(result.exit_code(), 0) << result.err;
}

// The child's exit comes while the command's own exit is checked. If stray
// let it go only after the check, the waiting thread would stay a
// survivor for the whole grace period.
TEST(Run, ChildExitDuringGraceLetGo) {
  auto started = std::chrono::steady_clock::now();
  auto result = run_command(stray_run({"--grace", "10s"}, {target_path("run_exits"), "waits-for-child"}));
  EXPECT_EQ(result.exit_code(), 0) << result.err;
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5)) << result.err;
}

// The command dies of SIGSEGV while its child's exit is checked. The
// check still waits between re-checks: spinning, it froze the child
// thousands of times in 1 s instead of about ten.
TEST(Run, ChildCheckWaitsAfterCommandDied) {
  auto result = run_command(stray_run({"--follow-forks", "--grace", "1s"},
                                      {target_path("run_exits"), "child-leak-segv"}));
  EXPECT_EQ(result.exit_code(), 128 + SIGSEGV) << result.err;
  const std::string marker = " re-checks";
  std::size_t end = result.err.find(marker);
  ASSERT_NE(end, std::string::npos) << result.err;
  std::size_t start = result.err.rfind(' ', end - 1) + 1;
  int rechecks = std::stoi(result.err.substr(start, end - start));
  EXPECT_GT(rechecks, 0) << result.err;
  EXPECT_LT(rechecks, 30) << result.err;
}

TEST(Run, ThreadOutlivingGraceFails) {
  auto result = run_command(stray_run({"--grace", "0ms"}, {target_path("run_exits"), "finish-late", "3000"}));
  EXPECT_EQ(result.exit_code(), 1) << result.err;
  EXPECT_NE(result.err.find("sleep_then_return"), std::string::npos) << result.err;
}

TEST(Run, SuccessStatusReproduced) {
  auto result = run_command(stray_run({}, {target_path("run_exits"), "clean"}));
  EXPECT_TRUE(WIFEXITED(result.status));
  EXPECT_EQ(result.exit_code(), 0) << result.err;
}

TEST(Run, FailureCodeReproduced) {
  auto failed = run_command(stray_run({}, {target_path("run_exits"), "code", "3"}));
  EXPECT_TRUE(WIFEXITED(failed.status));
  EXPECT_EQ(failed.exit_code(), 3) << failed.err;
}

TEST(Run, AbortReportedAndReproduced) {
  auto result = run_command(stray_run({}, {target_path("run_exits"), "abort"}));
  ASSERT_TRUE(WIFSIGNALED(result.status)) << result.err;
  EXPECT_EQ(WTERMSIG(result.status), SIGABRT);
  EXPECT_FALSE(WCOREDUMP(result.status));
  EXPECT_NE(result.err.find("sent itself SIGABRT"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("abort"), std::string::npos) << result.err;
}

TEST(Run, JsonForLoneThread) {
  auto result = run_command(stray_run({"--json"}, {target_path("run_exits"), "clean"}));
  EXPECT_EQ(result.exit_code(), 0) << result.err;
  auto document = nlohmann::json::parse(result.err, nullptr, false);
  ASSERT_FALSE(document.is_discarded()) << result.err;
  ASSERT_EQ(document["processes"].size(), 1u) << result.err;
  EXPECT_EQ(document["processes"][0]["event"], "exit");
  const auto& check = document["processes"][0]["check"];
  EXPECT_EQ(check["check"]["survivors"], 0);
  EXPECT_EQ(check["comm"], "run_exits");
  EXPECT_GT(check["check"]["duration_ns"].get<long long>(), 0);
  EXPECT_GT(check["total_duration_ns"].get<long long>(), 0);
}

// The second exit_group waits in the filter too, so it is no survivor, and
// the process ends during the check: stray must still get the exit status
// that its freeze collected as the tracer, or it waits forever.
TEST(Run, SecondExitDuringCheckEndsCleanly) {
  for (const char* option : {"--follow-forks", "--catch-faults"}) {
    auto result = run_command(stray_run({option, "--grace", "1s"}, {target_path("run_exits"), "exit-late"}),
                              std::chrono::seconds(20));
    EXPECT_EQ(result.exit_code(), 0) << option << "\n" << result.err;
    EXPECT_EQ(result.err.find("unexpected"), std::string::npos) << option << "\n" << result.err;
    EXPECT_EQ(result.err.find("not inspected"), std::string::npos) << option << "\n" << result.err;
  }
}

TEST(Run, BlockedSelfSignalNotReported) {
  auto result = run_command(stray_run({}, {target_path("run_exits"), "blocked-raise"}));
  EXPECT_EQ(result.exit_code(), 0) << result.err;
  EXPECT_EQ(result.err.find("sent itself"), std::string::npos) << result.err;
}

// kill(0, ...) from the command also reaches stray, which shares its
// process group; relaying it would deliver it twice. setsid keeps the
// signal away from this test process.
TEST(Run, GroupSignalNotRelayedTwice) {
  auto result = run_command({"setsid", "--wait", STRAY_BINARY, "run", "--", target_path("run_exits"),
                             "signal-group"});
  EXPECT_EQ(result.exit_code(), 0) << result.out << result.err;
  EXPECT_NE(result.out.find("usr1 1"), std::string::npos) << result.out;
}

TEST(Run, ReportFileNotInherited) {
  std::string directory = temporary_directory("stray-run-report");
  std::string report = directory + "/report.txt";
  auto result = run_command(stray_run({"--report", report},
                                      {"/bin/sh", "-c", "for fd in /proc/$$/fd/*; do readlink \"$fd\" || true; done"}));
  EXPECT_EQ(result.exit_code(), 0) << result.err;
  EXPECT_EQ(result.out.find("report.txt"), std::string::npos) << result.out;
  std::filesystem::remove_all(directory);
}

TEST(Run, ReportWriteFailureExitsSix) {
  for (const char* format : {"--addresses", "--json", "--gen-rules"}) {
    auto result = run_command(stray_run({"--grace", "0ms", "--report", "/dev/full", format},
                                        {target_path("run_exits"), "leak"}));
    EXPECT_EQ(result.exit_code(), 6) << format << "\n" << result.err;
    EXPECT_NE(result.err.find("stray: writing report file /dev/full failed: No space left on device"),
              std::string::npos)
        << format << "\n" << result.err;
  }

  // On standard error the message is lost too, but the exit code shows the failure.
  auto on_stderr = run_command({"/bin/sh", "-c", "exec \"$0\" run --grace 0ms -- \"$1\" leak 2> /dev/full",
                                STRAY_BINARY, target_path("run_exits")});
  EXPECT_EQ(on_stderr.exit_code(), 6);
}

TEST(Run, FailedCommandKeepsCodeWhenReportLost) {
  auto result =
      run_command(stray_run({"--json", "--report", "/dev/full"}, {target_path("run_exits"), "code", "3"}));
  EXPECT_EQ(result.exit_code(), 3) << result.err;
  EXPECT_NE(result.err.find("stray: writing report file /dev/full failed"), std::string::npos) << result.err;
}

TEST(Run, SegvReproducedWithoutStacks) {
  auto result = run_command(stray_run({}, {target_path("run_exits"), "segv"}));
  ASSERT_TRUE(WIFSIGNALED(result.status)) << result.err;
  EXPECT_EQ(WTERMSIG(result.status), SIGSEGV);
  EXPECT_FALSE(WCOREDUMP(result.status));
  EXPECT_NE(result.err.find("killed by SIGSEGV; no stacks were taken"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("rerun with --catch-faults"), std::string::npos) << result.err;
}

TEST(Run, StdinPipedThrough) {
  std::string command = "printf 'line one\\nline two\\n' | '" + std::string(STRAY_BINARY) + "' run -- '" +
                        target_path("run_exits") + "' echo-stdin";
  auto result = run_command({"/bin/sh", "-c", command});
  EXPECT_EQ(result.exit_code(), 0) << result.err;
  EXPECT_EQ(result.out, "line one\nline two\n");
}

TEST(Run, ChildrenUnaffected) {
  auto result = run_command(stray_run({}, {target_path("run_exits"), "children"}));
  EXPECT_EQ(result.exit_code(), 0) << result.err;
  EXPECT_NE(result.out.find("from-shell"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("shell status 0"), std::string::npos) << result.out;
  EXPECT_EQ(result.err.find("park_forever_on_condition"), std::string::npos) << result.err;
}

// On kernels booted with spec_store_bypass_disable=seccomp or
// spectre_v2_user=seccomp, a filter without SECCOMP_FILTER_FLAG_SPEC_ALLOW
// would force those mitigations on the command. Elsewhere both lines read
// the same either way.
TEST(Run, SpeculationMitigationsUnchanged) {
  std::vector<std::string> grep = {"/bin/grep", "^Speculation", "/proc/self/status"};
  auto alone = run_command(grep);
  ASSERT_EQ(alone.exit_code(), 0) << alone.err;
  auto under = run_command(stray_run({}, grep));
  EXPECT_EQ(under.exit_code(), 0) << under.err;
  EXPECT_EQ(under.out, alone.out);
}

// dash forks the last command of `sh -c` instead of exec'ing it, so the
// leak is in a child that exits unjudged. The run must not pass silently.
TEST(Run, ShellWrapperGetsFollowForksNote) {
  std::string test = "'" + target_path("run_exits") + "' leak; true";
  auto wrapped = run_command(stray_run({"--grace", "0ms"}, {"/bin/sh", "-c", test}));
  EXPECT_EQ(wrapped.exit_code(), 0) << wrapped.err;
  EXPECT_NE(wrapped.err.find("use --follow-forks"), std::string::npos) << wrapped.err;

  auto followed = run_command(stray_run({"--grace", "0ms", "--follow-forks"}, {"/bin/sh", "-c", test}));
  EXPECT_EQ(followed.exit_code(), 1) << followed.err;
  EXPECT_EQ(followed.err.find("use --follow-forks"), std::string::npos) << followed.err;

  auto childless = run_command(stray_run({}, {target_path("run_exits"), "static-join"}));
  EXPECT_EQ(childless.exit_code(), 0) << childless.err;
  EXPECT_EQ(childless.err.find("use --follow-forks"), std::string::npos) << childless.err;
}

TEST(Run, FollowForksJudgesChild) {
  auto result = run_command(stray_run({"--follow-forks", "--grace", "0ms"}, {target_path("run_exits"), "children"}));
  EXPECT_EQ(result.exit_code(), 1) << result.err;
  EXPECT_NE(result.out.find("from-shell"), std::string::npos) << result.out;
  auto at = result.out.find("child ");
  ASSERT_NE(at, std::string::npos) << result.out;
  std::string child = result.out.substr(at + 6, result.out.find(' ', at + 6) - at - 6);
  EXPECT_NE(result.err.find("pid " + child + " (child of pid "), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("park_forever_on_condition"), std::string::npos) << result.err;
}

// Under --follow-forks the shell and the other clean processes report too,
// but only the one with a survivor gets rules.
TEST(Run, FollowForksGenRulesOnlyForSurvivors) {
  auto result = run_command(
      stray_run({"--follow-forks", "--grace", "0ms", "--gen-rules"}, {target_path("run_exits"), "children"}));
  EXPECT_EQ(result.exit_code(), 0) << result.err;  // with --gen-rules, the rules are the result
  std::size_t headers = 0;
  for (std::size_t at = result.err.find("# stray run:"); at != std::string::npos;
       at = result.err.find("# stray run:", at + 1)) {
    ++headers;
  }
  EXPECT_EQ(headers, 1u) << result.err;
  EXPECT_NE(result.err.find("park_forever_on_condition"), std::string::npos) << result.err;
}

TEST(Run, JsonReportHasEveryProcess) {
  std::string directory = temporary_directory("stray-run-json");
  std::string report = directory + "/report.json";
  auto result = run_command(stray_run({"--json", "--report", report, "--grace", "0ms"},
                                      {target_path("run_exits"), "leak"}));
  EXPECT_EQ(result.exit_code(), 1) << result.err;
  std::ifstream in(report);
  auto json = nlohmann::json::parse(in, nullptr, false);
  ASSERT_FALSE(json.is_discarded());
  EXPECT_EQ(json["schema"], "stray.run");
  EXPECT_EQ(json["status"]["exit_code"], 0);
  ASSERT_EQ(json["processes"].size(), 1u);
  EXPECT_EQ(json["processes"][0]["event"], "exit");
  EXPECT_TRUE(json["processes"][0]["check"].is_object());
  std::filesystem::remove_all(directory);
}

TEST(Run, MissingCommandExits127) {
  auto result = run_command(stray_run({}, {"/nonexistent/stray-test-command"}));
  EXPECT_EQ(result.exit_code(), 127);
  EXPECT_NE(result.err.find("cannot run /nonexistent/stray-test-command"), std::string::npos) << result.err;
}

// With --gen-rules the rules are the result: survivors no longer fail the
// run, but the command's own failure still does.
TEST(Run, GenRulesExitCodes) {
  auto passing = run_command(stray_run({"--grace", "0ms", "--gen-rules"}, {target_path("run_exits"), "leak"}));
  EXPECT_EQ(passing.exit_code(), 0) << passing.err;
  EXPECT_NE(passing.err.find("# stray run: 1 rule for the unexpected survivors of pid "), std::string::npos)
      << passing.err;
  EXPECT_EQ(passing.err.find("# stray check:"), std::string::npos) << passing.err;
  EXPECT_NE(passing.err.find("start:\"(anonymous namespace)::park_forever_on_condition\""), std::string::npos)
      << passing.err;

  auto failing =
      run_command(stray_run({"--grace", "0ms", "--gen-rules"}, {target_path("run_exits"), "leak-code", "3"}));
  EXPECT_EQ(failing.exit_code(), 3) << failing.err;
  EXPECT_NE(failing.err.find("start:\"(anonymous namespace)::park_forever_on_condition\""), std::string::npos)
      << failing.err;

  auto with_exit_code = run_command(
      stray_run({"--gen-rules", "--error-exitcode", "9"}, {target_path("run_exits"), "leak"}));
  EXPECT_EQ(with_exit_code.exit_code(), 2) << with_exit_code.err;
  EXPECT_NE(with_exit_code.err.find("--gen-rules excludes --error-exitcode"), std::string::npos)
      << with_exit_code.err;
}

// Without "--", the command's own options reach stray's parser.
TEST(Run, MissingDoubleDashNamesFix) {
  auto result = run_command({STRAY_BINARY, "run", target_path("run_gtest_leak"),
                             "--gtest_filter=Worker.JoinsItsThread"});
  EXPECT_EQ(result.exit_code(), 2) << result.err;
  EXPECT_NE(result.err.find("unexpected argument '--gtest_filter=Worker.JoinsItsThread'"), std::string::npos)
      << result.err;
  EXPECT_NE(result.err.find("put -- before the command"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("stray run [OPTIONS] -- COMMAND [ARGS...]"), std::string::npos) << result.err;
  EXPECT_EQ(result.out, "") << "the command must not start";
}

// Starts `stray run -- run_exits wait-signal` with its stdout on a pipe and
// kills it on destruction. With `own_process_group`, stray leads a process
// group of its own, as a shell job does, and its stderr goes to the pipe too.
class WaitingCommand {
 public:
  explicit WaitingCommand(std::vector<std::string> options = {}, const std::string& mode = "wait-signal",
                          bool own_process_group = false) {
    int out[2];
    if (::pipe2(out, O_CLOEXEC) != 0) return;
    std::vector<std::string> argv = stray_run(std::move(options), {target_path("run_exits"), mode});
    pid_ = ::fork();
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      ::dup2(out[1], STDOUT_FILENO);
      if (own_process_group) {
        ::setpgid(0, 0);
        ::signal(SIGINT, SIG_DFL);
        ::dup2(out[1], STDERR_FILENO);
      }
      std::vector<char*> args;
      for (auto& arg : argv) args.push_back(arg.data());
      args.push_back(nullptr);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
    ::close(out[1]);
    out_ = out[0];
  }
  ~WaitingCommand() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (out_ >= 0) ::close(out_);
  }

  int pid() const { return pid_; }

  // The command stray started, from /proc/PID/task/PID/children; 0 if none.
  int command_pid() const {
    std::ifstream children("/proc/" + std::to_string(pid_) + "/task/" + std::to_string(pid_) + "/children");
    int child = 0;
    children >> child;
    return child;
  }

  // Everything written to the pipe until every writer closed it.
  std::string read_all() {
    std::string text;
    char chunk[4096];
    ssize_t got = 0;
    while ((got = ::read(out_, chunk, sizeof chunk)) > 0) text.append(chunk, static_cast<size_t>(got));
    return text;
  }

  bool wait_for_line(const std::string& expected) {
    std::string text;
    char chunk[256];
    for (int attempt = 0; attempt < 100 && text.find(expected) == std::string::npos; ++attempt) {
      pollfd entry{out_, POLLIN, 0};
      if (::poll(&entry, 1, 100) <= 0) continue;
      ssize_t got = ::read(out_, chunk, sizeof chunk);
      if (got <= 0) return false;
      text.append(chunk, static_cast<size_t>(got));
    }
    return text.find(expected) != std::string::npos;
  }

  // The wait status, or -1 after 10 s.
  int wait_for_exit() {
    for (int attempt = 0; attempt < 1000; ++attempt) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = 0;
        return status;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return -1;
  }

 private:
  pid_t pid_ = -1;
  int out_ = -1;
};

TEST(Run, SigtermForwardedToCommand) {
  WaitingCommand command;
  ASSERT_GT(command.pid(), 0);
  ASSERT_TRUE(command.wait_for_line("waiting"));
  ASSERT_EQ(::kill(command.pid(), SIGTERM), 0);
  int status = command.wait_for_exit();
  ASSERT_NE(status, -1) << "stray run did not exit after SIGTERM";
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGTERM);
}

// Starts `stray run -- run_exits MODE` as the session leader of a new
// pseudo-terminal, so that a Ctrl-C written to the terminal reaches its
// foreground process group as the kernel's SIGINT. Kills stray on
// destruction.
class TerminalCommand {
 public:
  explicit TerminalCommand(const std::string& mode) {
    master_ = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master_ < 0 || ::grantpt(master_) != 0 || ::unlockpt(master_) != 0) return;
    std::string terminal = ::ptsname(master_);
    std::vector<std::string> argv = stray_run({}, {target_path("run_exits"), mode});
    pid_ = ::fork();
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      ::setsid();
      int terminal_fd = ::open(terminal.c_str(), O_RDWR);  // becomes the controlling terminal
      if (terminal_fd < 0) ::_exit(126);
      for (int fd = 0; fd <= 2; ++fd) ::dup2(terminal_fd, fd);
      std::vector<char*> args;
      for (auto& arg : argv) args.push_back(arg.data());
      args.push_back(nullptr);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
  }
  ~TerminalCommand() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (master_ >= 0) ::close(master_);
  }

  int pid() const { return pid_; }

  bool wait_for_output(const std::string& expected) {
    for (int attempt = 0; attempt < 100 && output_.find(expected) == std::string::npos; ++attempt) {
      read_output(100);
    }
    return output_.find(expected) != std::string::npos;
  }

  bool send_keys(const std::string& keys) {
    return ::write(master_, keys.data(), keys.size()) == static_cast<ssize_t>(keys.size());
  }

  // The wait status, or -1 after 10 s. Reads the terminal meanwhile, so
  // that stray never blocks on a full one. Once stray has closed the
  // terminal, poll returns at once, so each round also sleeps.
  int wait_for_exit() {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = 0;
        return status;
      }
      read_output(10);
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return -1;
  }

  const std::string& output() const { return output_; }

 private:
  void read_output(int timeout_ms) {
    pollfd entry{master_, POLLIN, 0};
    if (::poll(&entry, 1, timeout_ms) <= 0) return;
    char chunk[256];
    ssize_t got = ::read(master_, chunk, sizeof chunk);
    if (got > 0) output_.append(chunk, static_cast<size_t>(got));
  }

  pid_t pid_ = -1;
  int master_ = -1;
  std::string output_;
};

// The terminal sends Ctrl-C's SIGINT to stray's process group. A command
// that moved to a group of its own does not get it, so stray relays it.
TEST(Run, CtrlCReachesCommandInOwnGroup) {
  TerminalCommand command("own-group");
  ASSERT_GT(command.pid(), 0);
  ASSERT_TRUE(command.wait_for_output("waiting")) << command.output();
  ASSERT_TRUE(command.send_keys("\x03"));
  int status = command.wait_for_exit();
  ASSERT_NE(status, -1) << "stray run did not exit after Ctrl-C\n" << command.output();
  ASSERT_TRUE(WIFSIGNALED(status)) << command.output();
  EXPECT_EQ(WTERMSIG(status), SIGINT) << command.output();
}

// The first field of /proc/PID/syscall: the number of the system call the
// main thread is in, or -1.
long current_syscall(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/syscall");
  long number = -1;
  in >> number;
  return number;
}

// Waits up to 5 s for the command to start, then up to 5 s for its main
// thread to be held in exit_group. Returns whether it is.
bool wait_for_held_exit(const WaitingCommand& command) {
  int command_pid = 0;
  for (int attempt = 0; attempt < 500 && command_pid == 0; ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    command_pid = command.command_pid();
  }
  if (command_pid == 0) return false;
  for (int attempt = 0; attempt < 500; ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    if (current_syscall(command_pid) == SYS_exit_group) return true;
  }
  return false;
}

// Waits until the command is held in exit_group, then 1 s more, far longer
// than the first snapshot of its check takes, so that the grace period has
// begun. Returns false when the command never reached exit_group.
bool wait_for_grace_period(const WaitingCommand& command) {
  if (!wait_for_held_exit(command)) return false;
  std::this_thread::sleep_for(std::chrono::seconds(1));
  return true;
}

// Alone, the command would have exited before the signal came: the signal
// must neither replace its exit status nor wait out a long grace period.
TEST(Run, SigtermDuringExitCheckEndsGrace) {
  WaitingCommand command({"--grace", "20s"}, "leak");
  ASSERT_GT(command.pid(), 0);
  ASSERT_TRUE(wait_for_held_exit(command)) << "the command never reached exit_group";
  auto signalled = std::chrono::steady_clock::now();
  ASSERT_EQ(::kill(command.pid(), SIGTERM), 0);
  int status = command.wait_for_exit();
  ASSERT_NE(status, -1) << "stray run did not exit after SIGTERM";
  EXPECT_LT(std::chrono::steady_clock::now() - signalled, std::chrono::seconds(5));
  ASSERT_TRUE(WIFEXITED(status)) << "status " << status;
  EXPECT_EQ(WEXITSTATUS(status), 1);
}

// A command killed while held in exit_group ends the grace period. The
// report shows the survivor as last seen alive, and stray ends with the
// command's signal.
TEST(Run, CommandKilledDuringGraceKeepsReport) {
  WaitingCommand command({"--grace", "20s"}, "leak", true);
  ASSERT_GT(command.pid(), 0);
  ASSERT_TRUE(wait_for_grace_period(command)) << "the command never reached exit_group";
  auto signalled = std::chrono::steady_clock::now();
  ASSERT_EQ(::kill(command.command_pid(), SIGINT), 0);
  int status = command.wait_for_exit();
  ASSERT_NE(status, -1) << "stray run did not exit after the command was killed";
  EXPECT_LT(std::chrono::steady_clock::now() - signalled, std::chrono::seconds(5));
  ASSERT_TRUE(WIFSIGNALED(status)) << "status " << status;
  EXPECT_EQ(WTERMSIG(status), SIGINT);

  const std::string output = command.read_all();
  EXPECT_NE(output.find("1 unexpected survivor"), std::string::npos) << output;
  EXPECT_NE(output.find("the process ended during the grace period"), std::string::npos) << output;
  EXPECT_NE(output.find("park_forever_on_condition"), std::string::npos) << output;
}

// Ctrl-C signals the whole process group: stray and the command both get
// SIGINT, in either order. Either way the survivor is reported.
TEST(Run, GroupSigintDuringGraceKeepsReport) {
  WaitingCommand command({"--grace", "20s"}, "leak", true);
  ASSERT_GT(command.pid(), 0);
  ASSERT_TRUE(wait_for_grace_period(command)) << "the command never reached exit_group";
  ASSERT_EQ(::kill(-command.pid(), SIGINT), 0);
  int status = command.wait_for_exit();
  ASSERT_NE(status, -1) << "stray run did not exit after SIGINT to its process group";
  ASSERT_TRUE(WIFSIGNALED(status)) << "status " << status;
  EXPECT_EQ(WTERMSIG(status), SIGINT);

  const std::string output = command.read_all();
  EXPECT_NE(output.find("1 unexpected survivor"), std::string::npos) << output;
  EXPECT_NE(output.find("park_forever_on_condition"), std::string::npos) << output;
}

// The state letter of /proc/PID/stat, or '?' when the process is gone.
char process_state(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::size_t paren = stat.rfind(')');
  return paren == std::string::npos || paren + 2 >= stat.size() ? '?' : stat[paren + 2];
}

// Polls for up to 5 s until the state of `pid` satisfies `wanted`.
template <typename Predicate>
bool wait_for_state(int pid, Predicate wanted) {
  for (int attempt = 0; attempt < 500; ++attempt) {
    if (wanted(process_state(pid))) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

TEST(RunCatchFaults, SegvInThreadReportedWithEveryStack) {
  auto result = run_command(stray_run({"--catch-faults"}, {target_path("run_exits"), "segv-thread"}));
  ASSERT_TRUE(WIFSIGNALED(result.status)) << result.err;
  EXPECT_EQ(WTERMSIG(result.status), SIGSEGV);
  EXPECT_FALSE(WCOREDUMP(result.status));
  EXPECT_NE(result.err.find("faulted with SIGSEGV at address 0x0; every thread at that moment"),
            std::string::npos)
      << result.err;
  EXPECT_NE(result.err.find(marked_line("run_exits.cpp", "worker faults here")), std::string::npos)
      << result.err;
  // Its own stop is stray's; untraced, the thread was running.
  EXPECT_NE(result.err.find("1 thread [running]"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find(marked_line("run_exits.cpp", "leaked thread parks here")), std::string::npos)
      << result.err;
  EXPECT_EQ(result.err.find("no stacks were taken"), std::string::npos) << result.err;
}

// The overflow leaves the stack pointer in the guard page below the
// thread's stack; the frames are in the mapping above it.
TEST(RunCatchFaults, ThreadStackOverflowUnwinds) {
  auto result = run_command(stray_run({"--catch-faults"}, {target_path("run_exits"), "overflow-thread"}));
  ASSERT_TRUE(WIFSIGNALED(result.status)) << result.err;
  EXPECT_EQ(WTERMSIG(result.status), SIGSEGV);
  EXPECT_NE(result.err.find("faulted with SIGSEGV"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find(marked_line("run_exits.cpp", "recursion overflows here")), std::string::npos)
      << result.err.substr(0, 4000);
  EXPECT_EQ(result.err.find("stack copy stopped"), std::string::npos) << result.err.substr(0, 4000);
}

// The pc is 0, so the walk resumes from the return address at sp.
TEST(RunCatchFaults, NullFunctionCallShowsCaller) {
  auto result = run_command(stray_run({"--catch-faults"}, {target_path("run_exits"), "null-call"}));
  ASSERT_TRUE(WIFSIGNALED(result.status)) << result.err;
  EXPECT_EQ(WTERMSIG(result.status), SIGSEGV);
  EXPECT_NE(result.err.find("faulted with SIGSEGV at address 0x0"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("[guessed from sp]"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find(marked_line("run_exits.cpp", "calls a null function pointer")), std::string::npos)
      << result.err;
  EXPECT_NE(result.err.find("main (run_exits.cpp"), std::string::npos) << result.err;
}

TEST(RunCatchFaults, SegvInJsonHasFaultAddress) {
  auto result = run_command(stray_run({"--catch-faults", "--json"}, {target_path("run_exits"), "segv"}));
  ASSERT_TRUE(WIFSIGNALED(result.status)) << result.err;
  auto document = nlohmann::json::parse(result.err);
  ASSERT_EQ(document["processes"].size(), 1u) << result.err;
  const auto& process = document["processes"][0];
  EXPECT_EQ(process["event"], "fatal_signal");
  EXPECT_EQ(process["signal"], "SIGSEGV");
  EXPECT_EQ(process["fault_address"], "0x0");
  EXPECT_FALSE(process.contains("sender_pid"));
  EXPECT_EQ(document["status"]["signal"], "SIGSEGV");
}

TEST(RunCatchFaults, HandledSignalsPassThroughUnreported) {
  auto result = run_command(stray_run({"--catch-faults"}, {target_path("run_exits"), "handled-signals"}));
  EXPECT_EQ(result.exit_code(), 0) << result.out << result.err;
  EXPECT_NE(result.out.find("usr1 3 recovered 1 child 1792 threads 64"), std::string::npos) << result.out;
  EXPECT_EQ(result.err.find("stray run:"), std::string::npos) << result.err;
}

TEST(RunCatchFaults, AbortReportedOnce) {
  auto result = run_command(stray_run({"--catch-faults"}, {target_path("run_exits"), "abort"}));
  ASSERT_TRUE(WIFSIGNALED(result.status)) << result.err;
  EXPECT_EQ(WTERMSIG(result.status), SIGABRT);
  std::size_t first = result.err.find("sent itself SIGABRT");
  ASSERT_NE(first, std::string::npos) << result.err;
  EXPECT_EQ(result.err.find("every thread at that moment", first + 1),
            result.err.rfind("every thread at that moment"))
      << result.err;
}

// Even its tracer needs CAP_SYS_PTRACE to read a process that is not
// dumpable, so the error names that cause and not stray as a tracer.
TEST(RunCatchFaults, NotDumpableNamedAsCause) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to switch to an unprivileged user";
  // setpriv comes with util-linux; uid 65534 is Debian's unprivileged user "nobody".
  std::vector<std::string> argv = {"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                                   "--inh-caps=-all"};
  auto run = stray_run({"--catch-faults", "--grace", "0ms"}, {target_path("run_exits"), "not-dumpable-leak"});
  argv.insert(argv.end(), run.begin(), run.end());
  auto result = run_command(argv);
  EXPECT_EQ(result.exit_code(), 6) << result.err;
  EXPECT_NE(result.err.find("not dumpable"), std::string::npos) << result.err;
  EXPECT_EQ(result.err.find("already traced"), std::string::npos) << result.err;
}

TEST(RunCatchFaults, LeakAtExitStillJudged) {
  auto result = run_command(stray_run({"--catch-faults", "--grace", "0ms"}, {target_path("run_exits"), "leak"}));
  EXPECT_EQ(result.exit_code(), 1) << result.err;
  EXPECT_NE(result.err.find(marked_line("run_exits.cpp", "leaked thread parks here")), std::string::npos)
      << result.err;
}

TEST(RunCatchFaults, ThreadFinishingInGracePasses) {
  auto result = run_command(stray_run({"--catch-faults", "--grace", "5s"},
                                      {target_path("run_exits"), "finish-late", "300"}));
  EXPECT_EQ(result.exit_code(), 0) << result.err;
}

// Each thread the survivor creates stops it twice for stray; the grace
// period must keep continuing those stops, or the survivor never ends.
TEST(RunCatchFaults, SurvivorCreatingThreadsEndsInGrace) {
  auto result = run_command(stray_run({"--catch-faults", "--grace", "5s"}, {target_path("run_exits"), "churn-late"}));
  EXPECT_EQ(result.exit_code(), 0) << result.err;
}

TEST(RunCatchFaults, CloneProcessNotTraced) {
  std::string directory = temporary_directory("stray-run-clone");
  auto result = run_command(stray_run({"--catch-faults"}, {target_path("run_exits"), "clone-process", directory}));
  EXPECT_EQ(result.exit_code(), 0) << result.err;
  bool survived = false;
  for (int attempt = 0; attempt < 300 && !survived; ++attempt) {
    survived = std::filesystem::exists(directory + "/survived");
    if (!survived) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(survived) << "the cloned process was killed when stray exited";
  std::filesystem::remove_all(directory);
}

TEST(RunCatchFaults, Int3ReportedAsKernelSignal) {
  auto result = run_command(stray_run({"--catch-faults"}, {target_path("run_exits"), "trap"}));
  ASSERT_TRUE(WIFSIGNALED(result.status)) << result.err;
  EXPECT_EQ(WTERMSIG(result.status), SIGTRAP);
  EXPECT_NE(result.err.find("received SIGTRAP from the kernel"), std::string::npos) << result.err;
}

TEST(RunCatchFaults, StaticDestructorJoinPasses) {
  auto result = run_command(stray_run({"--catch-faults"}, {target_path("run_exits"), "static-join"}));
  EXPECT_EQ(result.exit_code(), 0) << result.err;
}

TEST(RunCatchFaults, JobControlStopAndContinue) {
  WaitingCommand command({"--catch-faults"});
  ASSERT_GT(command.pid(), 0);
  ASSERT_TRUE(command.wait_for_line("waiting"));
  int target = command.command_pid();
  ASSERT_GT(target, 0);
  ASSERT_EQ(::kill(target, SIGSTOP), 0);
  // A traced thread in a group stop shows 't'; it must stay stopped.
  EXPECT_TRUE(wait_for_state(target, [](char state) { return state == 'T' || state == 't'; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_TRUE(process_state(target) == 'T' || process_state(target) == 't');
  ASSERT_EQ(::kill(target, SIGCONT), 0);
  EXPECT_TRUE(wait_for_state(target, [](char state) { return state == 'S' || state == 'R'; }));
  ASSERT_EQ(::kill(command.pid(), SIGTERM), 0);
  int status = command.wait_for_exit();
  ASSERT_NE(status, -1) << "stray run did not exit after SIGTERM";
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGTERM);
}

// Ctrl-Z on a job: SIGTSTP reaches the whole process group. The traced
// thread that takes it stops for stray first, so stray must deliver it
// before it stops itself, or the command's other threads run on. The job
// runs under `bash` with job control so that its group is not orphaned
// (the kernel discards SIGTSTP in an orphaned group).
TEST(RunCatchFaults, JobStopStopsEveryThread) {
  std::string directory = temporary_directory("stray-run-tstp");
  std::string script =
      "set -m\n"
      "'" + std::string(STRAY_BINARY) + "' run --catch-faults --no-builtin-rules -- '" + target_path("run_exits") +
      "' tick > '" + directory + "/ticks' 2>/dev/null &\n"
      "job=$!\n"
      "sleep 0.5\n"
      "kill -TSTP -$job\n"
      "sleep 0.5\n"
      "before=$(wc -l < '" + directory + "/ticks')\n"
      "sleep 0.5\n"
      "after=$(wc -l < '" + directory + "/ticks')\n"
      "echo \"ticks while stopped: $((after - before))\"\n"
      "kill -CONT -$job\n"
      "sleep 0.3\n"
      "resumed=$(wc -l < '" + directory + "/ticks')\n"
      "echo \"ticks after SIGCONT: $((resumed - after))\"\n"
      "kill -TERM $job\n"
      "wait $job\n"
      "echo \"status $?\"\n";
  auto result = run_command({"setsid", "--wait", "bash", "-c", script}, std::chrono::seconds(30));
  EXPECT_NE(result.out.find("ticks while stopped: 0\n"), std::string::npos) << result.out << result.err;
  EXPECT_EQ(result.out.find("ticks after SIGCONT: 0\n"), std::string::npos) << result.out << result.err;
  EXPECT_NE(result.out.find("status 143"), std::string::npos) << result.out << result.err;
  std::filesystem::remove_all(directory);
}

TEST(Run, ExamplesProjectUnderCtest) {
  std::string directory = temporary_directory("stray-run-example");
  std::string prefix = directory + "/prefix";
  std::string build = directory + "/build";
  auto installed = run_command({"cmake", "--install", STRAY_BUILD_DIR, "--prefix", prefix});
  ASSERT_EQ(installed.exit_code(), 0) << installed.err;
  auto configured = run_command({"cmake", "-S", std::string(STRAY_SOURCE_DIR) + "/examples/ctest", "-B", build,
                                 "-DCMAKE_PREFIX_PATH=" + prefix},
                                std::chrono::minutes(3));
  ASSERT_EQ(configured.exit_code(), 0) << configured.out << configured.err;
  auto built = run_command({"cmake", "--build", build}, std::chrono::minutes(5));
  ASSERT_EQ(built.exit_code(), 0) << built.out << built.err;

  auto leaking = run_command({"ctest", "--test-dir", build, "-R", "LeaksDetachedWaiter", "--output-on-failure"},
                             std::chrono::minutes(2));
  EXPECT_NE(leaking.exit_code(), 0) << leaking.out;
  EXPECT_NE(leaking.out.find("drain_queue"), std::string::npos) << leaking.out;
  auto clean = run_command({"ctest", "--test-dir", build, "-R", "JoinsItsThread", "--output-on-failure"},
                           std::chrono::minutes(2));
  EXPECT_EQ(clean.exit_code(), 0) << clean.out;
  auto crashing = run_command({"ctest", "--test-dir", build, "-R", "CrashesInWorker", "--output-on-failure"},
                              std::chrono::minutes(2));
  EXPECT_NE(crashing.exit_code(), 0) << crashing.out;
  EXPECT_NE(crashing.out.find("faulted with SIGSEGV at address 0x0"), std::string::npos) << crashing.out;
  EXPECT_NE(crashing.out.find("fill_buffer"), std::string::npos) << crashing.out;
  auto hanging = run_command({"ctest", "--test-dir", build, "-R", "JoinsWithoutClosing", "--output-on-failure"},
                             std::chrono::minutes(2));
  EXPECT_NE(hanging.exit_code(), 0) << hanging.out;
  EXPECT_NE(hanging.out.find("was still running at the 3.000 s timeout"), std::string::npos) << hanging.out;
  EXPECT_NE(hanging.out.find("drain_queue"), std::string::npos) << hanging.out;
  std::filesystem::remove_all(directory);
}

// The build directory works as a CMAKE_PREFIX_PATH without an install: its
// strayConfig.cmake names the built stray.
TEST(Run, ExamplesProjectAgainstBuildTree) {
  std::string build = temporary_directory("stray-run-build-tree");
  auto configured = run_command({"cmake", "-S", std::string(STRAY_SOURCE_DIR) + "/examples/ctest", "-B", build,
                                 "-DCMAKE_PREFIX_PATH=" + std::string(STRAY_BUILD_DIR)},
                                std::chrono::minutes(3));
  ASSERT_EQ(configured.exit_code(), 0) << configured.out << configured.err;
  auto built = run_command({"cmake", "--build", build}, std::chrono::minutes(5));
  ASSERT_EQ(built.exit_code(), 0) << built.out << built.err;

  auto leaking = run_command({"ctest", "--test-dir", build, "-R", "LeaksDetachedWaiter", "-V"},
                             std::chrono::minutes(2));
  EXPECT_NE(leaking.exit_code(), 0) << leaking.out;
  EXPECT_NE(leaking.out.find(std::string(STRAY_BINARY) + " \"run\""), std::string::npos) << leaking.out;
  EXPECT_NE(leaking.out.find("started by: (anonymous namespace)::drain_queue()"), std::string::npos) << leaking.out;
  auto clean = run_command({"ctest", "--test-dir", build, "-R", "JoinsItsThread", "--output-on-failure"},
                           std::chrono::minutes(2));
  EXPECT_EQ(clean.exit_code(), 0) << clean.out;
  std::filesystem::remove_all(build);
}

// CMake wraps long messages over several lines, so the checks below
// search the output with every run of whitespace made one space.
std::string collapse_whitespace(const std::string& text) {
  std::string collapsed;
  bool in_space = false;
  for (char c : text) {
    bool space = c == ' ' || c == '\n' || c == '\t';
    if (space && in_space) continue;
    collapsed += space ? ' ' : c;
    in_space = space;
  }
  return collapsed;
}

// Configures a project that calls stray_run_tests with `arguments` on an
// imported executable, against stray's build tree. No language is enabled,
// so no compiler is probed and nothing is built.
test::CommandResult configure_stray_run_tests(const std::string& directory, const std::string& arguments) {
  std::string source = directory + "/source";
  std::filesystem::create_directories(source);
  std::ofstream(source + "/CMakeLists.txt")
      << "cmake_minimum_required(VERSION 3.25)\n"
         "project(stray_arguments LANGUAGES NONE)\n"
         "find_package(stray REQUIRED)\n"
         "add_executable(probe IMPORTED)\n"
         "set_target_properties(probe PROPERTIES IMPORTED_LOCATION /bin/true)\n"
         "stray_run_tests(TARGET probe " << arguments << ")\n"
         "get_target_property(emulator probe CROSSCOMPILING_EMULATOR)\n"
         "message(STATUS \"emulator: ${emulator}\")\n";
  std::ofstream(source + "/expected.rules") << "start:worker\n";
  std::string build = directory + "/build-" + std::to_string(std::hash<std::string>{}(arguments));
  return run_command({"cmake", "-S", source, "-B", build, "-DCMAKE_PREFIX_PATH=" + std::string(STRAY_BUILD_DIR)},
                     std::chrono::minutes(2));
}

// gtest_discover_tests runs the target under stray at build time and shows
// none of stray's error output, so stray_run_tests checks its arguments
// when the project is configured and names the argument and the value.
TEST(Run, CmakeArgumentsCheckedAtConfigure) {
  std::string directory = temporary_directory("stray-run-arguments");
  const std::vector<std::pair<std::string, std::string>> rejected = {
      {"GRACE 200", "stray_run_tests: invalid GRACE '200': expected a number with a unit"},
      {"GRACE 2h", "invalid GRACE '2h'"},
      {"RULES missing.rules", "stray_run_tests: RULES file 'missing.rules' not found (looked for " + directory +
                                  "/source/missing.rules)"},
      {"TIMEOUT 0ms", "invalid TIMEOUT '0ms'"},
      {"TIMEOUT 1.5", "invalid TIMEOUT '1.5'"},
      {"ERROR_EXITCODE 126", "invalid ERROR_EXITCODE '126': expected 1 or 7 to 125"},
      {"ERROR_EXITCODE 3", "invalid ERROR_EXITCODE '3'"},
  };
  for (const auto& [arguments, message] : rejected) {
    auto configured = configure_stray_run_tests(directory, arguments);
    EXPECT_NE(configured.exit_code(), 0) << arguments << "\n" << configured.out << configured.err;
    EXPECT_NE(collapse_whitespace(configured.err).find(message), std::string::npos)
        << arguments << "\n" << configured.err;
  }

  auto accepted = configure_stray_run_tests(
      directory, "RULES expected.rules GRACE 0.25s TIMEOUT 365d ERROR_EXITCODE 125");
  ASSERT_EQ(accepted.exit_code(), 0) << accepted.out << accepted.err;
  EXPECT_NE(accepted.out.find("--rules;" + directory + "/source/expected.rules;--grace;0.25s;--timeout;365d;"
                              "--error-exitcode;125;--"),
            std::string::npos)
      << accepted.out;
  std::filesystem::remove_all(directory);
}

}  // namespace
}  // namespace stray
