// A thread's class from /proc alone (its state letter and the syscall in
// /proc/PID/task/TID/syscall), for counting threads without stopping the
// target. Coarser than classify(): without frames a futex wait stays
// ThreadClass::futex instead of mutex, condvar and the like.
#pragma once

#include <optional>

#include "stray/model.hpp"

namespace stray {

// `syscall` is the number from the syscall file, nullopt when the file
// said "running" or could not be read, and -1 when blocked outside a call.
ThreadClass classify_from_proc(char state, std::optional<long> syscall);

}  // namespace stray
