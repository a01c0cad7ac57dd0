#include "unwind/elf_unwind_table.hpp"

#include <elf.h>

#include <cstring>

namespace stray::unwind {

namespace {

// DWARF pointer encodings used by .eh_frame_hdr (LSB Core, "Exception Frame
// Header Format").
constexpr std::uint8_t kEncodingOmit = 0xff;
constexpr std::uint8_t kEncodingDatarelSdata4 = 0x3b;

template <typename T>
std::optional<T> read_at(std::span<const std::uint8_t> image, std::uint64_t offset) {
  if (offset > image.size() || image.size() - offset < sizeof(T)) return std::nullopt;
  T value;
  std::memcpy(&value, image.data() + offset, sizeof(T));
  return value;
}

// Size in bytes of a fixed-size DWARF pointer encoding; nullopt for the
// LEB128 forms and unknown values, which .eh_frame_hdr does not use in
// practice.
std::optional<std::uint64_t> encoded_size(std::uint8_t encoding) {
  switch (encoding & 0x0f) {
    case 0x00: return 8;  // absptr
    case 0x02: case 0x0a: return 2;
    case 0x03: case 0x0b: return 4;
    case 0x04: case 0x0c: return 8;
    default: return std::nullopt;
  }
}

std::optional<std::uint64_t> read_unsigned(std::span<const std::uint8_t> image,
                                           std::uint64_t offset, std::uint64_t size) {
  switch (size) {
    case 2: return read_at<std::uint16_t>(image, offset);
    case 4: return read_at<std::uint32_t>(image, offset);
    case 8: return read_at<std::uint64_t>(image, offset);
    default: return std::nullopt;
  }
}

std::optional<EhFrameTable> read_eh_frame_hdr(std::span<const std::uint8_t> image,
                                              const Elf64_Phdr& header) {
  auto version = read_at<std::uint8_t>(image, header.p_offset);
  auto frame_pointer_encoding = read_at<std::uint8_t>(image, header.p_offset + 1);
  auto count_encoding = read_at<std::uint8_t>(image, header.p_offset + 2);
  auto table_encoding = read_at<std::uint8_t>(image, header.p_offset + 3);
  if (!version || *version != 1 || !table_encoding) return std::nullopt;
  if (*table_encoding != kEncodingDatarelSdata4) return std::nullopt;
  if (*count_encoding == kEncodingOmit || *frame_pointer_encoding == kEncodingOmit) {
    return std::nullopt;
  }

  auto frame_pointer_size = encoded_size(*frame_pointer_encoding);
  auto count_size = encoded_size(*count_encoding);
  if (!frame_pointer_size || !count_size) return std::nullopt;

  std::uint64_t count_offset = 4 + *frame_pointer_size;
  auto count = read_unsigned(image, header.p_offset + count_offset, *count_size);
  if (!count) return std::nullopt;

  EhFrameTable table;
  table.header_vaddr = header.p_vaddr;
  table.table_vaddr = header.p_vaddr + count_offset + *count_size;
  table.fde_count = *count;
  // Each entry is two sdata4 values; the table must fit in the segment.
  std::uint64_t table_end = count_offset + *count_size + table.fde_count * 8;
  if (table.fde_count > header.p_filesz || table_end > header.p_filesz) return std::nullopt;
  return table;
}

}  // namespace

std::optional<std::uint64_t> ElfUnwindLayout::load_bias(std::uint64_t start,
                                                        std::uint64_t offset) const {
  for (const auto& segment : loads) {
    // A mapping starts at the page that contains the segment's first byte.
    std::uint64_t page_mask = ~std::uint64_t{0xfff};
    std::uint64_t first_page = segment.file_offset & page_mask;
    if (offset < first_page || offset >= segment.file_offset + segment.file_size) continue;
    std::uint64_t vaddr_of_offset = (segment.vaddr & page_mask) + (offset - first_page);
    return start - vaddr_of_offset;
  }
  return std::nullopt;
}

std::optional<ElfUnwindLayout> read_elf_unwind_layout(std::span<const std::uint8_t> image) {
  auto elf_header = read_at<Elf64_Ehdr>(image, 0);
  if (!elf_header) return std::nullopt;
  if (std::memcmp(elf_header->e_ident, ELFMAG, SELFMAG) != 0 ||
      elf_header->e_ident[EI_CLASS] != ELFCLASS64 ||
      elf_header->e_ident[EI_DATA] != ELFDATA2LSB ||
      elf_header->e_phentsize != sizeof(Elf64_Phdr)) {
    return std::nullopt;
  }

  ElfUnwindLayout layout;
  for (std::uint16_t i = 0; i < elf_header->e_phnum; ++i) {
    auto header = read_at<Elf64_Phdr>(image, elf_header->e_phoff + i * sizeof(Elf64_Phdr));
    if (!header) return std::nullopt;
    if (header->p_type == PT_LOAD) {
      layout.loads.push_back({header->p_offset, header->p_vaddr, header->p_filesz});
    } else if (header->p_type == PT_GNU_EH_FRAME) {
      layout.eh_frame = read_eh_frame_hdr(image, *header);
    }
  }
  return layout;
}

}  // namespace stray::unwind
