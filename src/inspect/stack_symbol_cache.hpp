// Symbolized frames per distinct unwound stack. The threads of a pool share
// their pcs, so each distinct stack is symbolized once per snapshot, and a
// later snapshot reuses it while the executable mappings stay the same.
#pragma once

#include <cstddef>
#include <map>
#include <tuple>
#include <utility>
#include <vector>

#include "stray/model.hpp"

namespace stray {

class ModuleFiles;
class Symbolizer;

class StackSymbolCache {
 public:
  // Forgets every stack when the executable mappings of `raw` differ from
  // those of the previous snapshot: the same pc may then be other code.
  void begin_snapshot(const RawSnapshot& raw);

  // Replaces `frames`, as unwound, by their symbolized form with inlined
  // frames inserted; each frame keeps this thread's own sp.
  void symbolize(Symbolizer& symbolizer, const RawSnapshot& raw, ModuleFiles& files,
                 std::vector<Frame>& frames);

 private:
  using StackKey = std::vector<std::pair<RemoteAddress, FrameKind>>;
  using MappingKey = std::tuple<RemoteAddress, RemoteAddress, std::uint64_t, std::uint64_t>;

  // Most stacks kept; a process with more distinct stacks than this starts
  // the cache over rather than growing it without bound.
  static constexpr std::size_t kMaxStacks = 8192;

  std::vector<MappingKey> executable_mappings_;
  std::map<StackKey, std::vector<Frame>> stacks_;
};

}  // namespace stray
