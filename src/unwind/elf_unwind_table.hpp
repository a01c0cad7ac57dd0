// Locates the .eh_frame_hdr binary search table of an ELF image (a module
// file mapped into stray, or the [vdso] copied from the target) by reading
// its program headers. Every offset read from the image is bounds-checked,
// because the image comes from the target.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace stray::unwind {

struct LoadSegment {
  std::uint64_t file_offset = 0;
  std::uint64_t vaddr = 0;
  std::uint64_t file_size = 0;
};

// The sorted table of (initial location, FDE) pairs that PT_GNU_EH_FRAME
// points at, as link-time virtual addresses of the image.
struct EhFrameTable {
  std::uint64_t header_vaddr = 0;  // start of .eh_frame_hdr; table entries are relative to it
  std::uint64_t table_vaddr = 0;   // first table entry
  std::uint64_t fde_count = 0;
};

struct ElfUnwindLayout {
  std::vector<LoadSegment> loads;
  // Absent when the image has no PT_GNU_EH_FRAME or its table is not in
  // the datarel sdata4 encoding that libunwind's search expects.
  std::optional<EhFrameTable> eh_frame;

  // Returns the load bias for a mapping of this image that starts at
  // `start` with file offset `offset`, or nullopt when no PT_LOAD covers it.
  std::optional<std::uint64_t> load_bias(std::uint64_t start, std::uint64_t offset) const;
};

// Parses a 64-bit little-endian ELF image. Returns nullopt when `image` is
// not such an ELF file or its program headers lie outside it.
std::optional<ElfUnwindLayout> read_elf_unwind_layout(std::span<const std::uint8_t> image);

}  // namespace stray::unwind
