#include "unwind/unwinder.hpp"

#include <libunwind.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>
#include <tuple>
#include <unordered_map>

#include "unwind/module_cache.hpp"
#include "unwind/snapshot_accessors.hpp"
#include "unwind/snapshot_memory.hpp"
#include "unwind/stack_walk.hpp"

namespace stray {

namespace {

// Entries in libunwind's cache of register rules, one per distinct pc. The
// default of libunwind 1.6.2 is 128, fewer than the distinct return
// addresses of a large process, and a miss costs a table search and an FDE
// parse.
constexpr std::size_t kRegisterRuleCacheEntries = 4096;

unw_caching_policy_t to_libunwind(UnwindCache cache) {
  switch (cache) {
    case UnwindCache::global: return UNW_CACHE_GLOBAL;
    case UnwindCache::per_thread: return UNW_CACHE_PER_THREAD;
    case UnwindCache::none: return UNW_CACHE_NONE;
  }
  return UNW_CACHE_GLOBAL;
}

// The executable mappings decide which code an address contains, so libunwind's
// cache of register rules by pc stays valid while they are unchanged.
using CodeLayout = std::vector<std::tuple<RemoteAddress, RemoteAddress, std::uint64_t,
                                          std::uint64_t, std::string>>;

CodeLayout code_layout_of(const RawSnapshot& raw) {
  CodeLayout layout;
  for (const auto& mapping : raw.mappings) {
    if (!mapping.executable()) continue;
    layout.emplace_back(mapping.start, mapping.end, mapping.offset, mapping.inode, mapping.path);
  }
  return layout;
}

// Besides the thread's registers and stack copy, an unwind reads only the
// file-backed mappings and the memory copies. While both are unchanged, the
// same registers and stack bytes unwind to the same frames.
struct ReadableMemory {
  CodeLayout files;
  std::vector<std::pair<RemoteAddress, std::vector<std::uint8_t>>> copies;

  bool operator==(const ReadableMemory&) const = default;
};

ReadableMemory readable_memory_of(const RawSnapshot& raw) {
  ReadableMemory memory;
  for (const auto& mapping : raw.mappings) {
    if (!mapping.file_backed()) continue;
    memory.files.emplace_back(mapping.start, mapping.end, mapping.offset, mapping.inode,
                              mapping.path);
  }
  for (const MemoryCopy& copy : raw.memory) memory.copies.emplace_back(copy.base, copy.bytes);
  return memory;
}

// A thread's unwound stack with the inputs that decided it, kept for the
// next snapshot of the same process.
struct KnownStack {
  std::uint64_t start_time = 0;
  Registers registers{};
  RemoteAddress stack_base = 0;
  std::size_t stack_size = 0;
  RemoteAddress stack_mapping_end = 0;
  // The bytes of the stack copy that the unwind read, from read_begin on.
  RemoteAddress read_begin = 0;
  std::vector<std::uint8_t> read_bytes;
  UnwoundStack stack;
};

bool same_registers(const Registers& left, const Registers& right) {
  return std::memcmp(&left, &right, sizeof left) == 0;
}

// True when `thread` has the inputs that `known` was unwound from, so its
// unwind would return known.stack again.
bool unwinds_like(const KnownStack& known, const RawThread& thread) {
  const StackCopy& stack = thread.stack;
  if (!thread.registers_valid || known.start_time != thread.start_time || known.stack_base != stack.base ||
      known.stack_size != stack.bytes.size() || known.stack_mapping_end != stack.mapping_end ||
      !same_registers(known.registers, thread.registers)) {
    return false;
  }
  if (known.read_bytes.empty()) return true;
  const std::uint8_t* read = stack.bytes.data() + (known.read_begin - stack.base);
  return std::memcmp(read, known.read_bytes.data(), known.read_bytes.size()) == 0;
}

KnownStack remember(const RawThread& thread, const unwind::ThreadAddressSpace& space,
                    const UnwoundStack& stack) {
  KnownStack known;
  known.start_time = thread.start_time;
  known.registers = thread.registers;
  known.stack_base = thread.stack.base;
  known.stack_size = thread.stack.bytes.size();
  known.stack_mapping_end = thread.stack.mapping_end;
  if (space.stack_read_begin < space.stack_read_end) {
    known.read_begin = space.stack_read_begin;
    auto begin = thread.stack.bytes.begin() + (space.stack_read_begin - thread.stack.base);
    known.read_bytes.assign(begin, begin + (space.stack_read_end - space.stack_read_begin));
  }
  known.stack = stack;
  return known;
}

// Unwinds `thread` and records it in `known` for the next snapshot.
UnwoundStack unwind_thread(unw_addr_space_t space, std::size_t max_frames,
                           const unwind::SnapshotMemory& memory, const RawThread& thread,
                           std::unordered_map<int, KnownStack>& known) {
  if (!thread.registers_valid) {
    UnwoundStack stack;
    stack.end = UnwindEnd::no_registers;
    stack.detail = thread.error.empty()
                       ? "the registers of this thread were not captured"
                       : "the registers of this thread were not captured: " + thread.error;
    return stack;
  }
  const unwind::Region* stack_region = memory.find(thread.registers.rsp);
  unwind::ThreadAddressSpace address_space(memory, thread,
                                           stack_region ? stack_region->mapping : nullptr);
  UnwoundStack stack = unwind::walk_stack(space, address_space, max_frames);
  // Without the end of its mapping from the capture, the end that the unwind
  // used comes from the mappings, which the reuse check does not compare.
  if (thread.stack.mapping_end != 0) {
    known.insert_or_assign(thread.tid, remember(thread, address_space, stack));
  }
  return stack;
}

}  // namespace

struct Unwinder::Impl {
  UnwindOptions options;
  unw_addr_space_t space = nullptr;
  unwind::ModuleCache modules;
  CodeLayout last_code_layout;
  ReadableMemory last_memory;
  // The stacks of the previous snapshot by tid, valid while last_memory is.
  std::unordered_map<int, KnownStack> known_stacks;
  std::size_t reused_stacks = 0;
};

Unwinder::Unwinder(UnwindOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = options;
  impl_->space = unw_create_addr_space(unwind::snapshot_accessors(), 0);
  if (impl_->space == nullptr) throw std::bad_alloc();
  int result = unw_set_caching_policy(impl_->space, to_libunwind(options.cache));
  if (result != 0) {
    spdlog::warn("unwind: unw_set_caching_policy failed: {}", unw_strerror(result));
  }
  result = unw_set_cache_size(impl_->space, kRegisterRuleCacheEntries, 0);
  if (result != 0) {
    spdlog::warn("unwind: unw_set_cache_size({}) failed: {}", kRegisterRuleCacheEntries,
                 unw_strerror(result));
  }
}

Unwinder::~Unwinder() { unw_destroy_addr_space(impl_->space); }

std::vector<UnwoundStack> Unwinder::unwind(const RawSnapshot& raw, ModuleFiles& files) {
  CodeLayout code_layout = code_layout_of(raw);
  if (code_layout != impl_->last_code_layout) {
    unw_flush_cache(impl_->space, 0, 0);
    impl_->last_code_layout = std::move(code_layout);
  }

  ReadableMemory readable = readable_memory_of(raw);
  if (readable != impl_->last_memory) {
    impl_->known_stacks.clear();
    impl_->last_memory = std::move(readable);
  }

  unwind::SnapshotMemory memory(raw, files, impl_->modules);
  std::unordered_map<int, KnownStack> known_now;
  known_now.reserve(raw.threads.size());
  std::vector<UnwoundStack> stacks;
  stacks.reserve(raw.threads.size());
  impl_->reused_stacks = 0;
  for (const auto& thread : raw.threads) {
    auto known = impl_->known_stacks.find(thread.tid);
    if (impl_->options.reuse_stacks && known != impl_->known_stacks.end() &&
        unwinds_like(known->second, thread)) {
      stacks.push_back(known->second.stack);
      ++impl_->reused_stacks;
      known_now.insert(impl_->known_stacks.extract(known));
      continue;
    }
    stacks.push_back(
        unwind_thread(impl_->space, impl_->options.max_frames, memory, thread, known_now));
  }
  impl_->known_stacks = std::move(known_now);
  return stacks;
}

std::size_t Unwinder::reused_stacks() const { return impl_->reused_stacks; }

}  // namespace stray
