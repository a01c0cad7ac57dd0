// Symbolizes addresses that a live target (tests/targets/symbolize_target)
// prints about itself, against the target's real /proc/PID/maps, files and
// debug info. No unwinding is involved: the frames are built from those
// addresses.
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "proc/module_files.hpp"
#include "proc/proc.hpp"
#include "support/target_process.hpp"
#include "symbolize/symbolizer.hpp"

namespace stray {
namespace {

namespace fs = std::filesystem;
using test::TargetProcess;

const std::string kTargetSource = "symbolize_target.cpp";
const std::string kTemplateFunction = "int stray_target::scaled<int>(int)";
const std::string kInlinedFunction = "stray_target::inlined_helper(int)";
const std::string kInlinedCaller = "stray_target::caller_with_inlined_call()";

std::uint64_t address_value(const TargetProcess& target, const std::string& key) {
  return std::stoull(target.value(key), nullptr, 16);
}

int line_value(const TargetProcess& target, const std::string& key) {
  return std::stoi(target.value(key));
}

RawSnapshot mappings_of(int pid) {
  RawSnapshot raw;
  raw.pid = pid;
  raw.mappings = proc::read_maps(pid);
  return raw;
}

Frame frame_at(RemoteAddress pc, FrameKind kind) {
  Frame frame;
  frame.pc = pc;
  frame.kind = kind;
  return frame;
}

// Symbolizes `return_address` as an outer frame, so it is looked up at pc - 1,
// and returns its frames without the empty innermost placeholder.
std::vector<Frame> name_return_address(Symbolizer& symbolizer, const RawSnapshot& raw,
                                       ModuleFiles& files, RemoteAddress return_address) {
  std::vector<Frame> frames{frame_at(0, FrameKind::innermost),
                            frame_at(return_address, FrameKind::cfi)};
  symbolizer.symbolize(raw, files, frames);
  frames.erase(frames.begin());
  return frames;
}

std::string basename_of(const std::string& path) { return fs::path(path).filename().string(); }

const Mapping* mapping_of_file(const RawSnapshot& raw, const std::string& suffix) {
  for (const Mapping& mapping : raw.mappings) {
    if (mapping.path.ends_with(suffix)) return &mapping;
  }
  return nullptr;
}

std::string readelf_build_id(const std::string& path) {
  test::CommandResult result = test::run_command({"readelf", "-n", path});
  auto at = result.out.find("Build ID: ");
  if (at == std::string::npos) return {};
  auto start = at + 10;
  return result.out.substr(start, result.out.find('\n', start) - start);
}

// A fresh directory under the system temporary directory, removed with its
// contents on destruction.
class ScratchDirectory {
 public:
  ScratchDirectory() {
    std::string pattern = (fs::temp_directory_path() / "stray-symbolize-XXXXXX").string();
    if (::mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~ScratchDirectory() {
    std::error_code ignored;
    if (!path_.empty()) fs::remove_all(path_, ignored);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

bool run(const std::vector<std::string>& argv) {
  test::CommandResult result = test::run_command(argv);
  EXPECT_EQ(result.exit_code(), 0) << argv[0] << " failed: " << result.err;
  return result.exit_code() == 0;
}

// Symbolizer that finds separate debug files only under `root`.
SymbolizerOptions debug_root(const fs::path& root) {
  SymbolizerOptions options;
  options.debug_roots = {root.string()};
  return options;
}

void expect_template_frame(const std::vector<Frame>& frames, const TargetProcess& target) {
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].function, kTemplateFunction);
  EXPECT_EQ(basename_of(frames[0].file), kTargetSource);
  EXPECT_EQ(frames[0].line, line_value(target, "template_line"));
  EXPECT_EQ(frames[0].kind, FrameKind::cfi);
}

TEST(Symbolize, TemplateInNamespace) {
  TargetProcess target("symbolize_target");
  ASSERT_NE(target.pid(), 0);
  RawSnapshot raw = mappings_of(target.pid());
  ModuleFiles files(target.pid());
  Symbolizer symbolizer;

  RemoteAddress pc = address_value(target, "template_pc");
  std::vector<Frame> frames = name_return_address(symbolizer, raw, files, pc);
  expect_template_frame(frames, target);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_GT(frames[0].column, 0);
  EXPECT_EQ(frames[0].pc, pc);
  EXPECT_EQ(frames[0].module, test::target_path("symbolize_target"));
  EXPECT_EQ(frames[0].module_offset, pc - address_value(target, "main_bias"));
  EXPECT_EQ(frames[0].build_id, readelf_build_id(test::target_path("symbolize_target")));
}

TEST(Symbolize, InlinedCallExpanded) {
  TargetProcess target("symbolize_target");
  ASSERT_NE(target.pid(), 0);
  RawSnapshot raw = mappings_of(target.pid());
  ModuleFiles files(target.pid());
  Symbolizer symbolizer;

  RemoteAddress pc = address_value(target, "inlined_pc");
  std::vector<Frame> frames = name_return_address(symbolizer, raw, files, pc);
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[0].kind, FrameKind::inlined);
  EXPECT_EQ(frames[0].function, kInlinedFunction);
  EXPECT_EQ(basename_of(frames[0].file), kTargetSource);
  EXPECT_EQ(frames[0].line, line_value(target, "inlined_line"));
  EXPECT_EQ(frames[1].kind, FrameKind::cfi);
  EXPECT_EQ(frames[1].function, kInlinedCaller);
  EXPECT_EQ(basename_of(frames[1].file), kTargetSource);
  EXPECT_EQ(frames[1].line, line_value(target, "inlined_call_line"));
  for (const Frame& frame : frames) {
    EXPECT_EQ(frame.pc, pc);
    EXPECT_EQ(frame.module_offset, pc - address_value(target, "main_bias"));
  }
}

TEST(Symbolize, InlinedFramesKeepThreadOrder) {
  TargetProcess target("symbolize_target");
  ASSERT_NE(target.pid(), 0);
  RawSnapshot raw = mappings_of(target.pid());
  ModuleFiles files(target.pid());
  Symbolizer symbolizer;

  std::vector<Frame> frames{frame_at(address_value(target, "libc_nanosleep"), FrameKind::innermost),
                            frame_at(address_value(target, "inlined_pc"), FrameKind::cfi),
                            frame_at(address_value(target, "template_pc"), FrameKind::cfi)};
  symbolizer.symbolize(raw, files, frames);
  ASSERT_EQ(frames.size(), 4u);
  EXPECT_NE(frames[0].function.find("nanosleep"), std::string::npos) << frames[0].function;
  EXPECT_EQ(frames[1].function, kInlinedFunction);
  EXPECT_EQ(frames[2].function, kInlinedCaller);
  EXPECT_EQ(frames[3].function, kTemplateFunction);

  // A second pass replaces the inlined frames instead of adding more.
  symbolizer.symbolize(raw, files, frames);
  EXPECT_EQ(frames.size(), 4u);
}

TEST(Symbolize, LibcFunctionAtExactPc) {
  TargetProcess target("symbolize_target");
  ASSERT_NE(target.pid(), 0);
  RawSnapshot raw = mappings_of(target.pid());
  ModuleFiles files(target.pid());
  SymbolizerOptions options;
  options.runtime_source = true;
  Symbolizer symbolizer(options);

  std::vector<Frame> frames{frame_at(address_value(target, "libc_nanosleep"), FrameKind::innermost)};
  symbolizer.symbolize(raw, files, frames);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_NE(frames[0].function.find("nanosleep"), std::string::npos) << frames[0].function;
  EXPECT_EQ(basename_of(frames[0].module), "libc.so.6");
  EXPECT_FALSE(frames[0].build_id.empty());

  // Line information needs libc6-dbg, which installs the debug file here.
  std::string id = frames[0].build_id;
  fs::path debug_file = "/usr/lib/debug/.build-id/" + id.substr(0, 2) + "/" + id.substr(2) + ".debug";
  if (!fs::exists(debug_file)) GTEST_SKIP() << "no libc debug file " << debug_file;
  EXPECT_FALSE(frames[0].file.empty());
  EXPECT_GT(frames[0].line, 0);
}

TEST(Symbolize, RuntimeNamesWithoutSourceByDefault) {
  TargetProcess target("symbolize_target");
  ASSERT_NE(target.pid(), 0);
  RawSnapshot raw = mappings_of(target.pid());
  ModuleFiles files(target.pid());
  Symbolizer symbolizer;

  std::vector<Frame> frames{frame_at(address_value(target, "libc_nanosleep"), FrameKind::innermost)};
  symbolizer.symbolize(raw, files, frames);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_NE(frames[0].function.find("nanosleep"), std::string::npos) << frames[0].function;
  EXPECT_EQ(frames[0].file, "");
  EXPECT_EQ(frames[0].line, 0);
}

TEST(Symbolize, FrameInterruptedBySignalAtExactPc) {
  TargetProcess target("symbolize_target");
  ASSERT_NE(target.pid(), 0);
  RawSnapshot raw = mappings_of(target.pid());
  ModuleFiles files(target.pid());
  Symbolizer symbolizer;

  // A function's first byte is named only when looked up at pc itself; at
  // pc - 1 it would fall in whatever precedes the function.
  RemoteAddress entry = address_value(target, "libc_nanosleep");
  std::vector<Frame> frames{frame_at(address_value(target, "template_pc"), FrameKind::innermost),
                            frame_at(entry, FrameKind::signal), frame_at(entry, FrameKind::cfi)};
  symbolizer.symbolize(raw, files, frames);
  ASSERT_EQ(frames.size(), 3u);
  EXPECT_EQ(frames[1].kind, FrameKind::signal);
  EXPECT_NE(frames[1].function.find("nanosleep"), std::string::npos) << frames[1].function;
  EXPECT_NE(frames[2].function.find("nanosleep"), std::string::npos) << frames[2].function;
}

TEST(Symbolize, ReturnAddressLookedUpBeforePc) {
  TargetProcess target("symbolize_target");
  ASSERT_NE(target.pid(), 0);
  RawSnapshot raw = mappings_of(target.pid());
  ModuleFiles files(target.pid());
  Symbolizer symbolizer;

  RemoteAddress entry = address_value(target, "libc_nanosleep");
  std::vector<Frame> frames = name_return_address(symbolizer, raw, files, entry);
  ASSERT_FALSE(frames.empty());
  EXPECT_EQ(frames.back().function.find("nanosleep"), std::string::npos) << frames.back().function;
}

TEST(Symbolize, BuildIdOfExecutable) {
  TargetProcess target("symbolize_target");
  ASSERT_NE(target.pid(), 0);
  RawSnapshot raw = mappings_of(target.pid());
  ModuleFiles files(target.pid());
  Symbolizer symbolizer;

  const Mapping* executable = mapping_of_file(raw, "/symbolize_target");
  ASSERT_NE(executable, nullptr);
  std::string expected = readelf_build_id(test::target_path("symbolize_target"));
  ASSERT_FALSE(expected.empty());
  EXPECT_EQ(symbolizer.build_id(*executable, files), expected);
}

TEST(Symbolize, StrippedCopyGivesModuleOffset) {
  ScratchDirectory scratch;
  fs::path stripped = scratch.path() / "stripped_target";
  ASSERT_TRUE(run({"objcopy", "--strip-all", test::target_path("symbolize_target"), stripped}));
  TargetProcess target(stripped.string());
  ASSERT_NE(target.pid(), 0);
  RawSnapshot raw = mappings_of(target.pid());
  ModuleFiles files(target.pid());
  Symbolizer symbolizer(debug_root(scratch.path()));

  RemoteAddress pc = address_value(target, "template_pc");
  std::vector<Frame> frames = name_return_address(symbolizer, raw, files, pc);
  ASSERT_EQ(frames.size(), 1u);
  // The executable exports no symbols in .dynsym, so nothing names the pc.
  EXPECT_EQ(frames[0].function, "");
  EXPECT_EQ(frames[0].file, "");
  EXPECT_EQ(frames[0].line, 0);
  EXPECT_EQ(frames[0].module, stripped.string());
  EXPECT_EQ(frames[0].module_offset, pc - address_value(target, "main_bias"));
  EXPECT_EQ(frames[0].build_id, readelf_build_id(test::target_path("symbolize_target")));
}

TEST(Symbolize, DynsymNamesWithoutDebugFile) {
  ScratchDirectory scratch;
  TargetProcess target("symbolize_target");
  ASSERT_NE(target.pid(), 0);
  RawSnapshot raw = mappings_of(target.pid());
  ModuleFiles files(target.pid());
  Symbolizer symbolizer(debug_root(scratch.path()));  // hides libc6-dbg

  std::vector<Frame> frames{frame_at(address_value(target, "libc_nanosleep"), FrameKind::innermost)};
  symbolizer.symbolize(raw, files, frames);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_NE(frames[0].function.find("nanosleep"), std::string::npos) << frames[0].function;
  EXPECT_EQ(frames[0].function.find('@'), std::string::npos) << "symbol version kept";
  EXPECT_EQ(frames[0].file, "");
  EXPECT_EQ(frames[0].line, 0);
}

TEST(Symbolize, SymtabNamesWithoutDwarf) {
  ScratchDirectory scratch;
  fs::path copy = scratch.path() / "no_dwarf_target";
  ASSERT_TRUE(run({"objcopy", "--strip-debug", test::target_path("symbolize_target"), copy}));
  TargetProcess target(copy.string());
  ASSERT_NE(target.pid(), 0);
  RawSnapshot raw = mappings_of(target.pid());
  ModuleFiles files(target.pid());
  Symbolizer symbolizer(debug_root(scratch.path()));

  std::vector<Frame> frames =
      name_return_address(symbolizer, raw, files, address_value(target, "template_pc"));
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].function, kTemplateFunction);
  EXPECT_EQ(frames[0].file, "");
  EXPECT_EQ(frames[0].line, 0);
}

// b_no_lines has no line information and lies in a gap between two address
// ranges of one unit, whose line table ends its first range with a line row
// (tests/targets/line_gap.s). libdwfl would give it that row's line.
TEST(Symbolize, AddressBetweenUnitRangesHasNoLine) {
  ScratchDirectory scratch;
  const std::string sources = std::string(STRAY_SOURCE_DIR) + "/tests/targets/";
  fs::path object = scratch.path() / "line_gap.o";
  fs::path host = scratch.path() / "line_gap_host";
  ASSERT_TRUE(run({"cc", "-c", sources + "line_gap.s", "-o", object.string()}));
  ASSERT_TRUE(run({"cc", "-O1", "-ffunction-sections", "-Wl,--sort-section=name", "-o",
                   host.string(), object.string(), sources + "line_gap_host.c"}));
  TargetProcess target(host.string());
  ASSERT_NE(target.pid(), 0);
  RawSnapshot raw = mappings_of(target.pid());
  ModuleFiles files(target.pid());
  Symbolizer symbolizer;

  std::vector<Frame> frames{frame_at(address_value(target, "no_lines_pc"), FrameKind::innermost)};
  symbolizer.symbolize(raw, files, frames);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].function, "b_no_lines");
  EXPECT_EQ(frames[0].file, "") << "line " << frames[0].line;
  EXPECT_EQ(frames[0].line, 0);

  frames = {frame_at(address_value(target, "with_lines_pc"), FrameKind::innermost)};
  symbolizer.symbolize(raw, files, frames);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].function, "c_with_lines");
  EXPECT_EQ(basename_of(frames[0].file), "line_gap.c");
  EXPECT_EQ(frames[0].line, 10);
}

TEST(Symbolize, DebuglinkFindsDebugFile) {
  ScratchDirectory scratch;
  fs::path debug = scratch.path() / "linked_target.debug";
  fs::path copy = scratch.path() / "linked_target";
  std::string original = test::target_path("symbolize_target");
  ASSERT_TRUE(run({"objcopy", "--only-keep-debug", original, debug}));
  ASSERT_TRUE(run({"objcopy", "--strip-all", "--add-gnu-debuglink=" + debug.string(), original,
                   copy}));
  TargetProcess target(copy.string());
  ASSERT_NE(target.pid(), 0);
  RawSnapshot raw = mappings_of(target.pid());
  ModuleFiles files(target.pid());
  Symbolizer symbolizer(debug_root(scratch.path() / "no-such-root"));

  expect_template_frame(
      name_return_address(symbolizer, raw, files, address_value(target, "template_pc")), target);
  std::vector<Frame> inlined =
      name_return_address(symbolizer, raw, files, address_value(target, "inlined_pc"));
  ASSERT_EQ(inlined.size(), 2u);
  EXPECT_EQ(inlined[0].function, kInlinedFunction);
  EXPECT_EQ(inlined[0].line, line_value(target, "inlined_line"));
  EXPECT_EQ(inlined[1].line, line_value(target, "inlined_call_line"));
}

// Writes the debug part of the target under ROOT/.build-id/xx/yyyy.debug,
// named after `build_id`, and returns its path.
fs::path install_debug_file(const fs::path& root, const std::string& build_id) {
  fs::path directory = root / ".build-id" / build_id.substr(0, 2);
  fs::create_directories(directory);
  fs::path debug = directory / (build_id.substr(2) + ".debug");
  run({"objcopy", "--only-keep-debug", test::target_path("symbolize_target"), debug});
  return debug;
}

TEST(Symbolize, BuildIdDirectoryFindsDebugFile) {
  ScratchDirectory scratch;
  std::string build_id = readelf_build_id(test::target_path("symbolize_target"));
  ASSERT_FALSE(build_id.empty());
  install_debug_file(scratch.path() / "debug", build_id);
  fs::path copy = scratch.path() / "stripped_target";
  ASSERT_TRUE(run({"objcopy", "--strip-all", test::target_path("symbolize_target"), copy}));
  TargetProcess target(copy.string());
  ASSERT_NE(target.pid(), 0);
  RawSnapshot raw = mappings_of(target.pid());
  ModuleFiles files(target.pid());
  Symbolizer symbolizer(debug_root(scratch.path() / "debug"));

  expect_template_frame(
      name_return_address(symbolizer, raw, files, address_value(target, "template_pc")), target);
}

// Flips the last byte of the first occurrence of `build_id` in `path`.
void corrupt_build_id(const fs::path& path, const std::string& build_id) {
  std::string raw_id;
  for (std::size_t i = 0; i + 1 < build_id.size(); i += 2)
    raw_id.push_back(static_cast<char>(std::stoi(build_id.substr(i, 2), nullptr, 16)));
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto at = bytes.find(raw_id);
  ASSERT_NE(at, std::string::npos) << "build-id not found in " << path;
  bytes[at + raw_id.size() - 1] ^= 1;
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

TEST(Symbolize, DebugFileOfOtherBuildRejected) {
  ScratchDirectory scratch;
  std::string build_id = readelf_build_id(test::target_path("symbolize_target"));
  ASSERT_FALSE(build_id.empty());
  fs::path debug = install_debug_file(scratch.path() / "debug", build_id);
  corrupt_build_id(debug, build_id);
  fs::path copy = scratch.path() / "stripped_target";
  ASSERT_TRUE(run({"objcopy", "--strip-all", test::target_path("symbolize_target"), copy}));
  TargetProcess target(copy.string());
  ASSERT_NE(target.pid(), 0);
  RawSnapshot raw = mappings_of(target.pid());
  ModuleFiles files(target.pid());
  Symbolizer symbolizer(debug_root(scratch.path() / "debug"));

  std::vector<Frame> frames =
      name_return_address(symbolizer, raw, files, address_value(target, "template_pc"));
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].function, "");
  EXPECT_EQ(frames[0].line, 0);
}

TEST(Symbolize, DeletedExecutable) {
  ScratchDirectory scratch;
  fs::path copy = scratch.path() / "deleted_target";
  fs::copy_file(test::target_path("symbolize_target"), copy);
  fs::permissions(copy, fs::perms::owner_all);
  TargetProcess target(copy.string());
  ASSERT_NE(target.pid(), 0);
  fs::remove(copy);
  RawSnapshot raw = mappings_of(target.pid());
  ModuleFiles files(target.pid());
  Symbolizer symbolizer;

  const Mapping* executable = mapping_of_file(raw, "/deleted_target");
  ASSERT_NE(executable, nullptr);
  EXPECT_TRUE(executable->deleted);
  std::vector<Frame> frames =
      name_return_address(symbolizer, raw, files, address_value(target, "template_pc"));
  expect_template_frame(frames, target);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].module, copy.string());
}

std::vector<std::uint8_t> read_memory(int pid, const Mapping& mapping) {
  std::vector<std::uint8_t> bytes(mapping.end - mapping.start);
  int fd = ::open(("/proc/" + std::to_string(pid) + "/mem").c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {};
  ssize_t count = ::pread(fd, bytes.data(), bytes.size(), static_cast<off_t>(mapping.start));
  ::close(fd);
  if (count != static_cast<ssize_t>(bytes.size())) return {};
  return bytes;
}

// Link-time address of the .dynsym entry `name` in an ELF image, 0 if absent.
std::uint64_t dynamic_symbol_value(std::vector<std::uint8_t>& image, const std::string& name) {
  elf_version(EV_CURRENT);
  Elf* elf = elf_memory(reinterpret_cast<char*>(image.data()), image.size());
  std::uint64_t value = 0;
  for (Elf_Scn* section = elf_nextscn(elf, nullptr); section && value == 0;
       section = elf_nextscn(elf, section)) {
    GElf_Shdr header;
    if (gelf_getshdr(section, &header) == nullptr || header.sh_type != SHT_DYNSYM) continue;
    Elf_Data* data = elf_getdata(section, nullptr);
    for (std::size_t i = 0; data && i < header.sh_size / header.sh_entsize; ++i) {
      GElf_Sym symbol;
      gelf_getsym(data, static_cast<int>(i), &symbol);
      const char* symbol_name = elf_strptr(elf, header.sh_link, symbol.st_name);
      if (symbol_name != nullptr && name == symbol_name) value = symbol.st_value;
    }
  }
  elf_end(elf);
  return value;
}

TEST(Symbolize, VdsoFromMemoryCopy) {
  TargetProcess target("symbolize_target");
  ASSERT_NE(target.pid(), 0);
  RawSnapshot raw = mappings_of(target.pid());
  ModuleFiles files(target.pid());
  Symbolizer symbolizer;

  const Mapping* vdso = mapping_of_file(raw, "[vdso]");
  ASSERT_NE(vdso, nullptr);
  MemoryCopy copy{vdso->start, read_memory(target.pid(), *vdso)};
  ASSERT_FALSE(copy.bytes.empty());
  std::uint64_t value = dynamic_symbol_value(copy.bytes, "__vdso_clock_gettime");
  ASSERT_NE(value, 0u);
  raw.memory.push_back(copy);

  // The x86_64 vDSO is linked at address 0, so its load bias is its start.
  std::vector<Frame> frames{frame_at(vdso->start + value, FrameKind::innermost)};
  symbolizer.symbolize(raw, files, frames);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_NE(frames[0].function.find("clock_gettime"), std::string::npos) << frames[0].function;
  EXPECT_EQ(frames[0].module, "[vdso]");
  EXPECT_EQ(frames[0].module_offset, value);
  EXPECT_FALSE(frames[0].build_id.empty());
}

TEST(Symbolize, NoMappingLeavesFrameEmpty) {
  TargetProcess target("symbolize_target");
  ASSERT_NE(target.pid(), 0);
  RawSnapshot raw = mappings_of(target.pid());
  ModuleFiles files(target.pid());
  Symbolizer symbolizer;

  std::vector<Frame> frames{frame_at(0x10, FrameKind::innermost)};
  symbolizer.symbolize(raw, files, frames);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].function, "");
  EXPECT_EQ(frames[0].module, "");
  EXPECT_EQ(frames[0].pc, 0x10u);
}

std::chrono::microseconds time_symbolize(Symbolizer& symbolizer, const RawSnapshot& raw,
                                         ModuleFiles& files, std::vector<Frame> frames) {
  auto start = std::chrono::steady_clock::now();
  symbolizer.symbolize(raw, files, frames);
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() -
                                                               start);
}

TEST(Symbolize, RepeatServedFromCache) {
  TargetProcess target("symbolize_target");
  ASSERT_NE(target.pid(), 0);
  RawSnapshot raw = mappings_of(target.pid());
  ModuleFiles files(target.pid());
  Symbolizer symbolizer;
  std::vector<Frame> frames{frame_at(address_value(target, "libc_nanosleep"), FrameKind::innermost),
                            frame_at(address_value(target, "inlined_pc"), FrameKind::cfi),
                            frame_at(address_value(target, "template_pc"), FrameKind::cfi)};

  auto first = time_symbolize(symbolizer, raw, files, frames);
  SymbolizerStats after_first = symbolizer.stats();
  auto second = time_symbolize(symbolizer, raw, files, frames);
  SymbolizerStats after_second = symbolizer.stats();
  // A new snapshot and ModuleFiles of the same process, as `watch` makes.
  RawSnapshot next = mappings_of(target.pid());
  ModuleFiles next_files(target.pid());
  auto third = time_symbolize(symbolizer, next, next_files, frames);
  SymbolizerStats after_third = symbolizer.stats();
  std::printf("symbolize 3 frames: first %lld us, same snapshot %lld us, new snapshot %lld us\n",
              static_cast<long long>(first.count()), static_cast<long long>(second.count()),
              static_cast<long long>(third.count()));

  EXPECT_EQ(after_first.lookups, 3u);
  EXPECT_EQ(after_first.modules_opened, 2u);  // the executable and libc
  EXPECT_EQ(after_second.lookups, after_first.lookups);
  EXPECT_EQ(after_second.cache_hits, after_first.cache_hits + 3);
  EXPECT_EQ(after_second.modules_opened, after_first.modules_opened);
  EXPECT_EQ(after_third.lookups, after_first.lookups);
  EXPECT_EQ(after_third.modules_opened, after_first.modules_opened);
}

bool debuginfod_loaded() {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    if (line.find("libdebuginfod") != std::string::npos) return true;
  }
  return false;
}

TEST(Symbolize, DebuginfodNeverLoaded) {
  ScratchDirectory scratch;
  TargetProcess target("symbolize_target");
  ASSERT_NE(target.pid(), 0);
  RawSnapshot raw = mappings_of(target.pid());
  ModuleFiles files(target.pid());
  Symbolizer symbolizer(debug_root(scratch.path()));  // every debug file lookup misses

  std::vector<Frame> frames{frame_at(address_value(target, "libc_nanosleep"), FrameKind::innermost)};
  symbolizer.symbolize(raw, files, frames);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_FALSE(frames[0].function.empty());
  EXPECT_FALSE(debuginfod_loaded());
}

}  // namespace
}  // namespace stray
