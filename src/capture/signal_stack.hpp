// Finds the stack a signal handler on a sigaltstack interrupted, so the
// capture can copy it as well as the alternate stack.
#pragma once

#include <optional>
#include <vector>

#include "stray/model.hpp"

namespace stray {

// The stack pointer saved in the innermost x86_64 signal frame (struct
// rt_sigframe) on `thread`'s copied stack whose interrupted code ran on
// another stack than the handler. Returns nothing when the copy holds no
// such frame. Reads only the copy, so the result is as trustworthy as a
// pattern match on target memory can be: every field is range-checked.
std::optional<RemoteAddress> interrupted_stack_pointer(const RawThread& thread,
                                                       const std::vector<Mapping>& mappings);

}  // namespace stray
