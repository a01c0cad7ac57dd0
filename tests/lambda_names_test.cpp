// Lambda thread bodies built at -O0 and at -O2 (tests/targets/lambda_names.cpp).
// A function named from its ELF symbol in one build and from DWARF in the
// other, as an inlined frame, must get the same name, and rules generated
// from either build must excuse the threads of the other.
#include <unistd.h>

#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "stray/inspect.hpp"
#include "support/target_process.hpp"

namespace stray {
namespace {

using test::TargetProcess;

const std::vector<std::string> kRoles = {"condvar_tid", "sleep_tid",  "nested_tid",
                                         "pool_tid",    "reader_tid", "template_tid"};

const Thread* thread_of(const Snapshot& snapshot, const TargetProcess& target, const std::string& role) {
  const int tid = std::stoi(target.value(role));
  for (const Thread& thread : snapshot.threads) {
    if (thread.tid == tid) return &thread;
  }
  return nullptr;
}

const Frame* frame_at(const Thread& thread, const std::optional<std::size_t>& index) {
  if (!index || *index >= thread.frames.size()) return nullptr;
  return &thread.frames[*index];
}

test::CommandResult check(const std::vector<std::string>& arguments, int pid) {
  std::vector<std::string> argv = {STRAY_BINARY, "check", "--grace", "0ms", "--no-builtin-rules"};
  argv.insert(argv.end(), arguments.begin(), arguments.end());
  argv.push_back(std::to_string(pid));
  return test::run_command(argv);
}

TEST(LambdaNames, SameAtO0AndO2) {
  TargetProcess unoptimized("lambda_names_O0");
  TargetProcess optimized("lambda_names");
  ASSERT_GT(unoptimized.pid(), 0);
  ASSERT_GT(optimized.pid(), 0);
  Inspector inspector;
  const Snapshot o0 = inspector.inspect(unoptimized.pid());
  const Snapshot o2 = inspector.inspect(optimized.pid());

  for (const std::string& role : kRoles) {
    SCOPED_TRACE(role);
    const Thread* at_o0 = thread_of(o0, unoptimized, role);
    const Thread* at_o2 = thread_of(o2, optimized, role);
    ASSERT_NE(at_o0, nullptr);
    ASSERT_NE(at_o2, nullptr);
    const Frame* start_o0 = frame_at(*at_o0, at_o0->start_routine);
    const Frame* start_o2 = frame_at(*at_o2, at_o2->start_routine);
    const Frame* top_o0 = frame_at(*at_o0, at_o0->top_frame);
    const Frame* top_o2 = frame_at(*at_o2, at_o2->top_frame);
    ASSERT_NE(start_o0, nullptr);
    ASSERT_NE(start_o2, nullptr);
    ASSERT_NE(top_o0, nullptr);
    ASSERT_NE(top_o2, nullptr);
    EXPECT_EQ(start_o0->function, start_o2->function);
    EXPECT_EQ(top_o0->function, top_o2->function);
  }

  // A lambda waiting with a predicate: at -O2 the lambda is an inlined frame
  // named from DWARF, at -O0 a function named by its symbol, and top: skips
  // the std::condition_variable::wait template in both.
  const std::string lambda = "main::{lambda()#1}::operator()() const";
  const Thread* waiter_o2 = thread_of(o2, optimized, "condvar_tid");
  const Thread* waiter_o0 = thread_of(o0, unoptimized, "condvar_tid");
  ASSERT_NE(waiter_o2, nullptr);
  ASSERT_NE(waiter_o0, nullptr);
  const Frame* start_o2 = frame_at(*waiter_o2, waiter_o2->start_routine);
  const Frame* start_o0 = frame_at(*waiter_o0, waiter_o0->start_routine);
  ASSERT_NE(start_o2, nullptr);
  ASSERT_NE(start_o0, nullptr);
  EXPECT_EQ(start_o2->function, lambda);
  EXPECT_EQ(start_o2->kind, FrameKind::inlined) << "the -O2 build no longer inlines the lambda";
  EXPECT_EQ(start_o0->function, lambda);
  EXPECT_NE(start_o0->kind, FrameKind::inlined);
  EXPECT_EQ(waiter_o2->top_frame, waiter_o2->start_routine);
  EXPECT_EQ(waiter_o0->top_frame, waiter_o0->start_routine);
}

TEST(LambdaNames, GeneratedRulesSurviveRebuild) {
  TargetProcess unoptimized("lambda_names_O0");
  TargetProcess optimized("lambda_names");
  ASSERT_GT(unoptimized.pid(), 0);
  ASSERT_GT(optimized.pid(), 0);

  struct Direction {
    const char* from;
    int from_pid;
    const char* to;
    int to_pid;
  };
  for (const Direction& direction : {Direction{"-O0", unoptimized.pid(), "-O2", optimized.pid()},
                                     Direction{"-O2", optimized.pid(), "-O0", unoptimized.pid()}}) {
    SCOPED_TRACE(std::string("rules from ") + direction.from + ", checked on " + direction.to);
    test::CommandResult generated = check({"--gen-rules"}, direction.from_pid);
    ASSERT_EQ(generated.exit_code(), 0) << generated.err;  // --gen-rules: the rules are the result

    const std::string path = testing::TempDir() + "stray_lambda_names_" + std::to_string(::getpid()) +
                             (direction.from[2] == '0' ? "_o0.supp" : "_o2.supp");
    std::ofstream(path) << generated.out;
    test::CommandResult checked = check({"--rules", path}, direction.to_pid);
    EXPECT_EQ(checked.exit_code(), 0) << generated.out << checked.out;
    ::unlink(path.c_str());
  }
}

}  // namespace
}  // namespace stray
