#include "unwind/snapshot_accessors.hpp"

#include <algorithm>
#include <cstring>

#include "unwind/snapshot_memory.hpp"

// Exported by libunwind-x86_64.so.8 (nongnu libunwind 1.6.2) but declared in
// no public header. It binary-searches a .eh_frame_hdr table described by an
// unw_dyn_info_t of format UNW_INFO_FORMAT_REMOTE_TABLE, reading it through
// the address space's access_mem, and fills `info` from the FDE it finds.
extern "C" int _Ux86_64_dwarf_search_unwind_table(unw_addr_space_t space, unw_word_t ip,
                                                  unw_dyn_info_t* table, unw_proc_info_t* info,
                                                  int need_unwind_info, void* arg);

namespace stray::unwind {

namespace {

ThreadAddressSpace& context_of(void* arg) { return *static_cast<ThreadAddressSpace*>(arg); }

bool read_stack_word(const StackCopy& stack, RemoteAddress address, std::uint64_t* value) {
  if (address < stack.base || address - stack.base > stack.bytes.size()) return false;
  if (stack.bytes.size() - (address - stack.base) < sizeof *value) return false;
  std::memcpy(value, stack.bytes.data() + (address - stack.base), sizeof *value);
  return true;
}

bool read_region_word(const Region& region, RemoteAddress address, std::uint64_t* value) {
  std::uint64_t offset = address - region.mapping->start;
  if (!region.mapping->contains(address) || offset > region.bytes.size()) return false;
  if (region.bytes.size() - offset < sizeof *value) return false;
  std::memcpy(value, region.bytes.data() + offset, sizeof *value);
  return true;
}

int access_mem(unw_addr_space_t, unw_word_t address, unw_word_t* value, int write, void* arg) {
  ThreadAddressSpace& thread = context_of(arg);
  if (write) return -UNW_EREADONLYREG;

  std::uint64_t word = 0;
  bool found = read_stack_word(*thread.stack, address, &word);
  if (found) {
    thread.note_stack_read(address);
  } else if (thread.last_region) {
    found = read_region_word(*thread.last_region, address, &word);
  }
  if (!found) {
    if (const Region* region = thread.memory->find(address)) thread.last_region = region;
    found = thread.memory->read_word(address, &word);
  }
  if (!found) {
    thread.failed_read = address;
    thread.failed_read_beyond_copy =
        address >= thread.stack_copy_end && address < thread.stack_mapping_end;
    return -UNW_EINVAL;
  }
  *value = word;
  return 0;
}

const std::uint64_t* register_slot(const Registers& registers, unw_regnum_t number) {
  switch (number) {
    case UNW_X86_64_RAX: return &registers.rax;
    case UNW_X86_64_RDX: return &registers.rdx;
    case UNW_X86_64_RCX: return &registers.rcx;
    case UNW_X86_64_RBX: return &registers.rbx;
    case UNW_X86_64_RSI: return &registers.rsi;
    case UNW_X86_64_RDI: return &registers.rdi;
    case UNW_X86_64_RBP: return &registers.rbp;
    case UNW_X86_64_RSP: return &registers.rsp;
    case UNW_X86_64_R8: return &registers.r8;
    case UNW_X86_64_R9: return &registers.r9;
    case UNW_X86_64_R10: return &registers.r10;
    case UNW_X86_64_R11: return &registers.r11;
    case UNW_X86_64_R12: return &registers.r12;
    case UNW_X86_64_R13: return &registers.r13;
    case UNW_X86_64_R14: return &registers.r14;
    case UNW_X86_64_R15: return &registers.r15;
    case UNW_X86_64_RIP: return &registers.rip;
    default: return nullptr;
  }
}

int access_reg(unw_addr_space_t, unw_regnum_t number, unw_word_t* value, int write, void* arg) {
  if (write) return -UNW_EREADONLYREG;
  const std::uint64_t* slot = register_slot(*context_of(arg).registers, number);
  if (slot == nullptr) return -UNW_EBADREG;
  *value = *slot;
  return 0;
}

int access_fpreg(unw_addr_space_t, unw_regnum_t, unw_fpreg_t*, int, void*) {
  return -UNW_EBADREG;  // the capture keeps no floating-point registers
}

int find_proc_info(unw_addr_space_t space, unw_word_t ip, unw_proc_info_t* info,
                   int need_unwind_info, void* arg) {
  ThreadAddressSpace& thread = context_of(arg);
  const Region* region = thread.memory->find(ip);
  if (region == nullptr || !region->mapping->executable() || region->layout == nullptr ||
      !region->layout->eh_frame) {
    thread.no_unwind_info = true;
    return -UNW_ENOINFO;
  }

  const EhFrameTable& table = *region->layout->eh_frame;
  unw_dyn_info_t search{};
  search.start_ip = region->mapping->start;
  search.end_ip = region->mapping->end;
  search.format = UNW_INFO_FORMAT_REMOTE_TABLE;
  search.u.rti.segbase = region->load_bias + table.header_vaddr;
  search.u.rti.table_data = region->load_bias + table.table_vaddr;
  // In unw_word_t units; each table entry is two 32-bit values.
  search.u.rti.table_len = table.fde_count * 8 / sizeof(unw_word_t);

  int result = _Ux86_64_dwarf_search_unwind_table(space, ip, &search, info, need_unwind_info, arg);
  if (result == -UNW_ENOINFO) thread.no_unwind_info = true;
  return result;
}

// dwarf_search_unwind_table hands out FDE info that libunwind frees itself
// (format UNW_INFO_FORMAT_TABLE), so there is nothing to release here.
void put_unwind_info(unw_addr_space_t, unw_proc_info_t*, void*) {}

int get_dyn_info_list_addr(unw_addr_space_t, unw_word_t*, void*) { return -UNW_ENOINFO; }

int resume(unw_addr_space_t, unw_cursor_t*, void*) { return -UNW_EINVAL; }

int get_proc_name(unw_addr_space_t, unw_word_t, char*, std::size_t, unw_word_t*, void*) {
  return -UNW_ENOINFO;  // symbolization is a later stage
}

}  // namespace

ThreadAddressSpace::ThreadAddressSpace(const SnapshotMemory& memory_view, const RawThread& thread,
                                       const Mapping* stack_mapping)
    : memory(&memory_view),
      registers(&thread.registers),
      stack(&thread.stack),
      stack_copy_end(thread.stack.base + thread.stack.bytes.size()),
      stack_mapping_end(thread.stack.mapping_end) {
  if (stack_mapping_end == 0 && stack_mapping != nullptr) stack_mapping_end = stack_mapping->end;
  if (thread.stack.bytes.empty()) stack_copy_end = thread.registers.rsp;
}

void ThreadAddressSpace::reset_observations() {
  no_unwind_info = false;
  failed_read.reset();
  failed_read_beyond_copy = false;
}

void ThreadAddressSpace::note_stack_read(RemoteAddress address) {
  stack_read_begin = std::min(stack_read_begin, address);
  stack_read_end = std::max(stack_read_end, address + sizeof(std::uint64_t));
}

unw_accessors_t* snapshot_accessors() {
  static unw_accessors_t accessors = {
      .find_proc_info = find_proc_info,
      .put_unwind_info = put_unwind_info,
      .get_dyn_info_list_addr = get_dyn_info_list_addr,
      .access_mem = access_mem,
      .access_reg = access_reg,
      .access_fpreg = access_fpreg,
      .resume = resume,
      .get_proc_name = get_proc_name,
  };
  return &accessors;
}

}  // namespace stray::unwind
