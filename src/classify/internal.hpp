// Parts of the classify stage, split out so each can be tested alone.
// Nothing outside src/classify/ and its tests includes this header.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "classify/classifier.hpp"
#include "model/function_names.hpp"
#include "stray/model.hpp"

namespace stray::classify_detail {

// --- function_names.cpp ---

// The base of a glibc symbol with its internal decorations removed: leading
// underscores, the "GI_" alias prefix, "libc_", and a "64" or "_time64"
// suffix. "__GI___lll_lock_wait" gives "lll_lock_wait",
// "___pthread_cond_timedwait64" gives "pthread_cond_timedwait".
std::string glibc_base_name(std::string_view symbol);

// --- runtime_frames.cpp ---

// Index of the start routine: counting from the outermost frame, the first
// frame outside the runtime, else std::thread's _State_impl<...>::_M_run
// when it is compiled into the program. For the main thread, the frame
// named "main" when there is one. A stack cut by a limit (`cut` true) lacks
// its outermost frames, so only "main" is looked for there.
std::optional<std::size_t> find_start_routine(const std::vector<Frame>& frames, bool main_thread,
                                              bool cut);

// Index of the innermost frame outside the runtime.
std::optional<std::size_t> find_top_frame(const std::vector<Frame>& frames);

// --- blocking_call.cpp ---

// The class of a futex wait, from the runtime frames inside the top frame
// (frames [0, end)): mutex, condvar, rwlock, semaphore, join, or futex when
// no known caller is found. The innermost match wins, so a condition
// variable waiter that re-acquires its mutex counts as mutex.
ThreadClass classify_futex_wait(const std::vector<Frame>& frames, std::size_t end);

// The syscall a libc wrapper frame among frames [0, end) makes, for a thread
// in restart_syscall, whose registers no longer name the original call.
std::optional<long> syscall_from_frames(const std::vector<Frame>& frames, std::size_t end);

// --- syscall_classes.cpp ---

// The class of a thread blocked in syscall `number`. The futex calls give
// ThreadClass::futex, to be refined from the frames, and any call without a
// class of its own gives ThreadClass::syscall.
ThreadClass class_of_syscall(long number);

// --- wait_object.cpp ---

// Fills the wait object of a thread blocked in syscall `number` with
// arguments `args`: fd and its target, socket addresses, futex address,
// timeout, child pid.
void fill_wait_object(WaitObject& wait, long number, const SyscallArgs& args,
                      ClassifyContext& context);

// --- sockets.cpp ---

// Sockets of one /proc/PID/net/{tcp,tcp6,udp,udp6} file, by inode.
// `protocol` is stored in each entry ("tcp", "udp6"...).
std::map<std::uint64_t, ClassifyContext::Socket> parse_inet_sockets(std::string_view text,
                                                                    const std::string& protocol);

// Sockets of /proc/PID/net/unix, by inode. The local address is the bound
// path ("@name" for the abstract namespace); the file has no peer.
std::map<std::uint64_t, ClassifyContext::Socket> parse_unix_sockets(std::string_view text);

// "0100007F:1F90" from /proc/net/tcp gives "127.0.0.1:8080"; a 32-digit
// IPv6 address gives "[::1]:8080". Empty when the text is malformed.
std::string format_inet_address(std::string_view hex);

}  // namespace stray::classify_detail
