#include "unwind/unwinder.hpp"

#include <libunwind.h>

#include <spdlog/spdlog.h>

#include <tuple>

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

}  // namespace

struct Unwinder::Impl {
  UnwindOptions options;
  unw_addr_space_t space = nullptr;
  unwind::ModuleCache modules;
  CodeLayout last_code_layout;
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

  unwind::SnapshotMemory memory(raw, files, impl_->modules);
  std::vector<UnwoundStack> stacks;
  stacks.reserve(raw.threads.size());
  for (const auto& thread : raw.threads) {
    stacks.push_back(unwind_thread(memory, thread));
  }
  return stacks;
}

UnwoundStack Unwinder::unwind_thread(const unwind::SnapshotMemory& memory,
                                     const RawThread& thread) {
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
  return unwind::walk_stack(impl_->space, address_space, impl_->options.max_frames);
}

}  // namespace stray
