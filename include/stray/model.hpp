// Plain data handed from one pipeline stage to the next. Nothing here
// depends on any other part of stray, so every stage can be tested alone and
// every value can be printed, saved and compared.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace stray {

// An address in the target's address space. Kept as a plain integer because
// stray never dereferences it locally: every read goes through the captured
// copy or the mapped files.
using RemoteAddress = std::uint64_t;

// One line of /proc/PID/maps.
struct Mapping {
  RemoteAddress start = 0;
  RemoteAddress end = 0;  // exclusive
  std::string perms;      // "r-xp" and the like
  std::uint64_t offset = 0;
  std::uint32_t dev_major = 0;
  std::uint32_t dev_minor = 0;
  std::uint64_t inode = 0;
  // Path as the kernel printed it, without the " (deleted)" suffix. Empty
  // for anonymous mappings; "[stack]", "[vdso]", "[heap]" for special ones.
  std::string path;
  bool deleted = false;

  bool contains(RemoteAddress address) const { return address >= start && address < end; }
  bool readable() const { return !perms.empty() && perms[0] == 'r'; }
  bool executable() const { return perms.size() > 2 && perms[2] == 'x'; }
  // True for mappings backed by a file on disk (not [vdso], not anonymous).
  bool file_backed() const { return inode != 0 && !path.empty() && path[0] == '/'; }
};

// General-purpose registers of an x86_64 thread, in the order of the
// kernel's struct user_regs_struct (NT_PRSTATUS), so a PTRACE_GETREGSET
// result can be copied in as is.
struct Registers {
  std::uint64_t r15, r14, r13, r12, rbp, rbx, r11, r10, r9, r8, rax, rcx, rdx, rsi, rdi,
      orig_rax, rip, cs, eflags, rsp, ss, fs_base, gs_base, ds, es, fs, gs;
};
static_assert(sizeof(Registers) == 27 * 8, "Registers must match user_regs_struct");

// A copy of part of a thread's stack, [base, base + bytes.size()).
struct StackCopy {
  RemoteAddress base = 0;
  std::vector<std::uint8_t> bytes;
  // The copy stopped at the configured cap before the end of the mapping.
  bool truncated = false;
  // End of the mapping that contains the stack pointer (0 when unknown).
  RemoteAddress mapping_end = 0;
};

// A memory range copied whole during the capture, such as the [vdso]
// mapping, which exists only in the target's memory.
struct MemoryCopy {
  RemoteAddress base = 0;
  std::vector<std::uint8_t> bytes;
};

// The kind of ptrace stop a thread reported during the freeze, if any.
enum class StopKind {
  interrupt,       // PTRACE_EVENT_STOP from PTRACE_INTERRUPT
  group_stop,      // the thread was in (or entered) a job-control stop
  signal_delivery, // a signal arrived first; it is re-injected on detach
  not_stopped,     // the stop was not reported within the bound
};

// The first six syscall arguments, in the x86_64 syscall ABI order
// (rdi, rsi, rdx, r10, r8, r9).
using SyscallArgs = std::array<std::uint64_t, 6>;

// The capture of one thread, copied while the process was frozen.
struct RawThread {
  int tid = 0;
  std::string name;         // /proc/PID/task/TID/comm, raw bytes from the target
  char state = '?';         // /proc state letter read before the freeze (R, S, D, T, t, Z...)
  std::uint64_t start_time = 0;  // field 22 of /proc/PID/task/TID/stat, in clock ticks
  StopKind stop = StopKind::not_stopped;
  int pending_signal = 0;   // signal seen during the freeze and re-injected on detach
  bool registers_valid = false;
  Registers registers{};
  StackCopy stack;
  // For a thread in futex or restart_syscall, the 32-bit word 8 bytes past
  // the futex address (rdi), read during the freeze. When the futex is the
  // __lock word of a glibc pthread_mutex_t (x86_64), this is its __owner
  // field: the tid that holds the mutex.
  std::optional<std::int32_t> futex_owner_word;
  // Set when something about this thread could not be captured; the thread
  // is still reported, marked partial, with this cause.
  std::string error;
};

// Everything the capture stage copied. Unwinding, symbolization and
// classification read only this; the live process is not read again.
struct RawSnapshot {
  int pid = 0;
  // The thread through which memory and /proc files were read: pid, or a
  // live thread when the main thread has called pthread_exit.
  int memory_tid = 0;
  std::string exe;  // readlink of /proc/PID/exe
  std::string comm;
  std::chrono::system_clock::time_point time;
  std::vector<Mapping> mappings;
  std::vector<RawThread> threads;
  std::vector<MemoryCopy> memory;  // [vdso] and other mappings without a file
  std::chrono::nanoseconds freeze_duration{0};
  std::uint64_t bytes_copied = 0;
  std::vector<std::string> warnings;
};

// The method that found a frame.
enum class FrameKind {
  innermost,      // from the captured registers
  cfi,            // unwound through DWARF call-frame information
  frame_pointer,  // guessed: no unwind information, followed rbp
  signal,         // a signal trampoline (__restore_rt)
  inlined,        // an inlined call expanded from the frame below it
  // guessed: the innermost pc was in no code (a call through a bad function
  // pointer) or in a function without unwind information, so the word at sp
  // was taken as the return address
  return_address,
};

// The reason the unwind of a thread ended.
enum class UnwindEnd {
  outermost,           // reached the end of the stack normally
  no_unwind_info,      // no CFI and no usable frame pointer
  stack_copy_exhausted,// needed stack bytes beyond the captured copy
  loop,                // the same frame repeated
  frame_limit,         // the configured frame cap was hit
  bad_frame,           // a return address outside any executable mapping
  no_registers,        // registers were not captured
  error,               // libunwind reported an error
};

struct Frame {
  RemoteAddress pc = 0;
  RemoteAddress sp = 0;
  FrameKind kind = FrameKind::cfi;
  // Symbolization results; empty or zero when unknown.
  std::string function;  // demangled
  std::string module;    // path of the ELF module
  std::uint64_t module_offset = 0;  // pc relative to the module's load bias
  std::string file;
  int line = 0;
  int column = 0;
  std::string build_id;  // hex
};

// The class of wait a thread is blocked in, from its syscall, /proc state and frames.
enum class ThreadClass {
  running, mutex, condvar, rwlock, semaphore, join, futex, read, write, accept, connect, poll,
  epoll, sleep, signal_wait, child_wait, syscall, stopped, uninterruptible, dead,
  // Just created: still on the return of 0 from clone or clone3, before
  // its start routine runs, so its stack contains no frame yet.
  starting,
  unknown,
};

// The object a thread waits on, filled where cheap.
struct WaitObject {
  std::optional<int> fd;
  std::string fd_target;       // readlink of /proc/PID/fd/N: "pipe:[123]", "socket:[9]", a path
  std::string socket_local;    // "127.0.0.1:11211" or a Unix socket path
  std::string socket_peer;
  std::string socket_protocol; // "tcp", "tcp6", "udp", "unix"
  std::optional<RemoteAddress> futex_address;
  std::optional<std::chrono::nanoseconds> timeout;
  std::optional<int> child_pid;  // wait4/waitid target
  // For a mutex wait, the tid that holds the mutex (glibc's __owner field),
  // when that tid is a thread of the process.
  std::optional<int> mutex_owner;
};

struct SyscallInfo {
  long number = -1;  // orig_rax; -1 when the thread is not in a syscall
  std::string name;  // "futex", "read"... or "syscall_N"
  SyscallArgs args{};
  // The thread was inside this call when frozen and the call was
  // interrupted by the stop (rax contains -ERESTART* or -EINTR). It restarts or
  // returns EINTR as the kernel decides.
  bool interrupted = false;
};

struct Thread {
  int tid = 0;
  std::string name;
  char state = '?';
  std::uint64_t start_time = 0;
  StopKind stop = StopKind::not_stopped;
  ThreadClass thread_class = ThreadClass::unknown;
  SyscallInfo syscall;
  WaitObject wait;
  std::vector<Frame> frames;  // innermost first
  UnwindEnd unwind_end = UnwindEnd::outermost;
  bool stack_truncated = false;
  // Index into frames of the start routine: counting from the outermost
  // frame, the first one outside the C and C++ runtime. Absent when every
  // frame is runtime or unknown.
  std::optional<std::size_t> start_routine;
  // Index into frames of the innermost frame outside the runtime.
  std::optional<std::size_t> top_frame;
  std::string error;  // non-empty when this thread's result is partial
};

struct Snapshot {
  int pid = 0;
  std::string exe;
  std::string comm;
  std::string build_id;  // of the main executable, hex
  std::chrono::system_clock::time_point time;
  std::chrono::nanoseconds freeze_duration{0};
  std::chrono::nanoseconds total_duration{0};
  std::uint64_t bytes_copied = 0;
  std::vector<Thread> threads;
  std::vector<std::string> warnings;
};

// Stable lower-case names used in every output format.
const char* to_string(ThreadClass value);
const char* to_string(FrameKind value);
const char* to_string(UnwindEnd value);
const char* to_string(StopKind value);
std::optional<ThreadClass> thread_class_from_string(const std::string& text);

}  // namespace stray
