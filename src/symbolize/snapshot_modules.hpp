// Finds, for an address of one snapshot, the mapping that contains it, the
// cached module of the mapped file and the file's load bias. Built per
// symbolize call, so it must be cheap to build. Each mapping is resolved
// once per call.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "stray/model.hpp"
#include "symbolize/module_cache.hpp"

namespace stray::symbolize {

struct AddressModule {
  const Mapping* mapping = nullptr;  // null when no mapping contains the address
  ElfModule* module = nullptr;       // null when the file or image is unavailable
  std::uint64_t bias = 0;            // runtime address minus link-time address
};

class SnapshotModules {
 public:
  // `raw`, `files` and `cache` must outlive this object.
  SnapshotModules(const RawSnapshot& raw, ModuleFiles& files, ModuleCache& cache);

  AddressModule find(RemoteAddress address);

 private:
  const Mapping* mapping_at(RemoteAddress address) const;
  AddressModule resolve(const Mapping& mapping);
  const MemoryCopy* memory_copy_of(const Mapping& mapping) const;
  std::uint64_t estimate_bias(const Mapping& mapping) const;

  const RawSnapshot& raw_;
  ModuleFiles& files_;
  ModuleCache& cache_;
  // /proc/PID/maps lists mappings by ascending address, which allows a
  // binary search. Other orders fall back to a linear scan.
  bool sorted_;
  std::unordered_map<const Mapping*, AddressModule> resolved_;
};

}  // namespace stray::symbolize
