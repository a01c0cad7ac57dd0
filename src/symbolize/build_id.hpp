// GNU build-id notes of ELF files and memory images, as lower-case hex.
#pragma once

#include <cstddef>
#include <string>

#include <libelf.h>

namespace stray::symbolize {

std::string to_hex(const void* bytes, std::size_t size);

// Hex of the NT_GNU_BUILD_ID note of `elf`, empty when it has none.
std::string elf_build_id(Elf* elf);

struct ElfIdentity {
  bool is_elf = false;
  std::string build_id;  // hex, empty when the file has no build-id note
};

// Reads the ELF header and build-id of the file open on `fd` (not consumed).
ElfIdentity read_elf_identity(int fd);

// The same for an ELF image in memory, such as a copy of the [vdso].
ElfIdentity read_elf_identity(const void* image, std::size_t size);

}  // namespace stray::symbolize
