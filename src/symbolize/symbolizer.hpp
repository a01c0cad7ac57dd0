// Names the frames of unwound stacks with libdwfl: demangled function,
// module, offset, source file and line, and one extra frame for each inlined
// call. Modules are cached by build-id across snapshots.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "stray/model.hpp"

namespace stray {

class ModuleFiles;

class Symbolizer {
 public:
  Symbolizer();
  ~Symbolizer();
  Symbolizer(const Symbolizer&) = delete;
  Symbolizer& operator=(const Symbolizer&) = delete;

  // Fills the symbol fields of every frame of `frames` (innermost first) and
  // inserts a FrameKind::inlined frame for each inlined call. A return
  // address is looked up at pc - 1 so the call site is named; the innermost
  // frame, a signal frame and the frame interrupted by a signal are looked
  // up at pc itself.
  void symbolize(const RawSnapshot& raw, ModuleFiles& files, std::vector<Frame>& frames);

  // Hex build-id of the ELF file backing `mapping`, empty when unknown.
  std::string build_id(const Mapping& mapping, ModuleFiles& files);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace stray
