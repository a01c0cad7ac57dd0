// libunwind accessors (unw_accessors_t) that read one thread of a
// RawSnapshot: registers from the capture, stack words from the stack copy,
// code and .eh_frame from SnapshotMemory, and FDEs through the cached
// .eh_frame_hdr tables. They never touch the live process.
#pragma once

#include <libunwind.h>

#include <cstdint>
#include <optional>

#include "stray/model.hpp"

namespace stray::unwind {

class SnapshotMemory;
struct Region;

// The `arg` handed to every accessor during the unwind of one thread.
struct ThreadAddressSpace {
  ThreadAddressSpace(const SnapshotMemory& memory, const RawThread& thread,
                     const Mapping* stack_mapping);

  const SnapshotMemory* memory;
  const Registers* registers;
  const StackCopy* stack;
  RemoteAddress stack_copy_end;
  // End of the mapping that contains the stack. A read in [stack_copy_end,
  // stack_mapping_end) needed bytes that the capture cut off.
  RemoteAddress stack_mapping_end;
  const Region* last_region = nullptr;  // checked first, because reads come in runs
  // The stack copy bytes that the unwind read, [stack_read_begin,
  // stack_read_end); empty while stack_read_begin >= stack_read_end.
  RemoteAddress stack_read_begin = ~RemoteAddress{0};
  RemoteAddress stack_read_end = 0;

  // What the accessors saw since the last reset_observations().
  bool no_unwind_info = false;  // find_proc_info found no FDE for some pc
  std::optional<RemoteAddress> failed_read;
  bool failed_read_beyond_copy = false;

  void reset_observations();
  // Widens [stack_read_begin, stack_read_end) to cover the word at `address`.
  void note_stack_read(RemoteAddress address);
};

// The accessor table to pass to unw_create_addr_space.
unw_accessors_t* snapshot_accessors();

}  // namespace stray::unwind
