// Decides the class of one thread: /proc state first, then the syscall it
// is in, then, for futex waits and restart_syscall, its runtime frames.
#include "classify/classifier.hpp"

#include <unistd.h>

#include <sys/syscall.h>

#include <cerrno>

#include "classify/internal.hpp"

namespace stray {

namespace {

// Results a blocking call leaves in rax when a signal or a ptrace stop
// interrupts it (kernel-internal codes from include/linux/errno.h).
constexpr long kErestartSys = 512;
constexpr long kErestartNoIntr = 513;
constexpr long kErestartNoHand = 514;
constexpr long kErestartRestartBlock = 516;

bool is_interrupted_result(std::uint64_t rax) {
  long result = static_cast<long>(rax);
  return result == -kErestartSys || result == -kErestartNoIntr || result == -kErestartNoHand ||
         result == -kErestartRestartBlock || result == -EINTR;
}

// The syscall from the registers. orig_rax is -1 when the thread was
// stopped in user space.
SyscallInfo read_syscall(const RawThread& raw) {
  SyscallInfo info;
  const Registers& registers = raw.registers;
  if (!raw.registers_valid || static_cast<long>(registers.orig_rax) < 0) return info;
  info.number = static_cast<long>(registers.orig_rax);
  info.name = syscall_name(info.number);
  info.args = {registers.rdi, registers.rsi, registers.rdx,
               registers.r10, registers.r8,  registers.r9};
  info.interrupted = is_interrupted_result(registers.rax);
  return info;
}

// A new thread starts on the return of 0 from clone or clone3 in the
// child, and stops there when it is caught before its first instruction.
bool is_starting(const RawThread& raw) {
  if (!raw.registers_valid || raw.registers.rax != 0) return false;
  auto number = static_cast<long>(raw.registers.orig_rax);
  return number == SYS_clone || number == SYS_clone3;
}

// The class that the /proc state alone decides, whatever the registers contain.
std::optional<ThreadClass> class_of_state(char state) {
  switch (state) {
    case 'Z': case 'X': case 'x': return ThreadClass::dead;
    case 'T': case 't': return ThreadClass::stopped;
    case 'D': return ThreadClass::uninterruptible;
    default: return std::nullopt;
  }
}

// The call the thread blocks in. A thread in restart_syscall no longer
// shows its original call in orig_rax (nanosleep, poll and timed futex
// waits restart this way after any ptrace stop), so the libc wrapper among
// its runtime frames names it instead.
std::optional<long> blocking_syscall(const Thread& thread, std::size_t runtime_end) {
  if (thread.syscall.number != SYS_restart_syscall) return thread.syscall.number;
  return classify_detail::syscall_from_frames(thread.frames, runtime_end);
}

ThreadClass class_of_call(long number, const Thread& thread, std::size_t runtime_end) {
  ThreadClass thread_class = classify_detail::class_of_syscall(number);
  if (thread_class == ThreadClass::futex) {
    return classify_detail::classify_futex_wait(thread.frames, runtime_end);
  }
  return thread_class;
}

// The holder of the mutex a thread waits for. The word read during the
// freeze is glibc's __owner only when the futex is the __lock of a
// pthread_mutex_t. NOTE: the only check of that is that the word names
// another live thread of this process.
std::optional<int> mutex_owner(const RawThread& raw, const ClassifyContext& context) {
  if (!raw.futex_owner_word || *raw.futex_owner_word <= 0 || *raw.futex_owner_word == raw.tid) return std::nullopt;
  const int owner = *raw.futex_owner_word;
  const std::string task = "/proc/" + std::to_string(context.pid()) + "/task/" + std::to_string(owner);
  if (::access(task.c_str(), F_OK) != 0) return std::nullopt;
  return owner;
}

}  // namespace

void classify(Thread& thread, const RawThread& raw, ClassifyContext& context) {
  bool main_thread = thread.tid == context.pid();
  // The frame cap and the stack copy cap cut a stack before its outermost
  // frames, where the start routine is.
  bool cut = thread.unwind_end == UnwindEnd::frame_limit ||
             thread.unwind_end == UnwindEnd::stack_copy_exhausted;
  thread.start_routine = classify_detail::find_start_routine(thread.frames, main_thread, cut);
  thread.top_frame = classify_detail::find_top_frame(thread.frames);
  std::size_t runtime_end = thread.top_frame.value_or(thread.frames.size());

  thread.syscall = read_syscall(raw);
  thread.wait = WaitObject{};
  if (is_starting(raw)) {
    thread.thread_class = ThreadClass::starting;
    // Nothing lies beyond the clone call on a stack that no frame has used
    // yet, so the walk did not fail there: the stack has no more frames.
    thread.unwind_end = UnwindEnd::outermost;
    return;
  }
  std::optional<ThreadClass> call_class;
  if (thread.syscall.number >= 0) {
    if (auto number = blocking_syscall(thread, runtime_end)) {
      call_class = class_of_call(*number, thread, runtime_end);
      classify_detail::fill_wait_object(thread.wait, *number, thread.syscall.args, context);
    } else {
      call_class = ThreadClass::syscall;
    }
  } else if (raw.registers_valid || raw.state == 'R') {
    call_class = ThreadClass::running;
  }

  if (auto state_class = class_of_state(raw.state)) {
    thread.thread_class = *state_class;
  } else {
    thread.thread_class = call_class.value_or(ThreadClass::unknown);
  }
  if (thread.thread_class == ThreadClass::mutex) thread.wait.mutex_owner = mutex_owner(raw, context);
}

}  // namespace stray
