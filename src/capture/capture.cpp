#include "capture/capture.hpp"

#include <sys/syscall.h>

#include <elf.h>
#include <sys/ptrace.h>
#include <sys/uio.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <spdlog/spdlog.h>

#include "capture/signal_stack.hpp"
#include "freeze/seize_errors.hpp"
#include "proc/module_files.hpp"
#include "proc/proc.hpp"
#include "stray/error.hpp"

namespace stray {

namespace {

// Bytes below the stack pointer that a leaf function may use without
// moving it (the x86_64 System V red zone).
constexpr std::uint64_t kRedZone = 128;

const Mapping* find_mapping(const std::vector<Mapping>& mappings, RemoteAddress address) {
  auto it = std::upper_bound(mappings.begin(), mappings.end(), address,
                             [](RemoteAddress value, const Mapping& m) { return value < m.start; });
  if (it == mappings.begin()) return nullptr;
  --it;
  return it->contains(address) ? &*it : nullptr;
}

// Copies [address, address + size) of the target. Returns the number of
// bytes read, which is short when the range runs into unmapped memory.
std::size_t read_remote(int pid, RemoteAddress address, std::uint8_t* out, std::size_t size) {
  iovec local{out, size};
  iovec remote{reinterpret_cast<void*>(address), size};
  ssize_t n = ::process_vm_readv(pid, &local, 1, &remote, 1, 0);
  return n < 0 ? 0 : static_cast<std::size_t>(n);
}

// The mapping whose bytes hold the thread's stack. After a stack overflow
// the stack pointer lies in the PROT_NONE guard page just below a thread's
// stack, and the frames are in the readable mapping that starts where the
// guard ends.
const Mapping* find_stack_mapping(const std::vector<Mapping>& mappings, RemoteAddress sp) {
  const Mapping* mapping = find_mapping(mappings, sp);
  if (mapping == nullptr || mapping->readable()) return mapping;
  const Mapping* above = find_mapping(mappings, mapping->end);
  return above != nullptr && above->readable() ? above : mapping;
}

bool read_registers(const FrozenThread& frozen, RawThread& thread) {
  iovec buffer{&thread.registers, sizeof thread.registers};
  if (::ptrace(PTRACE_GETREGSET, frozen.tid, reinterpret_cast<void*>(NT_PRSTATUS), &buffer) != 0) {
    thread.error = std::string("PTRACE_GETREGSET failed: ") + std::strerror(errno);
    spdlog::debug("tid {}: {}", frozen.tid, thread.error);
    return false;
  }
  thread.registers_valid = true;
  return true;
}

// Copies the live part of the thread's stack, from just below its stack
// pointer to the end of the mapping that contains it, at most `cap` bytes.
void copy_stack(int pid, const Mapping& mapping, std::size_t cap, RawThread& thread) {
  RemoteAddress sp = thread.registers.rsp;
  RemoteAddress begin = std::max(mapping.start, sp >= kRedZone ? sp - kRedZone : 0);
  RemoteAddress end = mapping.end;
  if (end - begin > cap) {
    end = begin + cap;
    thread.stack.truncated = true;
  }
  thread.stack.base = begin;
  thread.stack.mapping_end = mapping.end;
  thread.stack.bytes.resize(end - begin);
  std::size_t copied = read_remote(pid, begin, thread.stack.bytes.data(), thread.stack.bytes.size());
  if (copied < thread.stack.bytes.size()) {
    thread.stack.bytes.resize(copied);
    thread.error = "stack copy stopped after " + std::to_string(copied) + " bytes";
  }
}

void copy_special_mappings(int pid, RawSnapshot& raw) {
  for (const Mapping& mapping : raw.mappings) {
    if (mapping.path != "[vdso]") continue;
    MemoryCopy copy;
    copy.base = mapping.start;
    copy.bytes.resize(mapping.end - mapping.start);
    std::size_t copied = read_remote(pid, mapping.start, copy.bytes.data(), copy.bytes.size());
    if (copied != copy.bytes.size()) {
      raw.warnings.push_back("could not copy the [vdso] mapping");
      continue;
    }
    raw.memory.push_back(std::move(copy));
  }
}

// True when the thread runs on its own stack: the main thread's [stack], or
// the mapping that contains its thread descriptor, which glibc places at the
// top of every thread stack it allocates (fs_base points at it). Otherwise
// sp is on a sigaltstack, a coroutine stack or a stack glibc did not make.
bool on_own_stack(const Mapping& stack, const RawThread& thread) {
  return stack.path == "[stack]" || stack.contains(thread.registers.fs_base);
}

// Keeps a whole copy of the mapping that contains the handler's frames (the
// unwinder reads it as a MemoryCopy) and makes the thread's stack copy the
// stack the signal interrupted. Returns false when the handler's mapping is
// larger than `cap`, so the copies stay as they were.
bool copy_interrupted_stack(int pid, RawSnapshot& raw, const Mapping& handler_stack,
                            RemoteAddress interrupted_sp, std::size_t cap, RawThread& thread) {
  const Mapping* interrupted = find_mapping(raw.mappings, interrupted_sp);
  if (interrupted == nullptr || handler_stack.end - handler_stack.start > cap) return false;
  bool copied_already = std::any_of(raw.memory.begin(), raw.memory.end(), [&](const MemoryCopy& m) {
    return m.base == handler_stack.start;
  });
  if (!copied_already) {
    MemoryCopy copy;
    copy.base = handler_stack.start;
    copy.bytes.resize(handler_stack.end - handler_stack.start);
    copy.bytes.resize(read_remote(pid, copy.base, copy.bytes.data(), copy.bytes.size()));
    raw.bytes_copied += copy.bytes.size();
    raw.memory.push_back(std::move(copy));
  }
  RawThread interrupted_thread;
  interrupted_thread.registers.rsp = interrupted_sp;
  copy_stack(pid, *interrupted, cap, interrupted_thread);
  thread.stack = std::move(interrupted_thread.stack);
  if (!interrupted_thread.error.empty()) thread.error = interrupted_thread.error;
  return true;
}

// glibc's pthread_mutex_t (x86_64) keeps the owner's tid in __owner, 8
// bytes after the __lock word that a waiter passes to futex. Every futex
// waiter gets the word read, because only the frames, unwound after the
// freeze, tell a mutex from other futex waits. One process_vm_readv reads
// up to kMaxIovecs words: one call per thread made the freeze of 1,000
// threads about 5 ms longer (2-core x86_64 VM).
void read_futex_owner_words(int memory_tid, std::vector<RawThread>& threads) {
  constexpr std::size_t kMaxIovecs = 1024;  // IOV_MAX on Linux
  std::vector<RawThread*> waiters;
  for (RawThread& thread : threads) {
    const auto number = static_cast<long>(thread.registers.orig_rax);
    if (thread.registers_valid && (number == SYS_futex || number == SYS_restart_syscall)) {
      waiters.push_back(&thread);
    }
  }
  std::vector<std::int32_t> words(waiters.size());
  std::size_t next = 0;
  while (next < waiters.size()) {
    const std::size_t count = std::min(kMaxIovecs, waiters.size() - next);
    std::vector<iovec> local(count);
    std::vector<iovec> remote(count);
    for (std::size_t i = 0; i < count; ++i) {
      local[i] = {&words[next + i], sizeof(std::int32_t)};
      remote[i] = {reinterpret_cast<void*>(waiters[next + i]->registers.rdi + 8), sizeof(std::int32_t)};
    }
    ssize_t bytes = ::process_vm_readv(memory_tid, local.data(), count, remote.data(), count, 0);
    // The kernel stops at the first remote range it cannot read, so the
    // words before it are valid and the next call starts after it.
    std::size_t read = bytes > 0 ? static_cast<std::size_t>(bytes) / sizeof(std::int32_t) : 0;
    for (std::size_t i = 0; i < read; ++i) waiters[next + i]->futex_owner_word = words[next + i];
    next += read < count ? read + 1 : count;
  }
}

RawThread capture_thread(int memory_tid, const FrozenThread& frozen, RawSnapshot& raw, std::size_t cap,
                         bool& unknown_stack) {
  RawThread thread;
  thread.tid = frozen.tid;
  thread.name = frozen.name;
  thread.state = frozen.state;
  thread.start_time = frozen.start_time;
  thread.stop = frozen.stop;
  thread.pending_signal = frozen.pending_signal;
  if (!frozen.seize_error.empty()) {
    thread.error = frozen.seize_error;
    return thread;
  }
  if (frozen.stop == StopKind::not_stopped) {
    thread.error = "the thread did not stop within the timeout (state " +
                   std::string(1, frozen.state) + ")";
    return thread;
  }
  if (!read_registers(frozen, thread)) return thread;
  const Mapping* stack = find_stack_mapping(raw.mappings, thread.registers.rsp);
  if (stack == nullptr) {
    unknown_stack = true;
    thread.error = "the stack pointer is in no mapping";
    return thread;
  }
  copy_stack(memory_tid, *stack, cap, thread);
  if (on_own_stack(*stack, thread)) return thread;
  if (auto interrupted_sp = interrupted_stack_pointer(thread, raw.mappings)) {
    if (!copy_interrupted_stack(memory_tid, raw, *stack, *interrupted_sp, cap, thread)) {
      spdlog::warn("pid {} tid {}: signal handler stack mapping larger than {} bytes; the "
                   "interrupted stack is not copied", raw.pid, thread.tid, cap);
    }
  }
  return thread;
}

// /proc/PID/maps needs the same permission as ptrace, so this is where an
// unprivileged run fails first, and the error then gives the cause. An
// error through another thread of the process names the process too.
std::vector<Mapping> read_maps_or_explain(int pid, int memory_tid) {
  try {
    return proc::read_maps(memory_tid);
  } catch (const Error& error) {
    if (error.kind() == ErrorKind::permission_denied) {
      throw Error(ErrorKind::permission_denied,
                  "pid " + std::to_string(pid) + ": permission denied: " + explain_permission(pid));
    }
    if (memory_tid == pid) throw;
    throw Error(error.kind(), "pid " + std::to_string(pid) + ": " + error.what());
  }
}

// The thread chosen before the freeze to read memory through may have
// exited since, and the main thread may have called pthread_exit. A stopped
// thread cannot exit until it is let go, so one of those is taken.
void choose_stopped_memory_tid(const FrozenProcess& frozen, RawSnapshot& raw) {
  const auto& threads = frozen.threads();
  auto stopped = [](const FrozenThread& thread) { return thread.stop != StopKind::not_stopped; };
  auto chosen = std::find_if(threads.begin(), threads.end(), [&](const FrozenThread& thread) {
    return thread.tid == raw.memory_tid && stopped(thread);
  });
  if (chosen != threads.end()) return;
  auto any = std::find_if(threads.begin(), threads.end(), stopped);
  if (any != threads.end()) raw.memory_tid = any->tid;
}

void capture_threads(FrozenProcess& frozen, RawSnapshot& raw, std::size_t cap) {
  choose_stopped_memory_tid(frozen, raw);
  bool unknown_stack = false;
  for (const FrozenThread& thread : frozen.threads()) {
    raw.threads.push_back(capture_thread(raw.memory_tid, thread, raw, cap, unknown_stack));
  }
  read_futex_owner_words(raw.memory_tid, raw.threads);
  if (!unknown_stack) return;
  // A thread created after the maps were read has a stack they do not show.
  // Re-read them while still frozen and retry those threads.
  raw.mappings = read_maps_or_explain(raw.pid, raw.memory_tid);
  for (RawThread& thread : raw.threads) {
    if (!thread.registers_valid || !thread.stack.bytes.empty()) continue;
    const Mapping* stack = find_stack_mapping(raw.mappings, thread.registers.rsp);
    if (stack == nullptr) continue;
    thread.error.clear();
    copy_stack(raw.memory_tid, *stack, cap, thread);
  }
}


}  // namespace

RawSnapshot capture_process(int pid, ModuleFiles& files, const CaptureOptions& options) {
  check_freezable(pid);
  RawSnapshot raw;
  raw.pid = pid;
  raw.memory_tid = proc::find_memory_tid(pid);
  raw.time = std::chrono::system_clock::now();
  raw.exe = proc::read_exe(raw.memory_tid);
  // From stat, as the thread names are: status escapes '\n' and '\\' in Name,
  // and every report format escapes the raw bytes itself.
  auto leader = proc::try_read_task_stat(pid, pid);
  raw.comm = leader ? leader->comm : proc::read_status(pid).name;
  // Maps, module files and the vDSO change rarely, so they are read before
  // the freeze to keep the stop short. capture_threads re-reads the maps if
  // a stack turns out to be missing from them.
  raw.mappings = read_maps_or_explain(pid, raw.memory_tid);
  files.set_proc_tid(raw.memory_tid);
  files.open_all(raw.mappings);
  copy_special_mappings(raw.memory_tid, raw);

  FrozenProcess frozen = FrozenProcess::freeze(pid, options.freeze);
  capture_threads(frozen, raw, options.stack_cap);
  auto released = frozen.resume();
  raw.freeze_duration = released - frozen.started();

  for (const RawThread& thread : raw.threads) {
    raw.bytes_copied += thread.stack.bytes.size() + sizeof(Registers);
    if (!thread.error.empty()) {
      spdlog::warn("pid {} tid {}: partial capture: {}", pid, thread.tid, thread.error);
    }
  }
  return raw;
}

}  // namespace stray
