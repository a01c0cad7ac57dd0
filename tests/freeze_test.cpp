// Freezing and capturing real processes: every thread is stopped and
// released, already-stopped threads stay stopped, signals are not lost, and
// the errors name the pid and the cause.
#include <poll.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

#include <gtest/gtest.h>

#include "capture/capture.hpp"
#include "freeze/freezer.hpp"
#include "proc/module_files.hpp"
#include "proc/proc.hpp"
#include "stray/error.hpp"
#include "support/target_process.hpp"

namespace stray {
namespace {

using test::TargetProcess;

char task_state(int pid, int tid) {
  auto stat = proc::try_read_task_stat(pid, tid);
  return stat ? stat->state : '?';
}

ErrorKind freeze_error_kind(int pid) {
  try {
    FrozenProcess::freeze(pid);
  } catch (const Error& error) {
    return error.kind();
  }
  ADD_FAILURE() << "freezing pid " << pid << " did not fail";
  return ErrorKind::system;
}

TEST(Freeze, StopsAndReleasesEveryThread) {
  TargetProcess target("parked", {"6"});
  ASSERT_GT(target.pid(), 0);
  std::size_t expected = proc::read_tids(target.pid()).size();
  {
    FrozenProcess frozen = FrozenProcess::freeze(target.pid());
    EXPECT_EQ(frozen.threads().size(), expected);
    for (const FrozenThread& thread : frozen.threads()) {
      EXPECT_EQ(thread.stop, StopKind::interrupt) << "tid " << thread.tid;
      EXPECT_EQ(task_state(target.pid(), thread.tid), 't') << "tid " << thread.tid;
    }
  }
  EXPECT_EQ(test::check_released(target.pid()), "");
}

// Names, start times and states are read before the freeze window opens,
// so the state is the thread's own ('S' here), not the 't' of its stop.
TEST(Freeze, DescribesEveryThread) {
  TargetProcess target("parked", {"3"});
  ASSERT_GT(target.pid(), 0);
  // "ready" comes just before the last thread blocks, so wait for every 'S'.
  for (int tid : proc::read_tids(target.pid())) {
    for (int i = 0; i < 200 && task_state(target.pid(), tid) != 'S'; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ASSERT_EQ(task_state(target.pid(), tid), 'S') << "tid " << tid << " never blocked";
  }
  FrozenProcess frozen = FrozenProcess::freeze(target.pid());
  ASSERT_EQ(frozen.threads().size(), proc::read_tids(target.pid()).size());
  for (const FrozenThread& thread : frozen.threads()) {
    auto stat = proc::try_read_task_stat(target.pid(), thread.tid);
    ASSERT_TRUE(stat.has_value()) << "tid " << thread.tid;
    EXPECT_EQ(thread.start_time, stat->start_time) << "tid " << thread.tid;
    EXPECT_EQ(thread.name, proc::try_read_task_comm(target.pid(), thread.tid).value_or("?"))
        << "tid " << thread.tid;
    EXPECT_EQ(thread.state, 'S') << "tid " << thread.tid;
  }
}

TEST(Freeze, ResumeTwiceIsHarmless) {
  TargetProcess target("parked", {"2"});
  ASSERT_GT(target.pid(), 0);
  FrozenProcess frozen = FrozenProcess::freeze(target.pid());
  frozen.resume();
  frozen.resume();
  EXPECT_EQ(test::check_released(target.pid()), "");
}

TEST(Freeze, StoppedTargetStaysStopped) {
  TargetProcess target("parked", {"3"});
  ASSERT_GT(target.pid(), 0);
  ASSERT_EQ(::kill(target.pid(), SIGSTOP), 0);
  // The group stop reaches each thread in turn; wait until all are in it.
  for (int tid : proc::read_tids(target.pid())) {
    for (int i = 0; i < 200 && task_state(target.pid(), tid) != 'T'; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ASSERT_EQ(task_state(target.pid(), tid), 'T') << "tid " << tid;
  }
  {
    FrozenProcess frozen = FrozenProcess::freeze(target.pid());
    for (const FrozenThread& thread : frozen.threads()) {
      EXPECT_EQ(thread.state, 'T') << "tid " << thread.tid;
      EXPECT_EQ(thread.stop, StopKind::group_stop) << "tid " << thread.tid;
    }
  }
  // PTRACE_DETACH wakes a group-stopped thread so that it re-enters the
  // group stop in the kernel (Linux 3.4 and later); it shows 'R' for that
  // moment but runs no user code.
  for (int tid : proc::read_tids(target.pid())) {
    for (int i = 0; i < 200 && task_state(target.pid(), tid) != 'T'; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    EXPECT_EQ(task_state(target.pid(), tid), 'T') << "tid " << tid << " was resumed";
  }
  ::kill(target.pid(), SIGCONT);
}

TEST(Freeze, SignalsSentDuringFreezesAreDelivered) {
  TargetProcess target("parked", {"4"});
  ASSERT_GT(target.pid(), 0);
  constexpr int kRounds = 100;
  // SIGRTMIN is a real-time signal, so each one is queued, not merged, and
  // every one sent must be acknowledged by the target.
  for (int round = 0; round < kRounds; ++round) {
    ASSERT_EQ(::kill(target.pid(), SIGRTMIN), 0);
    FrozenProcess frozen = FrozenProcess::freeze(target.pid());
  }
  int acknowledged = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (acknowledged < kRounds && std::chrono::steady_clock::now() < deadline) {
    pollfd pfd{target.stdout_fd(), POLLIN, 0};
    if (::poll(&pfd, 1, 100) <= 0) continue;
    char buffer[256];
    ssize_t n = ::read(target.stdout_fd(), buffer, sizeof buffer);
    for (ssize_t i = 0; i < n; ++i) acknowledged += buffer[i] == 's';
  }
  EXPECT_EQ(acknowledged, kRounds);
  EXPECT_EQ(test::check_released(target.pid()), "");
}

TEST(Freeze, ChurningThreadsNeverHideParkedOnes) {
  TargetProcess target("parked", {"4", "churn"});
  ASSERT_GT(target.pid(), 0);
  std::vector<int> parked = {target.pid()};
  for (auto [it, end] = target.values().equal_range("tid"); it != end; ++it) {
    parked.push_back(std::stoi(it->second));
  }
  ASSERT_EQ(parked.size(), 5u);
  for (int round = 0; round < 100; ++round) {
    FrozenProcess frozen = FrozenProcess::freeze(target.pid());
    for (int tid : parked) {
      bool found = false;
      for (const FrozenThread& thread : frozen.threads()) found |= thread.tid == tid;
      EXPECT_TRUE(found) << "round " << round << ": tid " << tid << " missing";
    }
  }
  EXPECT_EQ(test::check_released(target.pid()), "");
}

TEST(Freeze, OnlyListedThreadsAreStopped) {
  TargetProcess target("parked", {"4"});
  ASSERT_GT(target.pid(), 0);
  int chosen = std::stoi(target.value("tid"));
  FreezeOptions options;
  options.only_tids = {chosen, 999999999};
  FrozenProcess frozen = FrozenProcess::freeze(target.pid(), options);
  ASSERT_EQ(frozen.threads().size(), 1u);
  EXPECT_EQ(frozen.threads()[0].tid, chosen);
  EXPECT_EQ(task_state(target.pid(), chosen), 't');
  EXPECT_NE(task_state(target.pid(), target.pid()), 't') << "the main thread was not listed";
}

TEST(Freeze, NoListedThreadExists) {
  TargetProcess target("parked", {"1"});
  ASSERT_GT(target.pid(), 0);
  FreezeOptions options;
  options.only_tids = {999999999};
  try {
    FrozenProcess::freeze(target.pid(), options);
    ADD_FAILURE() << "freezing only a missing tid did not fail";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::invalid_input) << error.what();
  }
}

TEST(Freeze, MissingProcessIsReported) {
  pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  ::waitpid(child, nullptr, 0);
  EXPECT_EQ(freeze_error_kind(child), ErrorKind::no_such_process);
}

TEST(Freeze, KernelThreadIsReported) {
  // kthreadd is pid 2 when this runs in the initial pid namespace.
  auto status = proc::try_read_file("/proc/2/status");
  if (!status || status->find("kthreadd") == std::string::npos) {
    GTEST_SKIP() << "pid 2 is not kthreadd in this pid namespace";
  }
  EXPECT_EQ(freeze_error_kind(2), ErrorKind::kernel_thread);
}

TEST(Freeze, AnotherTracerIsNamed) {
  TargetProcess target("parked", {"2"});
  ASSERT_GT(target.pid(), 0);
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  pid_t tracer = ::fork();
  if (tracer == 0) {
    char result = ::ptrace(PTRACE_SEIZE, target.pid(), nullptr, nullptr) == 0 ? 'y' : 'n';
    (void)!::write(ready[1], &result, 1);
    while (true) ::pause();
  }
  char result = 0;
  ASSERT_EQ(::read(ready[0], &result, 1), 1);
  ASSERT_EQ(result, 'y');
  std::string message;
  try {
    FrozenProcess::freeze(target.pid());
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::already_traced);
    message = error.what();
  }
  EXPECT_NE(message.find("pid " + std::to_string(tracer)), std::string::npos) << message;
  ::kill(tracer, SIGKILL);
  ::waitpid(tracer, nullptr, 0);
  ::close(ready[0]);
  ::close(ready[1]);
}

TEST(Capture, CopiesRegistersAndLiveStacks) {
  TargetProcess target("parked", {"4"});
  ASSERT_GT(target.pid(), 0);
  ModuleFiles files(target.pid());
  RawSnapshot raw = capture_process(target.pid(), files);
  EXPECT_EQ(raw.threads.size(), 5u);
  EXPECT_GT(raw.freeze_duration.count(), 0);
  EXPECT_GT(raw.bytes_copied, 0u);
  EXPECT_EQ(raw.memory.size(), 1u) << "the [vdso] copy";
  for (const RawThread& thread : raw.threads) {
    EXPECT_TRUE(thread.registers_valid) << "tid " << thread.tid;
    EXPECT_LE(thread.stack.base, thread.registers.rsp) << "tid " << thread.tid;
    EXPECT_GT(thread.stack.base + thread.stack.bytes.size(), thread.registers.rsp);
    EXPECT_FALSE(thread.stack.truncated) << "tid " << thread.tid;
    EXPECT_EQ(thread.error, "") << "tid " << thread.tid;
  }
  EXPECT_EQ(test::check_released(target.pid()), "");
}

TEST(Capture, StackCapIsAnnounced) {
  TargetProcess target("parked", {"2"});
  ASSERT_GT(target.pid(), 0);
  ModuleFiles files(target.pid());
  CaptureOptions options;
  options.stack_cap = 256;
  RawSnapshot raw = capture_process(target.pid(), files, options);
  for (const RawThread& thread : raw.threads) {
    EXPECT_EQ(thread.stack.bytes.size(), 256u) << "tid " << thread.tid;
    EXPECT_TRUE(thread.stack.truncated) << "tid " << thread.tid;
  }
}

}  // namespace
}  // namespace stray
