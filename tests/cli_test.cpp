// The stray command line end to end: output, exit codes and error messages.
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <regex>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/target_process.hpp"

namespace stray {
namespace {

using test::run_command;
using test::TargetProcess;

int dead_pid() {
  pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  ::waitpid(child, nullptr, 0);
  return child;
}

TEST(Cli, SnapshotPrintsLeakyExample) {
  TargetProcess target(std::string(STRAY_EXAMPLES_DIR) + "/leaky_pipeline");
  ASSERT_GT(target.pid(), 0);
  auto result = run_command({STRAY_BINARY, "snapshot", std::to_string(target.pid())});
  EXPECT_EQ(result.exit_code(), 0) << result.err;
  EXPECT_NE(result.out.find("pid " + std::to_string(target.pid())), std::string::npos);
  EXPECT_NE(result.out.find("4 threads [condvar]"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("2 threads [write]"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("produce_records"), std::string::npos) << result.out;
  EXPECT_EQ(test::check_released(target.pid()), "");
}

// The pool workers of leaky_pipeline wait through inlined frames
// (std::condition_variable::wait and the worker's lambda), so the first
// three frames of their stack include inlined ones.
TEST(Cli, MaxFramesCountsInlinedFrames) {
  TargetProcess target(std::string(STRAY_EXAMPLES_DIR) + "/leaky_pipeline");
  ASSERT_GT(target.pid(), 0);
  auto result = run_command({STRAY_BINARY, "snapshot", "--json", "--max-frames", "3", std::to_string(target.pid())});
  ASSERT_EQ(result.exit_code(), 0) << result.err;
  auto json = nlohmann::json::parse(result.out);
  bool saw_inlined = false;
  for (const auto& thread : json["threads"]) {
    EXPECT_EQ(thread["frames"].size(), 3u) << thread.dump();
    EXPECT_EQ(thread["unwind_end"], "frame_limit") << thread.dump();
    for (const auto& frame : thread["frames"]) saw_inlined = saw_inlined || frame["kind"] == "inlined";
    if (thread["tid"] == target.pid()) {
      EXPECT_TRUE(thread.contains("start_routine")) << "main is among the frames: " << thread.dump();
    } else {
      EXPECT_FALSE(thread.contains("start_routine")) << "the start routine is beyond the cut: " << thread.dump();
    }
  }
  EXPECT_TRUE(saw_inlined) << result.out;

  auto text = run_command({STRAY_BINARY, "snapshot", "--max-frames", "3", std::to_string(target.pid())});
  ASSERT_EQ(text.exit_code(), 0) << text.err;
  EXPECT_EQ(text.out.find("  #3 "), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("started by: main "), std::string::npos) << text.out;
  EXPECT_EQ(text.out.find("started by: (anonymous namespace)::produce_records"), std::string::npos) << text.out;
  EXPECT_EQ(test::check_released(target.pid()), "");
}

TEST(Cli, JsonHasOneRecordPerThread) {
  TargetProcess target("parked", {"3"});
  ASSERT_GT(target.pid(), 0);
  auto result = run_command({STRAY_BINARY, "snapshot", "--json", std::to_string(target.pid())});
  ASSERT_EQ(result.exit_code(), 0) << result.err;
  auto json = nlohmann::json::parse(result.out);
  EXPECT_EQ(json["pid"], target.pid());
  ASSERT_TRUE(json["threads"].is_array());
  EXPECT_EQ(json["threads"].size(), 4u);
  for (const auto& thread : json["threads"]) {
    EXPECT_TRUE(thread["tid"].is_number_integer());
    EXPECT_TRUE(thread["frames"].is_array());
  }
}

TEST(Cli, TidSelectsThreads) {
  TargetProcess target("parked", {"3"});
  ASSERT_GT(target.pid(), 0);
  std::string tid = target.value("tid");
  auto result = run_command({STRAY_BINARY, "snapshot", "--json", "--tid", tid,
                             std::to_string(target.pid())});
  ASSERT_EQ(result.exit_code(), 0) << result.err;
  auto json = nlohmann::json::parse(result.out);
  ASSERT_EQ(json["threads"].size(), 1u);
  EXPECT_EQ(json["threads"][0]["tid"], std::stoi(tid));
}

TEST(Cli, UnknownTidIsUsageError) {
  TargetProcess target("parked", {"1"});
  ASSERT_GT(target.pid(), 0);
  auto result = run_command({STRAY_BINARY, "snapshot", "--tid", "999999999",
                             std::to_string(target.pid())});
  EXPECT_EQ(result.exit_code(), 2);
  EXPECT_NE(result.err.find("tid 999999999 is not a thread"), std::string::npos) << result.err;
  EXPECT_EQ(test::check_released(target.pid()), "");
}

TEST(Cli, ThreadIdIsNotAPid) {
  TargetProcess target("parked", {"1"});
  ASSERT_GT(target.pid(), 0);
  std::string tid = target.value("tid");
  auto result = run_command({STRAY_BINARY, "snapshot", tid});
  EXPECT_EQ(result.exit_code(), 2);
  EXPECT_NE(result.err.find("is a thread of process " + std::to_string(target.pid())),
            std::string::npos)
      << result.err;
}

TEST(Cli, RulesOptionStopsAtDoubleDash) {
  char path[] = "/tmp/stray-cli-rules-XXXXXX";
  int fd = ::mkstemp(path);
  ASSERT_GE(fd, 0);
  ::close(fd);
  auto result = run_command({STRAY_BINARY, "run", "--rules", path, "--", "/bin/sh", "-c",
                             "exit 0", "--extra"});
  ::unlink(path);
  EXPECT_EQ(result.exit_code(), 0) << result.err;
}

TEST(Cli, MissingProcessExitsWithFour) {
  int pid = dead_pid();
  auto result = run_command({STRAY_BINARY, "snapshot", std::to_string(pid)});
  EXPECT_EQ(result.exit_code(), 4);
  EXPECT_NE(result.err.find("pid " + std::to_string(pid) + ": no such process"), std::string::npos)
      << result.err;
  EXPECT_EQ(result.out, "");
}

// Runs `stray ARGS...` with its standard output on /dev/full, where every
// write fails with ENOSPC.
test::CommandResult run_to_full_disk(const std::vector<std::string>& arguments) {
  std::vector<std::string> argv = {"/bin/sh", "-c", "exec \"$0\" \"$@\" > /dev/full", STRAY_BINARY};
  argv.insert(argv.end(), arguments.begin(), arguments.end());
  return run_command(argv);
}

TEST(Cli, SnapshotWriteFailureExitsSix) {
  TargetProcess target("parked", {"2"});
  ASSERT_GT(target.pid(), 0);
  const std::string pid = std::to_string(target.pid());
  ASSERT_EQ(run_command({STRAY_BINARY, "snapshot", pid}).exit_code(), 0) << "the snapshot itself works";
  for (const std::vector<std::string>& arguments :
       {std::vector<std::string>{"snapshot", pid}, std::vector<std::string>{"snapshot", "--json", pid}}) {
    auto result = run_to_full_disk(arguments);
    EXPECT_EQ(result.exit_code(), 6) << arguments[1] << "\n" << result.err;
    EXPECT_NE(result.err.find("stray: writing standard output failed: No space left on device"),
              std::string::npos)
        << result.err;
  }
  EXPECT_EQ(test::check_released(target.pid()), "");
}

TEST(Cli, BadArgumentsExitWithTwo) {
  EXPECT_EQ(run_command({STRAY_BINARY}).exit_code(), 2);
  EXPECT_EQ(run_command({STRAY_BINARY, "snapshot"}).exit_code(), 2);
  EXPECT_EQ(run_command({STRAY_BINARY, "snapshot", "abc"}).exit_code(), 2);
  EXPECT_EQ(run_command({STRAY_BINARY, "snapshot", "-5"}).exit_code(), 2);
  EXPECT_EQ(run_command({STRAY_BINARY, "snapshot", "0"}).exit_code(), 2);
  EXPECT_EQ(run_command({STRAY_BINARY, "snapshot", "1", "--max-frames", "0"}).exit_code(), 2);
  EXPECT_EQ(run_command({STRAY_BINARY, "frobnicate"}).exit_code(), 2);
}

// The version comes from project(stray VERSION ...) in CMakeLists.txt.
TEST(Cli, VersionPrintsProjectVersion) {
  std::ifstream cmake_lists(std::string(STRAY_SOURCE_DIR) + "/CMakeLists.txt");
  std::string text((std::istreambuf_iterator<char>(cmake_lists)), std::istreambuf_iterator<char>());
  std::smatch match;
  ASSERT_TRUE(std::regex_search(text, match, std::regex(R"(project\(stray VERSION ([0-9.]+))")));

  auto result = run_command({STRAY_BINARY, "--version"});
  EXPECT_EQ(result.exit_code(), 0) << result.err;
  EXPECT_EQ(result.out, "stray " + match[1].str() + "\n");
  EXPECT_EQ(result.err, "");
}

// Every duration option takes the same units and gives the same error,
// with its own range. A dead pid makes an accepted value end with exit
// code 4 (no such process) at once, where a rejected one ends with 2.
TEST(Cli, DurationOptionsShareUnits) {
  const std::string pid = std::to_string(dead_pid());
  const std::string series = testing::TempDir() + "stray_cli_duration.jsonl";
  const std::vector<std::vector<std::string>> accepted = {
      {"check", "--grace", "50us", pid},
      {"check", "--grace", "0.5m", pid},
      {"check", "--grace", "1h", pid},
      {"watch", "--interval", "1m", "--out", series, pid},
      {"watch", "--interval", "1000us", "--out", series, pid},
      {"watch", "--duration", "1.5h", "--out", series, pid},
      {"watch", "--duration", "2d", "--out", series, pid},
  };
  for (const auto& arguments : accepted) {
    std::vector<std::string> argv = {STRAY_BINARY};
    argv.insert(argv.end(), arguments.begin(), arguments.end());
    auto result = run_command(argv);
    EXPECT_EQ(result.exit_code(), 4) << arguments[0] << " " << arguments[1] << " " << arguments[2] << "\n"
                                     << result.err;
  }
  ::unlink(series.c_str());

  auto run_in_minutes = run_command({STRAY_BINARY, "run", "--grace", "0.01m", "--", "/bin/true"});
  EXPECT_EQ(run_in_minutes.exit_code(), 0) << run_in_minutes.err;
  auto run_in_microseconds = run_command({STRAY_BINARY, "run", "--grace", "500us", "--", "/bin/true"});
  EXPECT_EQ(run_in_microseconds.exit_code(), 0) << run_in_microseconds.err;

  struct Rejected {
    std::vector<std::string> arguments;
    std::string error;
  };
  const std::string units = "expected a number with a unit (us, ms, s, m, h or d)";
  const std::vector<Rejected> rejected = {
      {{"check", "--grace", "5", pid}, "--grace: invalid duration '5': " + units + ", from 0s to 1h"},
      {{"check", "--grace", "61m", pid}, "--grace: invalid duration '61m': " + units + ", from 0s to 1h"},
      {{"run", "--grace", "2h", "--", "/bin/true"}, "--grace: invalid duration '2h': " + units + ", from 0s to 1h"},
      {{"watch", "--interval", "50us", "--out", series, pid},
       "--interval: invalid duration '50us': " + units + ", from 1ms to 365d"},
      {{"watch", "--duration", "1y", "--out", series, pid},
       "--duration: invalid duration '1y': " + units + ", from 1ms to 365d"},
  };
  for (const Rejected& rejection : rejected) {
    std::vector<std::string> argv = {STRAY_BINARY};
    argv.insert(argv.end(), rejection.arguments.begin(), rejection.arguments.end());
    auto result = run_command(argv);
    EXPECT_EQ(result.exit_code(), 2) << rejection.error;
    EXPECT_NE(result.err.find(rejection.error), std::string::npos) << result.err;
  }
}

TEST(Cli, HelpListsExitCodes) {
  auto result = run_command({STRAY_BINARY, "snapshot", "--help"});
  EXPECT_EQ(result.exit_code(), 0);
  EXPECT_NE(result.out.find("Exit codes:"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("5  permission denied"), std::string::npos) << result.out;
}

TEST(Cli, HelpListsExitCodesOfEveryCommand) {
  auto top = run_command({STRAY_BINARY, "--help"});
  EXPECT_EQ(top.exit_code(), 0);
  EXPECT_NE(top.out.find("1  check, run: unexpected survivors found"), std::string::npos) << top.out;
  EXPECT_NE(top.out.find("run: the command's own exit code"), std::string::npos) << top.out;
  EXPECT_NE(top.out.find("watch: N when a growth alert fired"), std::string::npos) << top.out;

  for (std::string command : {"snapshot", "check", "run", "watch", "plot"}) {
    auto help = run_command({STRAY_BINARY, command, "--help"});
    EXPECT_EQ(help.exit_code(), 0) << command;
    EXPECT_NE(help.out.find("Exit codes:"), std::string::npos) << help.out;
  }
}

// The help of --error-exitcode gives the range that its validator accepts.
TEST(Cli, ErrorExitcodeHelpGivesRange) {
  auto check = run_command({STRAY_BINARY, "check", "--help"});
  EXPECT_NE(check.out.find("1, or 7 to 255"), std::string::npos) << check.out;
  // A dead pid ends an accepted command line with 4, a rejected one with 2.
  const std::string pid = std::to_string(dead_pid());
  EXPECT_EQ(run_command({STRAY_BINARY, "check", "--error-exitcode", "255", pid}).exit_code(), 4);
  EXPECT_EQ(run_command({STRAY_BINARY, "check", "--error-exitcode", "6", pid}).exit_code(), 2);
  EXPECT_EQ(run_command({STRAY_BINARY, "check", "--error-exitcode", "256", pid}).exit_code(), 2);
  // Only plain decimal: a leading 0 would be read as octal afterwards.
  for (const char* text : {"010", "0x10", "7x", "+8", " 8", "1e1"}) {
    EXPECT_EQ(run_command({STRAY_BINARY, "check", "--error-exitcode", text, pid}).exit_code(), 2) << text;
  }

  auto run = run_command({STRAY_BINARY, "run", "--help"});
  EXPECT_NE(run.out.find("1, or 7 to 125"), std::string::npos) << run.out;
  EXPECT_EQ(run_command({STRAY_BINARY, "run", "--error-exitcode", "125", "--", "/bin/true"}).exit_code(), 0);
  EXPECT_EQ(run_command({STRAY_BINARY, "run", "--error-exitcode", "126", "--", "/bin/true"}).exit_code(), 2);
}

TEST(Cli, OwnProcessIsRejected) {
  // `stray snapshot $$` from a shell names the shell, not stray; stray's
  // own pid is reachable only through a wrapper like this one.
  auto result = run_command({"/bin/sh", "-c", std::string("exec ") + STRAY_BINARY + " snapshot $$"});
  EXPECT_EQ(result.exit_code(), 2);
  EXPECT_NE(result.err.find("cannot freeze its own process"), std::string::npos) << result.err;
}

TEST(Cli, KernelThreadIsRejected) {
  auto status = test::run_command({"cat", "/proc/2/comm"});
  if (status.out != "kthreadd\n") GTEST_SKIP() << "pid 2 is not kthreadd in this pid namespace";
  auto result = run_command({STRAY_BINARY, "snapshot", "2"});
  EXPECT_EQ(result.exit_code(), 6);
  EXPECT_NE(result.err.find("kernel thread"), std::string::npos) << result.err;
}

TEST(Cli, UnprivilegedUserIsDenied) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to switch to an unprivileged user";
  TargetProcess target("parked", {"1"});
  ASSERT_GT(target.pid(), 0);
  // setpriv comes with util-linux; uid 65534 is Debian's unprivileged user "nobody".
  auto result = run_command({"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                             "--inh-caps=-all", STRAY_BINARY, "snapshot",
                             std::to_string(target.pid())});
  EXPECT_EQ(result.exit_code(), 5) << result.err;
  EXPECT_NE(result.err.find("permission denied"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("uid 0"), std::string::npos) << result.err;
  EXPECT_EQ(test::check_released(target.pid()), "");
}

// Runs `stray watch PID OPTIONS... --out SERIES` as the unprivileged user,
// with SERIES in a directory of its own that it may write, removed after.
// Sets `series_written` when the series file existed when stray exited.
test::CommandResult watch_as_nobody(int pid, const std::vector<std::string>& options,
                                    bool& series_written) {
  char directory[] = "/tmp/stray-watch-XXXXXX";
  if (::mkdtemp(directory) == nullptr || ::chmod(directory, 0777) != 0) {
    ADD_FAILURE() << "cannot make a directory for the series: " << std::strerror(errno);
    return {};
  }
  const std::string series = std::string(directory) + "/series.jsonl";
  // setpriv comes with util-linux; uid 65534 is Debian's unprivileged user "nobody".
  std::vector<std::string> argv = {"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                                   "--inh-caps=-all", STRAY_BINARY, "watch", std::to_string(pid)};
  argv.insert(argv.end(), options.begin(), options.end());
  argv.insert(argv.end(), {"--out", series});
  test::CommandResult result = run_command(argv);
  series_written = ::access(series.c_str(), F_OK) == 0;
  ::unlink(series.c_str());
  ::rmdir(directory);
  return result;
}

TEST(Cli, WatchWithEveryFailureExitsThree) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to switch to an unprivileged user";
  TargetProcess target("parked", {"1"});
  ASSERT_GT(target.pid(), 0);
  bool series_written = false;
  auto result = watch_as_nobody(target.pid(), {"--interval", "50ms", "--count", "2"}, series_written);
  EXPECT_EQ(result.exit_code(), 3) << result.err;
  EXPECT_NE(result.err.find("every snapshot failed"), std::string::npos) << result.err;
}

// Light mode needs ptrace permission for task/TID/syscall too. Without it,
// every thread would be counted as "unknown".
TEST(Cli, LightWatchWithoutPermissionExitsFive) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to switch to an unprivileged user";
  TargetProcess target("parked", {"1"});
  ASSERT_GT(target.pid(), 0);
  bool series_written = false;
  auto result = watch_as_nobody(target.pid(), {"--light", "--count", "1"}, series_written);
  EXPECT_EQ(result.exit_code(), 5) << result.err;
  EXPECT_NE(result.err.find("permission denied"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("uid 0"), std::string::npos) << result.err;
  EXPECT_FALSE(series_written);
}

}  // namespace
}  // namespace stray
