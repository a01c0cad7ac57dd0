#include "inspect/stack_symbol_cache.hpp"

#include "symbolize/symbolizer.hpp"

namespace stray {

namespace {

// Gives the symbolized frames the sp of this thread's own frames. An
// inlined frame comes before the physical frame it was expanded from and
// shares its sp.
void copy_stack_pointers(const std::vector<Frame>& unwound, std::vector<Frame>& symbolized) {
  std::size_t physical = 0;
  for (Frame& frame : symbolized) {
    if (physical >= unwound.size()) break;
    frame.sp = unwound[physical].sp;
    if (frame.kind != FrameKind::inlined) ++physical;
  }
}

}  // namespace

void StackSymbolCache::begin_snapshot(const RawSnapshot& raw) {
  std::vector<MappingKey> executable;
  for (const Mapping& mapping : raw.mappings) {
    if (mapping.executable()) {
      executable.emplace_back(mapping.start, mapping.end, mapping.offset, mapping.inode);
    }
  }
  if (executable != executable_mappings_) {
    stacks_.clear();
    executable_mappings_ = std::move(executable);
  }
}

void StackSymbolCache::symbolize(Symbolizer& symbolizer, const RawSnapshot& raw,
                                 ModuleFiles& files, std::vector<Frame>& frames) {
  StackKey key;
  key.reserve(frames.size());
  for (const Frame& frame : frames) key.emplace_back(frame.pc, frame.kind);

  auto found = stacks_.find(key);
  if (found == stacks_.end()) {
    if (stacks_.size() >= kMaxStacks) stacks_.clear();
    std::vector<Frame> symbolized = frames;
    symbolizer.symbolize(raw, files, symbolized);
    found = stacks_.emplace(std::move(key), std::move(symbolized)).first;
  }
  std::vector<Frame> result = found->second;
  copy_stack_pointers(frames, result);
  frames = std::move(result);
}

}  // namespace stray
