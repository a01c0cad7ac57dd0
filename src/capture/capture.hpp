// Copies what unwinding needs while a process is frozen, then lets it go.
#pragma once

#include <cstddef>

#include "freeze/freezer.hpp"
#include "stray/model.hpp"

namespace stray {

class ModuleFiles;

struct CaptureOptions {
  FreezeOptions freeze;
  // Most bytes copied from one thread's stack, counted from its stack
  // pointer; a deeper stack is cut here and marked truncated.
  std::size_t stack_cap = 1024 * 1024;
};

// Reads the maps, opens the mapped files into `files`, freezes `pid`,
// copies registers and live stacks, resumes, and returns the copy with the
// freeze duration and bytes copied. Throws stray::Error when the process
// cannot be frozen.
RawSnapshot capture_process(int pid, ModuleFiles& files, const CaptureOptions& options = {});

}  // namespace stray
