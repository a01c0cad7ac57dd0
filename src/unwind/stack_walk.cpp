#include "unwind/stack_walk.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <optional>

#include "unwind/snapshot_accessors.hpp"
#include "unwind/snapshot_memory.hpp"

namespace stray::unwind {

namespace {

bool is_code(const SnapshotMemory& memory, RemoteAddress pc) {
  const Region* region = memory.find(pc);
  return region != nullptr && region->mapping->executable();
}

void finish(UnwoundStack& stack, UnwindEnd end, std::string detail) {
  stack.end = end;
  stack.detail = std::move(detail);
}

Frame read_frame(unw_cursor_t& cursor, FrameKind kind) {
  unw_word_t pc = 0;
  unw_word_t sp = 0;
  unw_get_reg(&cursor, UNW_REG_IP, &pc);
  unw_get_reg(&cursor, UNW_REG_SP, &sp);
  Frame frame;
  frame.pc = pc;
  frame.sp = sp;
  frame.kind = kind;
  return frame;
}

// libunwind 1.6.2 returns UNW_EBADFRAME when a step leaves the pc and the
// CFA unchanged, and in rarer cases (a CFA expression that names a
// register), so the cursor is compared with the last frame to tell them apart.
bool step_repeated_frame(unw_cursor_t& cursor, const Frame& last, int result) {
  if (result != -UNW_EBADFRAME) return false;
  Frame next = read_frame(cursor, FrameKind::cfi);
  return next.pc == last.pc && next.sp == last.sp;
}

// Names the cause when unw_step returned 0 (no caller) or a negative error.
void finish_failed_step(UnwoundStack& stack, const ThreadAddressSpace& thread,
                        unw_cursor_t& cursor, int result) {
  RemoteAddress pc = stack.frames.back().pc;
  if (thread.failed_read_beyond_copy) {
    finish(stack, UnwindEnd::stack_copy_exhausted,
           fmt::format("the step from pc {:#x} needed stack bytes at {:#x}, beyond the copy "
                       "that ends at {:#x}",
                       pc, *thread.failed_read, thread.stack_copy_end));
  } else if (thread.no_unwind_info) {
    finish(stack, UnwindEnd::no_unwind_info,
           fmt::format("no unwind information for pc {:#x} and no usable frame pointer", pc));
  } else if (result == 0) {
    finish(stack, UnwindEnd::outermost, "");
  } else if (step_repeated_frame(cursor, stack.frames.back(), result)) {
    finish(stack, UnwindEnd::loop,
           fmt::format("the step from pc {:#x} sp {:#x} leads to the same pc and sp again", pc,
                       stack.frames.back().sp));
  } else if (thread.failed_read) {
    finish(stack, UnwindEnd::error,
           fmt::format("the step from pc {:#x} read address {:#x}, which the snapshot does not "
                       "contain: {}",
                       pc, *thread.failed_read, unw_strerror(result)));
  } else {
    finish(stack, UnwindEnd::error,
           fmt::format("unw_step failed at pc {:#x}: {}", pc, unw_strerror(result)));
  }
}

// Returns true when `next` repeats an earlier frame or moves the stack
// pointer backwards, which only a signal frame may do (its handler can run
// on an alternate stack anywhere in memory).
bool is_loop(const std::vector<Frame>& frames, const Frame& next, bool crossed_signal) {
  const Frame& previous = frames.back();
  if (next.sp < previous.sp && previous.kind != FrameKind::signal) return true;
  if (!crossed_signal) return next.pc == previous.pc && next.sp == previous.sp;
  return std::any_of(frames.begin(), frames.end(), [&](const Frame& frame) {
    return frame.pc == next.pc && frame.sp == next.sp;
  });
}

// The word at `sp` in the thread's stack copy, if the copy contains it.
std::optional<std::uint64_t> stack_word(const ThreadAddressSpace& thread, RemoteAddress sp) {
  const StackCopy& stack = *thread.stack;
  if (sp < stack.base || sp - stack.base + sizeof(std::uint64_t) > stack.bytes.size()) return std::nullopt;
  std::uint64_t word;
  std::memcpy(&word, stack.bytes.data() + (sp - stack.base), sizeof word);
  return word;
}

// A call through a bad function pointer leaves the pc in no code, with the
// call's return address just pushed at sp. When that word points into
// code, the walk restarts from it, as if the callee had returned. The
// registers copy `caller` must outlive the walk.
bool restart_from_return_address(unw_addr_space_t space, ThreadAddressSpace& thread,
                                 unw_cursor_t& cursor, Registers& caller) {
  RemoteAddress sp = thread.registers->rsp;
  std::optional<std::uint64_t> word = stack_word(thread, sp);
  if (!word) return false;
  thread.note_stack_read(sp);
  if (!is_code(*thread.memory, *word)) return false;
  caller = *thread.registers;
  caller.rip = *word;
  caller.rsp = sp + sizeof(std::uint64_t);
  thread.registers = &caller;
  return unw_init_remote(&cursor, space, &thread) >= 0;
}

// Performs one unw_step and appends the caller frame. Returns false when
// the unwind ended, with the reason stored in `stack`.
bool step(unw_addr_space_t space, unw_cursor_t& cursor, ThreadAddressSpace& thread,
          UnwoundStack& stack, bool& crossed_signal, std::size_t max_frames, Registers& caller) {
  thread.reset_observations();
  int result = unw_step(&cursor);
  // An innermost function without unwind information that has not pushed
  // anything yet, such as glibc's __clone3 right after its syscall (its
  // FDE ends before the syscall), has its return address at sp.
  if (result <= 0 && stack.frames.size() == 1 && thread.no_unwind_info && max_frames > 1 &&
      restart_from_return_address(space, thread, cursor, caller)) {
    stack.frames.push_back(read_frame(cursor, FrameKind::return_address));
    return true;
  }
  if (result <= 0) {
    finish_failed_step(stack, thread, cursor, result);
    return false;
  }
  if (stack.frames.size() >= max_frames) {
    finish(stack, UnwindEnd::frame_limit,
           fmt::format("stopped after {} frames, the configured maximum", max_frames));
    return false;
  }

  // libunwind 1.6.2 on x86_64: unw_is_signal_frame() describes the frame
  // the last unw_step stepped out of, so it is asked after the step.
  Frame& previous = stack.frames.back();
  if (unw_is_signal_frame(&cursor) > 0 && previous.kind != FrameKind::innermost) {
    previous.kind = FrameKind::signal;
    crossed_signal = true;
  }

  Frame next = read_frame(cursor, thread.no_unwind_info ? FrameKind::frame_pointer
                                                        : FrameKind::cfi);
  if (!is_code(*thread.memory, next.pc)) {
    finish(stack, UnwindEnd::bad_frame,
           fmt::format("return address {:#x} (caller of pc {:#x}) is outside every executable "
                       "mapping",
                       next.pc, previous.pc));
    return false;
  }
  if (is_loop(stack.frames, next, crossed_signal)) {
    finish(stack, UnwindEnd::loop,
           fmt::format("frame pc {:#x} sp {:#x} repeats or moves below the previous sp {:#x}",
                       next.pc, next.sp, previous.sp));
    return false;
  }
  stack.frames.push_back(next);
  return true;
}

}  // namespace

UnwoundStack walk_stack(unw_addr_space_t space, ThreadAddressSpace& thread,
                        std::size_t max_frames) {
  UnwoundStack stack;
  stack.frames.reserve(std::min<std::size_t>(max_frames, 64));
  if (max_frames == 0) {
    finish(stack, UnwindEnd::frame_limit, "the configured maximum is 0 frames");
    return stack;
  }

  unw_cursor_t cursor;
  int result = unw_init_remote(&cursor, space, &thread);
  if (result < 0) {
    finish(stack, UnwindEnd::error, fmt::format("unw_init_remote failed: {}",
                                                unw_strerror(result)));
    return stack;
  }

  stack.frames.push_back(read_frame(cursor, FrameKind::innermost));
  Registers caller{};
  if (!is_code(*thread.memory, stack.frames.back().pc)) {
    if (max_frames < 2 || !restart_from_return_address(space, thread, cursor, caller)) {
      finish(stack, UnwindEnd::bad_frame,
             fmt::format("pc {:#x} is outside every executable mapping", stack.frames.back().pc));
      return stack;
    }
    stack.frames.push_back(read_frame(cursor, FrameKind::return_address));
  }

  bool crossed_signal = false;
  while (step(space, cursor, thread, stack, crossed_signal, max_frames, caller)) {
  }
  return stack;
}

}  // namespace stray::unwind
