// Tells runtime frames from the program's own, and picks the start routine
// and the top frame of a thread.
//
// A frame is runtime when
//  - its module is one of the C and C++ runtime libraries below (any frame
//    in them, named or not: Debian's libstdc++ has no symbol for
//    execute_native_thread_routine, the frame that calls std::thread's
//    function), or
//  - its function is a C runtime entry that may be linked into the
//    executable itself (_start, start_thread, clone...), or
//  - its qualified name starts with std::, __gnu_cxx::, __cxxabiv1:: or
//    __gthread_: library templates and inline functions compiled into the
//    program, such as std::thread::_State_impl<...>::_M_run, std::__invoke,
//    std::condition_variable::wait and the gthr-posix.h wrappers, inlined
//    frames included.
// A frame with neither a name nor a module is unknown code and counts as
// the program's own, so the start routine and the top frame point at it
// instead of hiding it behind a runtime frame further out.
#include <array>
#include <string_view>

#include "classify/internal.hpp"
#include "model/runtime_modules.hpp"

namespace stray {

namespace {

// C runtime functions that start a process or a thread. Listed because a
// static or partly static program carries them in its own module.
constexpr std::array<std::string_view, 11> kRuntimeFunctions = {
    "_start",  "__libc_start_main", "__libc_start_main_impl", "__libc_start_call_main",
    "start_thread", "clone", "__clone", "clone3", "__clone3", "__clone_internal",
    "__restore_rt",
};

constexpr std::array<std::string_view, 4> kRuntimeNamePrefixes = {
    "std::", "__gnu_cxx::", "__cxxabiv1::", "__gthread_",
};

bool is_runtime_function(std::string_view function) {
  std::string_view name = qualified_name(function);
  for (std::string_view entry : kRuntimeFunctions) {
    if (name == entry) return true;
  }
  for (std::string_view prefix : kRuntimeNamePrefixes) {
    if (name.substr(0, prefix.size()) == prefix) return true;
  }
  return false;
}

// std::thread::_State_impl<...>::_M_run compiled into the
// program. Its template arguments name the thread's callable.
bool is_thread_state_run(const Frame& frame) {
  if (frame.function.empty() || (!frame.module.empty() && is_runtime_module(frame.module))) return false;
  std::string_view name = qualified_name(frame.function);
  constexpr std::string_view kPrefix = "std::thread::_State_impl<";
  constexpr std::string_view kSuffix = "::_M_run";
  return name.size() > kPrefix.size() + kSuffix.size() && name.substr(0, kPrefix.size()) == kPrefix &&
         name.substr(name.size() - kSuffix.size()) == kSuffix;
}

}  // namespace

bool is_runtime_frame(const Frame& frame) {
  if (!frame.module.empty() && is_runtime_module(frame.module)) return true;
  return !frame.function.empty() && is_runtime_function(frame.function);
}

namespace classify_detail {

std::optional<std::size_t> find_start_routine(const std::vector<Frame>& frames, bool main_thread,
                                              bool cut) {
  if (main_thread) {
    for (std::size_t i = frames.size(); i-- > 0;) {
      if (qualified_name(frames[i].function) == "main") return i;
    }
  }
  if (cut) return std::nullopt;
  for (std::size_t i = frames.size(); i-- > 0;) {
    if (!is_runtime_frame(frames[i])) return i;
  }
  // Without debug information, a lambda or function object inlined into
  // _M_run leaves no frame of its own, and _M_run's name is the best clue.
  for (std::size_t i = frames.size(); i-- > 0;) {
    if (is_thread_state_run(frames[i])) return i;
  }
  return std::nullopt;
}

std::optional<std::size_t> find_top_frame(const std::vector<Frame>& frames) {
  for (std::size_t i = 0; i < frames.size(); ++i) {
    if (!is_runtime_frame(frames[i])) return i;
  }
  return std::nullopt;
}

}  // namespace classify_detail

}  // namespace stray
