#include "symbolize/build_id.hpp"

#include <vector>

#include <elfutils/libdwelf.h>

namespace stray::symbolize {

namespace {

ElfIdentity identify(Elf* elf) {
  ElfIdentity identity;
  if (elf == nullptr) return identity;
  identity.is_elf = elf_kind(elf) == ELF_K_ELF;
  if (identity.is_elf) identity.build_id = elf_build_id(elf);
  elf_end(elf);
  return identity;
}

}  // namespace

std::string to_hex(const void* bytes, std::size_t size) {
  static constexpr char digits[] = "0123456789abcdef";
  const auto* data = static_cast<const unsigned char*>(bytes);
  std::string hex;
  hex.reserve(size * 2);
  for (std::size_t i = 0; i < size; ++i) {
    hex.push_back(digits[data[i] >> 4]);
    hex.push_back(digits[data[i] & 0xf]);
  }
  return hex;
}

std::string elf_build_id(Elf* elf) {
  const void* bits = nullptr;
  ssize_t size = dwelf_elf_gnu_build_id(elf, &bits);
  if (size <= 0) return {};
  return to_hex(bits, static_cast<std::size_t>(size));
}

ElfIdentity read_elf_identity(int fd) {
  elf_version(EV_CURRENT);
  return identify(elf_begin(fd, ELF_C_READ_MMAP, nullptr));
}

ElfIdentity read_elf_identity(const void* image, std::size_t size) {
  elf_version(EV_CURRENT);
  // elf_memory reads in ELF_C_READ_MMAP_PRIVATE mode, which may write to the
  // buffer, so it gets a private copy.
  const auto* bytes = static_cast<const char*>(image);
  std::vector<char> copy(bytes, bytes + size);
  return identify(elf_memory(copy.data(), copy.size()));
}

}  // namespace stray::symbolize
