// Odd stacks in a live target, through the whole pipeline (capture,
// unwind, symbolize): a handler on a sigaltstack, a makecontext coroutine,
// deep recursion with 4 KiB frames, code without unwind information in an
// anonymous mapping, and a function that overwrote its return address.
#include <algorithm>
#include <chrono>
#include <set>

#include <gtest/gtest.h>

#include "stray/inspect.hpp"
#include "support/target_process.hpp"

namespace stray {
namespace {

using test::TargetProcess;

// Functions of the robust_stacks target; frames elsewhere (libc, libstdc++)
// are left out of the comparisons.
const std::set<std::string> kTargetFunctions = {
    "park_in_read",     "altstack_handler_level1", "on_altstack_signal", "altstack_wait_level1",
    "altstack_thread",  "coroutine_level1",        "coroutine_entry",    "coroutine_thread",
    "recurse_large",    "recursion_thread",        "jit_callee",         "jit_caller",
    "jit_thread",       "corrupt_return_and_park", "corrupt_caller",     "corrupt_thread",
    "read_without_cfi", "nocfi_caller",            "nocfi_thread",
};

std::vector<std::string> target_frames(const Thread& thread) {
  std::vector<std::string> names;
  for (const Frame& frame : thread.frames) {
    if (frame.kind == FrameKind::signal) {
      names.push_back("<signal>");
    } else if (kTargetFunctions.count(frame.function) != 0) {
      names.push_back(frame.function);
    }
  }
  return names;
}

std::string describe(const Thread& thread) {
  std::string text = "unwind end " + std::string(to_string(thread.unwind_end)) + ", error '" +
                     thread.error + "', frames:";
  for (const Frame& frame : thread.frames) {
    char pc[32];
    std::snprintf(pc, sizeof pc, "%#llx", static_cast<unsigned long long>(frame.pc));
    text += std::string("\n  ") + pc + " " + to_string(frame.kind) + " " + frame.function + " " +
            frame.module;
  }
  return text;
}

class OddStacks : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_GT(target_.pid(), 0); }

  Snapshot inspect(InspectOptions options = {}) {
    options.tids = {std::stoi(target_.value("tid_" + thread_))};
    Inspector inspector;
    return inspector.inspect(target_.pid(), options);
  }

  const Thread& only_thread(const Snapshot& snapshot) {
    EXPECT_EQ(snapshot.threads.size(), 1u);
    return snapshot.threads.front();
  }

  TargetProcess target_{"robust_stacks", {"600"}};
  std::string thread_;
};

TEST_F(OddStacks, SigaltstackHandlerReachesInterruptedCode) {
  thread_ = "altstack";
  Snapshot snapshot = inspect();
  const Thread& thread = only_thread(snapshot);

  std::vector<std::string> expected = {"park_in_read",   "altstack_handler_level1",
                                       "on_altstack_signal", "<signal>",
                                       "park_in_read",   "altstack_wait_level1",
                                       "altstack_thread"};
  EXPECT_EQ(target_frames(thread), expected) << describe(thread);
  EXPECT_EQ(thread.unwind_end, UnwindEnd::outermost) << describe(thread);
  EXPECT_EQ(thread.error, "");
  EXPECT_EQ(test::check_released(target_.pid()), "");
}

TEST_F(OddStacks, CoroutineStackEndsCleanly) {
  thread_ = "coroutine";
  Snapshot snapshot = inspect();
  const Thread& thread = only_thread(snapshot);

  std::vector<std::string> expected = {"park_in_read", "coroutine_level1", "coroutine_entry"};
  EXPECT_EQ(target_frames(thread), expected) << describe(thread);
  EXPECT_EQ(thread.error, "");
  // makecontext makes the coroutine return to the first byte of glibc's
  // __start_context, so the lookup at pc - 1 finds no unwind information
  // (glibc 2.36) and the walk ends there, one frame past the entry, inside
  // libc. No frame may follow it.
  EXPECT_TRUE(thread.unwind_end == UnwindEnd::outermost ||
              thread.unwind_end == UnwindEnd::no_unwind_info)
      << describe(thread);
  auto entry = std::find_if(thread.frames.begin(), thread.frames.end(),
                            [](const Frame& frame) { return frame.function == "coroutine_entry"; });
  ASSERT_NE(entry, thread.frames.end());
  EXPECT_LE(thread.frames.end() - entry, 2) << describe(thread);
  for (auto it = entry + 1; it != thread.frames.end(); ++it) {
    EXPECT_NE(it->module.find("libc.so"), std::string::npos) << describe(thread);
  }
}

TEST_F(OddStacks, DeepRecursionAnnouncesFrameLimit) {
  thread_ = "recursion";
  InspectOptions options;
  options.stack_cap = 16 * 1024 * 1024;
  options.max_frames = 256;
  Snapshot snapshot = inspect(options);
  const Thread& thread = only_thread(snapshot);

  EXPECT_EQ(thread.unwind_end, UnwindEnd::frame_limit) << describe(thread);
  // The cap counts every frame, inlined frames included.
  EXPECT_EQ(thread.frames.size(), 256u);
  EXPECT_FALSE(thread.stack_truncated);
  // recursion_thread, the start routine, lies beyond the cap.
  EXPECT_FALSE(thread.start_routine.has_value()) << describe(thread);
}

TEST_F(OddStacks, DeepRecursionAnnouncesCopyLimit) {
  thread_ = "recursion";
  InspectOptions options;
  options.stack_cap = 1024 * 1024;
  options.max_frames = 4096;
  Snapshot snapshot = inspect(options);
  const Thread& thread = only_thread(snapshot);

  EXPECT_EQ(thread.unwind_end, UnwindEnd::stack_copy_exhausted) << describe(thread);
  EXPECT_TRUE(thread.stack_truncated);
  EXPECT_FALSE(thread.start_routine.has_value()) << describe(thread);
  // 1 MiB of 4 KiB frames: about 250 of the 600 are shown, none invented.
  auto names = target_frames(thread);
  auto shown = std::count(names.begin(), names.end(), "recurse_large");
  EXPECT_GT(shown, 200);
  EXPECT_LT(shown, 260);
  EXPECT_EQ(std::count(names.begin(), names.end(), "recursion_thread"), 0);
}

TEST_F(OddStacks, DeepRecursionWholeWithRoom) {
  thread_ = "recursion";
  InspectOptions options;
  options.stack_cap = 16 * 1024 * 1024;
  options.max_frames = 4096;
  Snapshot snapshot = inspect(options);
  const Thread& thread = only_thread(snapshot);

  auto names = target_frames(thread);
  EXPECT_EQ(std::count(names.begin(), names.end(), "recurse_large"), 601);
  ASSERT_FALSE(names.empty());
  EXPECT_EQ(names.back(), "recursion_thread");
  EXPECT_EQ(thread.unwind_end, UnwindEnd::outermost) << describe(thread);
}

TEST_F(OddStacks, CommandLineAnnouncesBothLimits) {
  std::string tid = target_.value("tid_recursion");
  auto copy_limited = test::run_command({STRAY_BINARY, "snapshot", std::to_string(target_.pid()),
                                         "--tid", tid, "--max-frames", "4096"});
  EXPECT_NE(copy_limited.out.find("unwind stopped: stack_copy_exhausted"), std::string::npos)
      << copy_limited.out;
  EXPECT_NE(copy_limited.out.find("stack truncated at the copy size limit"), std::string::npos)
      << copy_limited.out;

  auto frame_limited = test::run_command({STRAY_BINARY, "snapshot", std::to_string(target_.pid()),
                                          "--tid", tid, "--max-frames", "100"});
  EXPECT_NE(frame_limited.out.find("unwind stopped: frame_limit"), std::string::npos)
      << frame_limited.out;
}

TEST_F(OddStacks, AnonymousCodeFollowedByFramePointer) {
  thread_ = "jit";
  std::uint64_t code = std::stoull(target_.value("addr_jit"), nullptr, 16);
  Snapshot snapshot = inspect();
  const Thread& thread = only_thread(snapshot);

  std::vector<std::string> expected = {"park_in_read", "jit_callee", "jit_caller", "jit_thread"};
  EXPECT_EQ(target_frames(thread), expected) << describe(thread);
  EXPECT_EQ(thread.unwind_end, UnwindEnd::outermost) << describe(thread);
  auto in_code = std::find_if(thread.frames.begin(), thread.frames.end(), [&](const Frame& frame) {
    return frame.pc >= code && frame.pc < code + 4096;
  });
  ASSERT_NE(in_code, thread.frames.end()) << "no frame in the anonymous code\n" << describe(thread);
  EXPECT_EQ(in_code->function, "");
  ASSERT_NE(in_code + 1, thread.frames.end());
  EXPECT_EQ((in_code + 1)->function, "jit_caller");
  EXPECT_EQ((in_code + 1)->kind, FrameKind::frame_pointer) << describe(thread);
}

TEST_F(OddStacks, NoCfiInnermostResumesFromSp) {
  thread_ = "nocfi";
  Snapshot snapshot = inspect();
  const Thread& thread = only_thread(snapshot);

  std::vector<std::string> expected = {"read_without_cfi", "nocfi_caller", "nocfi_thread"};
  EXPECT_EQ(target_frames(thread), expected) << describe(thread);
  ASSERT_GE(thread.frames.size(), 2u) << describe(thread);
  EXPECT_EQ(thread.frames[1].kind, FrameKind::return_address) << describe(thread);
  EXPECT_EQ(thread.unwind_end, UnwindEnd::outermost) << describe(thread);
}

TEST_F(OddStacks, CorruptReturnAddressStopsMarked) {
  thread_ = "corrupt";
  auto started = std::chrono::steady_clock::now();
  Snapshot snapshot = inspect();
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(2));
  const Thread& thread = only_thread(snapshot);

  std::vector<std::string> expected = {"park_in_read", "corrupt_return_and_park"};
  EXPECT_EQ(target_frames(thread), expected) << describe(thread);
  EXPECT_EQ(thread.unwind_end, UnwindEnd::bad_frame) << describe(thread);
  auto result = test::run_command({STRAY_BINARY, "snapshot", std::to_string(target_.pid()), "--tid",
                                   target_.value("tid_corrupt")});
  EXPECT_NE(result.out.find("unwind stopped: bad_frame"), std::string::npos) << result.out;
}

}  // namespace
}  // namespace stray
