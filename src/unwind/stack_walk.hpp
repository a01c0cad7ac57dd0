// The step loop for one thread: libunwind steps from the captured registers
// outwards, and each step's frame is checked and classified before it is
// kept.
#pragma once

#include <libunwind.h>

#include <cstddef>

#include "unwind/unwinder.hpp"

namespace stray::unwind {

class SnapshotMemory;
struct ThreadAddressSpace;

// Unwinds the thread described by `thread` in `space`, whose accessors are
// snapshot_accessors(). Never returns more than `max_frames` frames.
UnwoundStack walk_stack(unw_addr_space_t space, ThreadAddressSpace& thread,
                        std::size_t max_frames);

}  // namespace stray::unwind
