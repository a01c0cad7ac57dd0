#include "symbolize/snapshot_modules.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "proc/module_files.hpp"

namespace stray::symbolize {

SnapshotModules::SnapshotModules(const RawSnapshot& raw, ModuleFiles& files, ModuleCache& cache)
    : raw_(raw), files_(files), cache_(cache),
      sorted_(std::is_sorted(raw.mappings.begin(), raw.mappings.end(),
                             [](const Mapping& a, const Mapping& b) { return a.start < b.start; })) {}

AddressModule SnapshotModules::find(RemoteAddress address) {
  const Mapping* mapping = mapping_at(address);
  if (mapping == nullptr) return {};
  auto found = resolved_.find(mapping);
  if (found == resolved_.end()) found = resolved_.emplace(mapping, resolve(*mapping)).first;
  return found->second;
}

const Mapping* SnapshotModules::mapping_at(RemoteAddress address) const {
  const std::vector<Mapping>& mappings = raw_.mappings;
  if (!sorted_) {
    auto found = std::find_if(mappings.begin(), mappings.end(),
                              [address](const Mapping& mapping) { return mapping.contains(address); });
    return found == mappings.end() ? nullptr : &*found;
  }
  auto after = std::upper_bound(mappings.begin(), mappings.end(), address,
                                [](RemoteAddress value, const Mapping& mapping) {
                                  return value < mapping.start;
                                });
  if (after == mappings.begin()) return nullptr;
  const Mapping& mapping = *(after - 1);
  return mapping.contains(address) ? &mapping : nullptr;
}

AddressModule SnapshotModules::resolve(const Mapping& mapping) {
  AddressModule result{&mapping, nullptr, 0};
  if (mapping.file_backed()) {
    result.module = cache_.file_module(mapping, files_);
  } else if (const MemoryCopy* copy = memory_copy_of(mapping)) {
    result.module = cache_.memory_module(*copy, mapping.path);
  }

  if (result.module != nullptr) {
    if (std::optional<std::uint64_t> bias = result.module->load_bias(mapping)) {
      result.bias = *bias;
      return result;
    }
    spdlog::warn("pid {}: mapping {:x}-{:x} at offset {:x} of {} covers no PT_LOAD segment",
                 raw_.pid, mapping.start, mapping.end, mapping.offset, mapping.path);
    result.module = nullptr;
  }
  result.bias = estimate_bias(mapping);
  return result;
}

const MemoryCopy* SnapshotModules::memory_copy_of(const Mapping& mapping) const {
  for (const MemoryCopy& copy : raw_.memory) {
    if (copy.base == mapping.start && copy.bytes.size() == mapping.end - mapping.start)
      return &copy;
  }
  return nullptr;
}

// NOTE: without the ELF headers the bias is a guess: the start of the
// file's mapping at offset 0, which is right when the first PT_LOAD has
// p_vaddr 0 (usual for ET_DYN) and wrong for ET_EXEC.
std::uint64_t SnapshotModules::estimate_bias(const Mapping& mapping) const {
  for (const Mapping& other : raw_.mappings) {
    if (other.offset == 0 && other.inode == mapping.inode && other.path == mapping.path &&
        other.dev_major == mapping.dev_major && other.dev_minor == mapping.dev_minor)
      return other.start;
  }
  return mapping.start - mapping.offset;
}

}  // namespace stray::symbolize
