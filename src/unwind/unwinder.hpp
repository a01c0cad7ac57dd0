// Unwinds captured stacks offline with libunwind. The address space that
// libunwind sees is the RawSnapshot: registers from the capture, stack bytes
// from the copied stack, code and unwind tables from the mapped ELF files
// (through ModuleFiles), the [vdso] from its captured copy. The live process
// is never read.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "stray/model.hpp"

namespace stray {

class ModuleFiles;

// libunwind's cache of register rules by pc (unw_set_caching_policy). With
// none, every step searches the unwind table and parses the FDE again: 2 to 4
// times slower in the 1001-thread test of tests/unwind_test.cpp. global and
// per_thread measured the same there.
enum class UnwindCache { global, per_thread, none };

struct UnwindOptions {
  std::size_t max_frames = 256;  // a deeper stack ends with UnwindEnd::frame_limit
  UnwindCache cache = UnwindCache::global;
  // Return a thread's previous stack when its registers and the stack bytes
  // that its unwind read are unchanged (see Unwinder::unwind).
  bool reuse_stacks = true;
};

struct UnwoundStack {
  std::vector<Frame> frames;  // innermost first; pc, sp and kind filled
  UnwindEnd end = UnwindEnd::outermost;
  std::string detail;         // a human-readable cause when end is not outermost
};

// Not thread-safe: one thread at a time may call unwind().
class Unwinder {
 public:
  explicit Unwinder(UnwindOptions options = {});
  ~Unwinder();
  Unwinder(const Unwinder&) = delete;
  Unwinder& operator=(const Unwinder&) = delete;

  // Unwinds every thread of `raw`, in the order of raw.threads. Per-module
  // unwind tables stay cached in this object across calls, so a later
  // snapshot of the same process is cheaper than the first. A thread whose
  // registers and read stack bytes equal those of the previous call gets
  // its previous stack back without an unwind, while the file-backed
  // mappings and memory copies stay the same.
  std::vector<UnwoundStack> unwind(const RawSnapshot& raw, ModuleFiles& files);

  // Number of stacks that the last unwind() call reused from the call before.
  std::size_t reused_stacks() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace stray
