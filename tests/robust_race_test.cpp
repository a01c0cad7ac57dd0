// Faults and races around a snapshot: stray killed at random moments,
// threads created and joined during every freeze, a target that exits
// mid-snapshot, a thread that never stops, a Ctrl-Z during the freeze, and
// a target or one of its threads traced by strace.
// After each, the target must be released, untraced and still working.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "freeze/lingering.hpp"
#include "proc/proc.hpp"
#include "stray/error.hpp"
#include "stray/inspect.hpp"
#include "support/target_process.hpp"

namespace stray {
namespace {

using test::TargetProcess;
using Clock = std::chrono::steady_clock;

// Sends SIGKILL to a process that is not our child on scope exit, such as
// a process started by strace.
class KillOnExit {
 public:
  explicit KillOnExit(int pid) : pid_(pid) {}
  ~KillOnExit() {
    if (pid_ > 0) ::kill(pid_, SIGKILL);
  }
  KillOnExit(const KillOnExit&) = delete;
  KillOnExit& operator=(const KillOnExit&) = delete;

 private:
  int pid_;
};

// Runs `stray ARGS...` as a child with stdout and stderr discarded.
// With `own_process_group`, stray leads a process group whose parent, this
// test, is in another group of the same session. The kernel discards
// SIGTSTP sent to an orphaned process group, as the test's own group is
// when ctest runs as a background job or under setsid.
pid_t spawn_stray(const std::vector<std::string>& args, bool own_process_group = false) {
  pid_t child = ::fork();
  if (child == 0) {
    if (own_process_group) ::setpgid(0, 0);
    int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, STDOUT_FILENO);
    ::dup2(null, STDERR_FILENO);
    std::vector<char*> argv{const_cast<char*>(STRAY_BINARY)};
    for (const auto& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);
    ::execv(STRAY_BINARY, argv.data());
    ::_exit(127);
  }
  return child;
}

int wait_for(pid_t child) {
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

int tracer_of(int tid) {
  std::ifstream status("/proc/" + std::to_string(tid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("TracerPid:", 0) == 0) return std::stoi(line.substr(10));
  }
  return -1;
}

// Reads the robust_busy target's progress counters.
class ProgressReader {
 public:
  ProgressReader(const TargetProcess& target)
      : pid_(target.pid()), address_(std::stoull(target.value("addr_progress"), nullptr, 16)) {}

  std::array<unsigned long, 4> read() const {
    std::array<unsigned long, 4> counters{};
    iovec local{counters.data(), sizeof counters};
    iovec remote{reinterpret_cast<void*>(address_), sizeof counters};
    if (::process_vm_readv(pid_, &local, 1, &remote, 1, 0) != sizeof counters) counters.fill(0);
    return counters;
  }

  // Waits until every counter has moved past `before`; returns the indexes
  // of the counters that did not within `timeout`.
  std::vector<int> stalled_since(const std::array<unsigned long, 4>& before,
                                 std::chrono::milliseconds timeout) const {
    auto deadline = Clock::now() + timeout;
    std::vector<int> stalled;
    while (true) {
      auto now = read();
      stalled.clear();
      for (int i = 0; i < 4; ++i) {
        if (now[i] <= before[i]) stalled.push_back(i);
      }
      if (stalled.empty() || Clock::now() > deadline) return stalled;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }

 private:
  int pid_;
  std::uint64_t address_;
};

// Polls check_released for up to `timeout`: the kernel detaches a dead
// tracer's tracees while the tracer exits, but a woken thread may show
// its old state for a moment.
std::string released_within(int pid, std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  std::string problem;
  while (!(problem = test::check_released(pid)).empty() && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return problem;
}

int stress_runs(int default_runs) {
  const char* text = std::getenv("STRAY_STRESS_RUNS");
  return text == nullptr ? default_runs : std::atoi(text);
}

TEST(KillStray, TargetReleasedAndWorking) {
  TargetProcess target("robust_busy", {"200"});
  ASSERT_GT(target.pid(), 0);
  ASSERT_EQ(proc::read_tids(target.pid()).size(), 200u);
  ProgressReader progress(target);
  std::string pid = std::to_string(target.pid());

  // The shortest of a few whole snapshots bounds the random kill moment, so
  // most kills land before stray is done.
  auto whole = std::chrono::microseconds::max();
  for (int i = 0; i < 4; ++i) {
    auto started = Clock::now();
    int status = wait_for(spawn_stray({"snapshot", pid}));
    ASSERT_TRUE(WIFEXITED(status)) << "status " << status;
    ASSERT_EQ(WEXITSTATUS(status), 0) << "status " << status;
    whole = std::min(whole, std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - started));
  }

  int runs = stress_runs(50);
  int during_freeze = 0, finished_first = 0, not_released = 0, stalled = 0;
  std::mt19937 random(12345);
  std::uniform_int_distribution<long> moment(0, whole.count());
  for (int run = 0; run < runs; ++run) {
    pid_t stray = spawn_stray({"snapshot", pid});
    std::this_thread::sleep_for(std::chrono::microseconds(moment(random)));
    during_freeze += tracer_of(target.pid()) == stray;
    ::kill(stray, SIGKILL);
    int status = wait_for(stray);
    finished_first += WIFEXITED(status);

    auto before = progress.read();
    std::string problem = released_within(target.pid(), std::chrono::seconds(1));
    EXPECT_EQ(problem, "") << "run " << run;
    not_released += !problem.empty();
    auto stuck = progress.stalled_since(before, std::chrono::seconds(2));
    EXPECT_TRUE(stuck.empty()) << "run " << run << ": worker " << stuck.front() << " stalled";
    stalled += !stuck.empty();
  }
  std::printf("kill runs %d, killed during the freeze %d, finished before the kill %d, "
              "not released %d, stalled %d\n",
              runs, during_freeze, finished_first, not_released, stalled);
  RecordProperty("runs", runs);
  RecordProperty("killed_during_freeze", during_freeze);
  RecordProperty("failures", not_released + stalled);
  EXPECT_GT(during_freeze, 0) << "no kill landed while the target was frozen";
}

TEST(Churn, EverySnapshotHasParkedThreads) {
  TargetProcess target("parked", {"4", "churn"});
  ASSERT_GT(target.pid(), 0);
  std::vector<int> parked;
  for (auto [it, end] = target.values().equal_range("tid"); it != end; ++it) {
    parked.push_back(std::stoi(it->second));
  }
  ASSERT_EQ(parked.size(), 4u);

  Inspector inspector;
  int runs = stress_runs(1000);
  int failures = 0;
  for (int run = 0; run < runs; ++run) {
    Snapshot snapshot;
    try {
      snapshot = inspector.inspect(target.pid());
    } catch (const Error& error) {
      ADD_FAILURE() << "run " << run << ": " << error.what();
      ++failures;
      continue;
    }
    for (int tid : parked) {
      bool found = std::any_of(snapshot.threads.begin(), snapshot.threads.end(),
                               [&](const Thread& thread) { return thread.tid == tid; });
      EXPECT_TRUE(found) << "run " << run << ": parked tid " << tid << " missing";
      failures += !found;
    }
  }
  RecordProperty("runs", runs);
  RecordProperty("failures", failures);
  EXPECT_EQ(test::check_released(target.pid()), "");
}

// Each round starts a target that exits from one of its threads after a
// random delay and snapshots it until it is gone. Every snapshot either
// succeeds or fails with the exit named, and none takes long.
TEST(TargetExit, MidSnapshotGivesClearError) {
  std::mt19937 random(777);
  std::uniform_int_distribution<long> delay_us(0, 40000);
  int succeeded = 0, failed = 0;
  for (int round = 0; round < 15; ++round) {
    TargetProcess target("robust_exits", {"60", std::to_string(delay_us(random))});
    ASSERT_GT(target.pid(), 0);
    Inspector inspector;
    for (int attempt = 0; attempt < 1000; ++attempt) {
      auto started = Clock::now();
      try {
        inspector.inspect(target.pid());
        ++succeeded;
      } catch (const Error& error) {
        ++failed;
        std::string message = error.what();
        EXPECT_TRUE(error.kind() == ErrorKind::target_exited ||
                    error.kind() == ErrorKind::no_such_process)
            << message;
        EXPECT_NE(message.find(std::to_string(target.pid())), std::string::npos) << message;
        EXPECT_LT(Clock::now() - started, std::chrono::seconds(2)) << message;
        break;
      }
      EXPECT_LT(Clock::now() - started, std::chrono::seconds(2)) << "attempt " << attempt;
    }
  }
  std::printf("snapshots succeeded %d, failed with the exit named %d\n", succeeded, failed);
  EXPECT_EQ(failed, 15);
}

std::string read_until_line(int fd, const std::string& wanted, std::chrono::milliseconds timeout) {
  std::string output;
  auto deadline = Clock::now() + timeout;
  char buffer[256];
  while (output.find(wanted) == std::string::npos && Clock::now() < deadline) {
    pollfd pfd{fd, POLLIN, 0};
    if (::poll(&pfd, 1, 50) <= 0) continue;
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n <= 0) break;
    output.append(buffer, static_cast<std::size_t>(n));
  }
  return output;
}

// A vfork parent waits in state D and never reports a ptrace stop. The
// command line reports it, finishes in bounded time, and once it has
// exited the thread runs on when the vfork child exits.
TEST(NeverStops, VforkParentReportedByCommandLine) {
  TargetProcess target("robust_vfork", {"2"});
  ASSERT_GT(target.pid(), 0);
  std::string tid = target.value("tid_vfork");
  auto started = Clock::now();
  auto result = test::run_command({STRAY_BINARY, "snapshot", std::to_string(target.pid())},
                                  std::chrono::seconds(10));
  auto took = Clock::now() - started;

  EXPECT_EQ(result.exit_code(), 3) << result.err;
  EXPECT_LT(took, std::chrono::seconds(3));
  EXPECT_NE(result.out.find("did not stop within the timeout (state D)"), std::string::npos)
      << result.out;
  EXPECT_EQ(released_within(target.pid(), std::chrono::milliseconds(100)), "");
  EXPECT_NE(read_until_line(target.stdout_fd(), "vfork_returned", std::chrono::seconds(5))
                .find("vfork_returned"),
            std::string::npos)
      << "the vfork parent did not run on after its child exited";
}

TEST(NeverStops, VforkParentReportedByInspector) {
  TargetProcess target("robust_vfork", {"1"});
  ASSERT_GT(target.pid(), 0);
  int tid = std::stoi(target.value("tid_vfork"));
  Inspector inspector;
  auto started = Clock::now();
  Snapshot snapshot = inspector.inspect(target.pid());
  EXPECT_LT(Clock::now() - started, std::chrono::seconds(2));

  auto it = std::find_if(snapshot.threads.begin(), snapshot.threads.end(),
                         [&](const Thread& thread) { return thread.tid == tid; });
  ASSERT_NE(it, snapshot.threads.end());
  EXPECT_EQ(it->stop, StopKind::not_stopped);
  EXPECT_EQ(it->state, 'D');
  EXPECT_NE(it->error.find("did not stop"), std::string::npos) << it->error;
  EXPECT_EQ(it->thread_class, ThreadClass::uninterruptible);
  for (const Thread& thread : snapshot.threads) {
    if (thread.tid != tid) {
      EXPECT_EQ(thread.stop, StopKind::interrupt) << "tid " << thread.tid;
    }
  }

  // The thread that did not stop stays seized by this thread (PTRACE_DETACH
  // needs a stopped tracee) and stops in its pending interrupt once the
  // vfork child exits; the lingering list then detaches it.
  EXPECT_EQ(tracer_of(tid), ::getpid());
  EXPECT_EQ(lingering::release_within(std::chrono::seconds(5)), 0u);
  EXPECT_EQ(tracer_of(tid), 0);
  EXPECT_EQ(released_within(target.pid(), std::chrono::seconds(1)), "");
}

// A second freeze of a thread that is still seized from the first one
// fails, and the error names the cause instead of blaming permissions.
TEST(NeverStops, VforkParentStillSeizedIsNamed) {
  TargetProcess target("robust_vfork", {"3"});
  ASSERT_GT(target.pid(), 0);
  int tid = std::stoi(target.value("tid_vfork"));
  Inspector inspector;
  inspector.inspect(target.pid());
  ASSERT_EQ(tracer_of(tid), ::getpid());

  InspectOptions only_vfork_parent;
  only_vfork_parent.tids = {tid};
  try {
    inspector.inspect(target.pid(), only_vfork_parent);
    ADD_FAILURE() << "a thread still seized was frozen again";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("still seized by an earlier freeze"), std::string::npos)
        << error.what();
    EXPECT_EQ(std::string(error.what()).find("CAP_SYS_PTRACE"), std::string::npos) << error.what();
  }
  EXPECT_EQ(lingering::release_within(std::chrono::seconds(10)), 0u);
  EXPECT_EQ(released_within(target.pid(), std::chrono::seconds(1)), "");
}

// A Ctrl-Z that reaches stray during a freeze stops it only after every
// thread is released. Stopped earlier, stray would leave the target in
// ptrace stops until it is continued. The vfork parent keeps the freeze
// open until the stop timeout.
TEST(JobStop, DeferredUntilTargetReleased) {
  TargetProcess target("robust_vfork", {"5"});
  ASSERT_GT(target.pid(), 0);
  int vfork_tid = std::stoi(target.value("tid_vfork"));
  pid_t stray = spawn_stray({"snapshot", "--stop-timeout", "1000", std::to_string(target.pid())}, true);
  struct Reaper {
    pid_t pid;
    bool reaped = false;
    ~Reaper() {
      if (reaped) return;
      ::kill(pid, SIGKILL);
      ::kill(pid, SIGCONT);
      wait_for(pid);
    }
  } reaper{stray};

  auto deadline = Clock::now() + std::chrono::seconds(2);
  while (tracer_of(target.pid()) != stray && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_EQ(tracer_of(target.pid()), stray) << "stray never froze the target";
  ASSERT_EQ(::kill(stray, SIGTSTP), 0);

  int status = 0;
  deadline = Clock::now() + std::chrono::seconds(5);
  while (::waitpid(stray, &status, WNOHANG | WUNTRACED) == 0 && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_TRUE(WIFSTOPPED(status)) << "stray did not stop; status " << status;
  for (int tid : proc::read_tids(target.pid())) {
    if (tid == vfork_tid) continue;  // seized but never stopped: it lingers until stray runs
    EXPECT_EQ(tracer_of(tid), 0) << "tid " << tid;
    auto stat = proc::try_read_task_stat(target.pid(), tid);
    ASSERT_TRUE(stat.has_value()) << "tid " << tid;
    EXPECT_NE(stat->state, 't') << "tid " << tid;
  }

  ASSERT_EQ(::kill(stray, SIGCONT), 0);
  status = wait_for(stray);
  reaper.reaped = true;
  EXPECT_TRUE(WIFEXITED(status)) << "status " << status;
  EXPECT_EQ(WEXITSTATUS(status), 3) << "status " << status;
}

TEST(AlreadyTraced, StraceIsNamed) {
  TargetProcess strace("/usr/bin/strace",
                       {"-f", "-o", "/dev/null", "--", test::target_path("parked"), "2"});
  ASSERT_GT(strace.pid(), 0);
  std::ifstream children("/proc/" + std::to_string(strace.pid()) + "/task/" +
                         std::to_string(strace.pid()) + "/children");
  int traced = 0;
  children >> traced;
  ASSERT_GT(traced, 0) << "strace started no child";
  KillOnExit kill_traced(traced);
  ASSERT_EQ(tracer_of(traced), strace.pid());

  auto result = test::run_command({STRAY_BINARY, "snapshot", std::to_string(traced)});
  EXPECT_EQ(result.exit_code(), 5) << result.err;
  EXPECT_NE(result.err.find("already traced by pid " + std::to_string(strace.pid()) + " (strace)"),
            std::string::npos)
      << result.err;
  EXPECT_EQ(tracer_of(traced), strace.pid()) << "strace lost its tracee";
}

// strace -p TID traces one thread, which the process's own status does not
// show. The check keeps that thread in its report, marked, instead of
// dropping it as an exiting thread.
TEST(AlreadyTraced, OneTracedThreadIsMarked) {
  TargetProcess target("parked", {"2"});
  ASSERT_GT(target.pid(), 0);
  std::string tid = target.values().find("tid")->second;
  pid_t strace = ::fork();
  if (strace == 0) {
    int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, STDOUT_FILENO);
    ::dup2(null, STDERR_FILENO);
    ::execl("/usr/bin/strace", "strace", "-o", "/dev/null", "-p", tid.c_str(), nullptr);
    ::_exit(127);
  }
  ASSERT_GT(strace, 0);
  struct Reaper {
    pid_t pid;
    ~Reaper() {
      ::kill(pid, SIGKILL);
      wait_for(pid);
    }
  } reaper{strace};
  auto deadline = Clock::now() + std::chrono::seconds(5);
  while (tracer_of(std::stoi(tid)) != strace && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_EQ(tracer_of(std::stoi(tid)), strace) << "strace did not attach";
  std::string named = "already traced by pid " + std::to_string(strace) + " (strace)";

  auto check = test::run_command({STRAY_BINARY, "check", "--grace", "0ms", std::to_string(target.pid())});
  EXPECT_EQ(check.exit_code(), 1) << check.err;
  EXPECT_NE(check.out.find("tid " + tid), std::string::npos) << check.out;
  EXPECT_NE(check.out.find("not stopped: " + named), std::string::npos) << check.out;

  auto only = test::run_command({STRAY_BINARY, "snapshot", "--tid", tid, std::to_string(target.pid())});
  EXPECT_EQ(only.exit_code(), 5) << only.err;
  EXPECT_NE(only.err.find(named), std::string::npos) << only.err;
  EXPECT_EQ(tracer_of(std::stoi(tid)), strace) << "strace lost its tracee";
}

}  // namespace
}  // namespace stray
