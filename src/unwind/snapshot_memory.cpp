#include "unwind/snapshot_memory.hpp"

#include <algorithm>
#include <cstring>

#include "proc/module_files.hpp"
#include "unwind/module_cache.hpp"

namespace stray::unwind {

namespace {

bool read_from(std::span<const std::uint8_t> bytes, std::uint64_t offset, std::uint64_t* value) {
  if (offset > bytes.size() || bytes.size() - offset < sizeof *value) return false;
  std::memcpy(value, bytes.data() + offset, sizeof *value);
  return true;
}

const MemoryCopy* copy_at(const std::vector<MemoryCopy>& memory, RemoteAddress start) {
  for (const auto& copy : memory) {
    if (copy.base == start && !copy.bytes.empty()) return &copy;
  }
  return nullptr;
}

}  // namespace

SnapshotMemory::SnapshotMemory(const RawSnapshot& raw, ModuleFiles& files, ModuleCache& cache)
    : memory_(&raw.memory) {
  regions_.reserve(raw.mappings.size());
  for (const auto& mapping : raw.mappings) {
    if (mapping.end <= mapping.start) continue;
    regions_.push_back(resolve(mapping, raw, files, cache));
  }
  std::sort(regions_.begin(), regions_.end(), [](const Region& left, const Region& right) {
    return left.mapping->start < right.mapping->start;
  });
}

Region SnapshotMemory::resolve(const Mapping& mapping, const RawSnapshot& raw,
                               ModuleFiles& files, ModuleCache& cache) {
  // A copy of the live memory is preferred over the file it was mapped from.
  if (const MemoryCopy* copy = copy_at(raw.memory, mapping.start)) {
    return resolve_copy(mapping, *copy);
  }
  Region region{&mapping, {}, nullptr, 0};
  if (!mapping.file_backed() || !mapping.readable()) return region;

  int fd = files.fd_for(mapping);
  const ModuleImage* image = fd < 0 ? nullptr : cache.image_for_fd(fd);
  if (image == nullptr) return region;

  // NOTE: a writable file-backed mapping (.data, .got) is served from the
  // file, so it shows the bytes before relocation and not the live values.
  // libunwind reads there only for CFI indirect pointers such as the
  // personality routine, which a step does not use.
  auto file = image->bytes();
  if (mapping.offset < file.size()) {
    std::size_t length = std::min<std::uint64_t>(mapping.end - mapping.start,
                                                 file.size() - mapping.offset);
    region.bytes = file.subspan(mapping.offset, length);
  }
  if (image->layout()) {
    if (auto bias = image->layout()->load_bias(mapping.start, mapping.offset)) {
      region.layout = &*image->layout();
      region.load_bias = *bias;
    }
  }
  return region;
}

Region SnapshotMemory::resolve_copy(const Mapping& mapping, const MemoryCopy& copy) {
  std::size_t length = std::min<std::uint64_t>(mapping.end - mapping.start, copy.bytes.size());
  Region region{&mapping, std::span(copy.bytes).first(length), nullptr, 0};
  // The [vdso] is a whole ELF image mapped at offset 0.
  if (auto layout = read_elf_unwind_layout(region.bytes)) {
    if (auto bias = layout->load_bias(mapping.start, 0)) {
      region.layout = &copy_layouts_.emplace_back(std::move(*layout));
      region.load_bias = *bias;
    }
  }
  return region;
}

const Region* SnapshotMemory::find(RemoteAddress address) const {
  auto after = std::upper_bound(
      regions_.begin(), regions_.end(), address,
      [](RemoteAddress value, const Region& region) { return value < region.mapping->start; });
  if (after == regions_.begin()) return nullptr;
  const Region& region = *(after - 1);
  return region.mapping->contains(address) ? &region : nullptr;
}

bool SnapshotMemory::read_word(RemoteAddress address, std::uint64_t* value) const {
  if (const Region* region = find(address)) {
    if (read_from(region->bytes, address - region->mapping->start, value)) return true;
  }
  for (const auto& copy : *memory_) {
    if (address >= copy.base && read_from(copy.bytes, address - copy.base, value)) return true;
  }
  return false;
}

}  // namespace stray::unwind
