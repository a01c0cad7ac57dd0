#include "stray/model.hpp"

#include <cstddef>

namespace stray {

namespace {

constexpr const char* kThreadClassNames[] = {
    "running", "mutex",   "condvar", "rwlock",      "semaphore",  "join",    "futex",
    "read",    "write",   "accept",  "connect",     "poll",       "epoll",   "sleep",
    "signal_wait", "child_wait", "syscall", "stopped", "uninterruptible", "dead", "starting",
    "unknown",
};
static_assert(std::size(kThreadClassNames) == static_cast<std::size_t>(ThreadClass::unknown) + 1);

}  // namespace

const char* to_string(ThreadClass value) {
  return kThreadClassNames[static_cast<std::size_t>(value)];
}

std::optional<ThreadClass> thread_class_from_string(const std::string& text) {
  for (std::size_t i = 0; i < std::size(kThreadClassNames); ++i) {
    if (text == kThreadClassNames[i]) return static_cast<ThreadClass>(i);
  }
  return std::nullopt;
}

const char* to_string(FrameKind value) {
  switch (value) {
    case FrameKind::innermost: return "innermost";
    case FrameKind::cfi: return "cfi";
    case FrameKind::frame_pointer: return "frame_pointer";
    case FrameKind::signal: return "signal";
    case FrameKind::inlined: return "inlined";
    case FrameKind::return_address: return "return_address";
  }
  return "unknown";
}

const char* to_string(UnwindEnd value) {
  switch (value) {
    case UnwindEnd::outermost: return "outermost";
    case UnwindEnd::no_unwind_info: return "no_unwind_info";
    case UnwindEnd::stack_copy_exhausted: return "stack_copy_exhausted";
    case UnwindEnd::loop: return "loop";
    case UnwindEnd::frame_limit: return "frame_limit";
    case UnwindEnd::bad_frame: return "bad_frame";
    case UnwindEnd::no_registers: return "no_registers";
    case UnwindEnd::error: return "error";
  }
  return "unknown";
}

const char* to_string(StopKind value) {
  switch (value) {
    case StopKind::interrupt: return "interrupt";
    case StopKind::group_stop: return "group_stop";
    case StopKind::signal_delivery: return "signal_delivery";
    case StopKind::not_stopped: return "not_stopped";
  }
  return "unknown";
}

}  // namespace stray
