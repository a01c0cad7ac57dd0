#include "symbolize/debuginfo.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <optional>

#include <gelf.h>
#include <spdlog/spdlog.h>

#include "symbolize/build_id.hpp"

namespace stray::symbolize {

namespace {

// Expected identity of the requested debug file.
struct DebugRequest {
  std::string build_id;          // hex; empty when the module has none
  const char* link = nullptr;    // .gnu_debuglink or .gnu_debugaltlink name
  std::optional<std::uint32_t> crc;  // checked only when build_id is empty
};

// The CRC-32 of .gnu_debuglink is zlib's crc32 (reflected polynomial 0xEDB88320).
constexpr std::array<std::uint32_t, 256> make_crc_table() {
  std::array<std::uint32_t, 256> table{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t value = i;
    for (int bit = 0; bit < 8; ++bit) value = (value & 1) ? (value >> 1) ^ 0xEDB88320u : value >> 1;
    table[i] = value;
  }
  return table;
}

std::optional<std::uint32_t> file_crc32(int fd) {
  static constexpr auto table = make_crc_table();
  std::uint32_t crc = 0xFFFFFFFFu;
  std::array<unsigned char, 65536> buffer;
  off_t offset = 0;
  for (;;) {
    ssize_t count = ::pread(fd, buffer.data(), buffer.size(), offset);
    if (count < 0) return std::nullopt;
    if (count == 0) break;
    for (ssize_t i = 0; i < count; ++i) crc = table[(crc ^ buffer[i]) & 0xff] ^ (crc >> 8);
    offset += count;
  }
  return crc ^ 0xFFFFFFFFu;
}

std::string directory_of(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? std::string() : path.substr(0, slash);
}

// Hex build-id stored in the .gnu_debugaltlink section of `file_name` when
// that section names `link`, else "". The section contains a NUL-terminated
// path followed by the build-id bytes of the dwz file.
std::string debugaltlink_build_id(const char* file_name, const char* link) {
  int fd = ::open(file_name, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {};
  std::string build_id;
  Elf* elf = elf_begin(fd, ELF_C_READ_MMAP, nullptr);
  std::size_t names_index = 0;
  if (elf != nullptr && elf_getshdrstrndx(elf, &names_index) == 0) {
    for (Elf_Scn* section = elf_nextscn(elf, nullptr); section != nullptr;
         section = elf_nextscn(elf, section)) {
      GElf_Shdr header;
      if (gelf_getshdr(section, &header) == nullptr) continue;
      const char* name = elf_strptr(elf, names_index, header.sh_name);
      if (name == nullptr || std::strcmp(name, ".gnu_debugaltlink") != 0) continue;
      Elf_Data* data = elf_getdata(section, nullptr);
      if (data == nullptr || data->d_buf == nullptr) break;
      const auto* bytes = static_cast<const char*>(data->d_buf);
      std::size_t path_size = ::strnlen(bytes, data->d_size);
      if (path_size < data->d_size && std::strcmp(bytes, link) == 0)
        build_id = to_hex(bytes + path_size + 1, data->d_size - path_size - 1);
      break;
    }
  }
  if (elf != nullptr) elf_end(elf);
  ::close(fd);
  return build_id;
}

DebugRequest describe_request(Dwfl_Module* module, const char* file_name,
                              const char* debuglink_file, GElf_Word debuglink_crc) {
  // libdwfl 0.188 (find_debug_altlink) requests the dwz file through this
  // same callback, passing the .gnu_debugaltlink path as the debuglink name
  // with a zero CRC.
  if (debuglink_file != nullptr && debuglink_crc == 0 && file_name != nullptr) {
    std::string alt_build_id = debugaltlink_build_id(file_name, debuglink_file);
    if (!alt_build_id.empty()) return {alt_build_id, debuglink_file, std::nullopt};
  }

  DebugRequest request;
  const unsigned char* bits = nullptr;
  GElf_Addr note_address = 0;
  int size = dwfl_module_build_id(module, &bits, &note_address);
  if (size > 0) request.build_id = to_hex(bits, static_cast<std::size_t>(size));
  request.link = debuglink_file;
  if (debuglink_file != nullptr) request.crc = debuglink_crc;
  return request;
}

std::vector<std::string> candidate_paths(const DebugSearch& search, const char* file_name,
                                         const DebugRequest& request) {
  std::vector<std::string> paths;
  if (request.build_id.size() > 2) {
    for (const std::string& root : search.roots)
      paths.push_back(root + "/.build-id/" + request.build_id.substr(0, 2) + "/" +
                      request.build_id.substr(2) + ".debug");
  }
  if (request.link == nullptr) return paths;

  std::string link = request.link;
  if (link.starts_with('/')) {
    paths.push_back(link);
    return paths;
  }
  // Relative debuglink names resolve against the directory of the main file,
  // which is only known when the module was reported with an absolute path.
  if (file_name == nullptr || file_name[0] != '/') return paths;
  std::string directory = directory_of(file_name);
  paths.push_back(directory + "/" + link);
  paths.push_back(directory + "/.debug/" + link);
  for (const std::string& root : search.roots) paths.push_back(root + directory + "/" + link);
  return paths;
}

bool matches(int fd, const DebugRequest& request) {
  if (!request.build_id.empty()) return read_elf_identity(fd).build_id == request.build_id;
  if (request.crc) return file_crc32(fd) == request.crc;
  return false;
}

}  // namespace

int find_debuginfo(Dwfl_Module* module, void** userdata, const char* module_name,
                   Dwarf_Addr /*base*/, const char* file_name, const char* debuglink_file,
                   GElf_Word debuglink_crc, char** debuginfo_file_name) {
  const auto* search = static_cast<const DebugSearch*>(*userdata);
  if (search == nullptr) return -1;

  DebugRequest request = describe_request(module, file_name, debuglink_file, debuglink_crc);
  for (const std::string& path : candidate_paths(*search, file_name, request)) {
    if (file_name != nullptr && path == file_name) continue;
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    if (matches(fd, request)) {
      spdlog::debug("debug file {} found for module {}", path, module_name);
      *debuginfo_file_name = ::strdup(path.c_str());
      return fd;  // libdwfl owns it from here
    }
    spdlog::debug("debug file {} rejected for module {}: build-id or CRC differs", path,
                  module_name);
    ::close(fd);
  }
  return -1;
}

}  // namespace stray::symbolize
