// Names the frames of unwound stacks with libdwfl: demangled function,
// module, offset, source file and line, and one extra frame for each inlined
// call. Modules are cached by build-id across snapshots.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "stray/model.hpp"

namespace stray {

class ModuleFiles;

struct SymbolizerOptions {
  // Roots searched for separate debug files, in order: ROOT/.build-id/xx/yyyy.debug
  // for the module's build-id, then ROOT/DIR/DEBUGLINK for its .gnu_debuglink
  // name (after DIR/DEBUGLINK and DIR/.debug/DEBUGLINK). debuginfod is never
  // used: it would dlopen libcurl and may reach the network.
  std::vector<std::string> debug_roots{"/usr/lib/debug"};
  // Also look up source lines and inlined calls in the C and C++ runtime
  // libraries (libc, libstdc++...). Off by default: names still come from
  // their symbol tables, but opening libc6-dbg's compressed DWARF costs about
  // 130 ms (libdw 0.188 inflates every debug section at open), and a leak is
  // rarely explained by a line inside libc.
  bool runtime_source = false;
};

// Counters since construction, for tests and cost reports.
struct SymbolizerStats {
  std::size_t modules_opened = 0;  // ELF files and memory images reported to libdwfl
  std::size_t lookups = 0;         // addresses looked up through libdwfl
  std::size_t cache_hits = 0;      // addresses served from the per-module cache
};

// Not thread-safe. Modules stay cached for the lifetime of the object, so
// memory grows with the number of distinct build-ids and addresses seen.
class Symbolizer {
 public:
  Symbolizer();
  explicit Symbolizer(SymbolizerOptions options);
  ~Symbolizer();
  Symbolizer(const Symbolizer&) = delete;
  Symbolizer& operator=(const Symbolizer&) = delete;

  // Fills the symbol fields of every frame of `frames` (innermost first) and
  // inserts a FrameKind::inlined frame for each inlined call, innermost
  // first, before the frame of the function they were inlined into. A return
  // address is looked up at pc - 1 so the call site is named. The innermost
  // frame, a signal frame and the frame interrupted by a signal are looked
  // up at pc itself. Inlined frames already in `frames` are replaced.
  void symbolize(const RawSnapshot& raw, ModuleFiles& files, std::vector<Frame>& frames);

  // Hex build-id of the ELF file backing `mapping`, empty when unknown.
  std::string build_id(const Mapping& mapping, ModuleFiles& files);

  const SymbolizerStats& stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace stray
