// Source lines and inlined frames of programs without .debug_aranges, the
// section through which libdwfl (elfutils 0.188) finds the compile unit of
// an address. Clang 14 does not emit it by default. The targets are
// tests/targets/lambda_names.cpp built by GCC (lambda_names), the same
// binary with the section removed by objcopy (lambda_names_no_aranges), and
// the same source built by Clang (lambda_names_clang).
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "stray/inspect.hpp"
#include "support/target_process.hpp"

namespace stray {
namespace {

using test::TargetProcess;

const std::vector<std::string> kRoles = {"condvar_tid", "sleep_tid",  "nested_tid",
                                         "pool_tid",    "reader_tid", "template_tid"};

bool has_section(const std::string& path, const char* section_name) {
  elf_version(EV_CURRENT);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  Elf* elf = elf_begin(fd, ELF_C_READ, nullptr);
  std::size_t names_index = 0;
  bool found = false;
  if (elf != nullptr && elf_getshdrstrndx(elf, &names_index) == 0) {
    for (Elf_Scn* section = elf_nextscn(elf, nullptr); section != nullptr && !found;
         section = elf_nextscn(elf, section)) {
      GElf_Shdr header;
      if (gelf_getshdr(section, &header) == nullptr) continue;
      const char* name = elf_strptr(elf, names_index, header.sh_name);
      found = name != nullptr && std::strcmp(name, section_name) == 0;
    }
  }
  if (elf != nullptr) elf_end(elf);
  ::close(fd);
  return found;
}

const Thread* thread_of(const Snapshot& snapshot, const TargetProcess& target, const std::string& role) {
  const int tid = std::stoi(target.value(role));
  for (const Thread& thread : snapshot.threads) {
    if (thread.tid == tid) return &thread;
  }
  return nullptr;
}

std::string basename_of(const std::string& path) { return path.substr(path.find_last_of('/') + 1); }

TEST(SourceLines, SameWithoutDebugAranges) {
  ASSERT_TRUE(has_section(test::target_path("lambda_names"), ".debug_aranges"));
  ASSERT_FALSE(has_section(test::target_path("lambda_names_no_aranges"), ".debug_aranges"));

  TargetProcess with_aranges("lambda_names");
  TargetProcess without_aranges("lambda_names_no_aranges");
  ASSERT_GT(with_aranges.pid(), 0);
  ASSERT_GT(without_aranges.pid(), 0);
  // Both files have one build-id, and an Inspector caches modules by
  // build-id, so each needs an Inspector of its own.
  Inspector first_inspector;
  Inspector second_inspector;
  const Snapshot expected = first_inspector.inspect(with_aranges.pid());
  const Snapshot actual = second_inspector.inspect(without_aranges.pid());

  for (const std::string& role : kRoles) {
    SCOPED_TRACE(role);
    const Thread* expected_thread = thread_of(expected, with_aranges, role);
    const Thread* actual_thread = thread_of(actual, without_aranges, role);
    ASSERT_NE(expected_thread, nullptr);
    ASSERT_NE(actual_thread, nullptr);
    ASSERT_EQ(actual_thread->frames.size(), expected_thread->frames.size());
    for (std::size_t i = 0; i < expected_thread->frames.size(); ++i) {
      SCOPED_TRACE("frame #" + std::to_string(i) + " " + expected_thread->frames[i].function);
      const Frame& expected_frame = expected_thread->frames[i];
      const Frame& actual_frame = actual_thread->frames[i];
      EXPECT_EQ(actual_frame.function, expected_frame.function);
      EXPECT_EQ(basename_of(actual_frame.file), basename_of(expected_frame.file));
      EXPECT_EQ(actual_frame.line, expected_frame.line);
      EXPECT_EQ(actual_frame.kind, expected_frame.kind);
    }
    EXPECT_EQ(actual_thread->start_routine, expected_thread->start_routine);
  }
}

TEST(SourceLines, ClangBuildHasLinesAndInlinedFrames) {
  if (!STRAY_HAVE_CLANG_TARGET) GTEST_SKIP() << "clang++ was not found when the build was configured";
  ASSERT_FALSE(has_section(test::target_path("lambda_names_clang"), ".debug_aranges"))
      << "Clang now emits .debug_aranges, so this test no longer covers the lookup without it";

  TargetProcess target("lambda_names_clang");
  ASSERT_GT(target.pid(), 0);
  Inspector inspector;
  const Snapshot snapshot = inspector.inspect(target.pid());

  int inlined_frames = 0;
  for (const std::string& role : kRoles) {
    SCOPED_TRACE(role);
    const Thread* thread = thread_of(snapshot, target, role);
    ASSERT_NE(thread, nullptr);
    ASSERT_TRUE(thread->start_routine.has_value());
    const Frame& start = thread->frames.at(*thread->start_routine);
    EXPECT_EQ(basename_of(start.file), "lambda_names.cpp") << start.function;
    EXPECT_GT(start.line, 0) << start.function;
    for (const Frame& frame : thread->frames) {
      if (frame.kind == FrameKind::inlined) ++inlined_frames;
    }
  }
  EXPECT_GT(inlined_frames, 0) << "no inlined frame in any thread of the -O2 Clang build";
}

// The 1-based line of tests/targets/dead_code.cpp that contains `marker`.
int dead_code_line(const std::string& marker) {
  std::ifstream in(std::string(STRAY_SOURCE_DIR) + "/tests/targets/dead_code.cpp");
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.find(marker) != std::string::npos) return number;
  }
  ADD_FAILURE() << "marker '" << marker << "' not found in dead_code.cpp";
  return -1;
}

// The DWARF of the function that --gc-sections removed claims addresses
// from 0 on, which _start, main and park also use. No frame may get a line
// of the removed function. A frame may get no line at all.
void expect_no_removed_code_lines(const std::string& target_name) {
  TargetProcess target(target_name);
  ASSERT_GT(target.pid(), 0);
  Inspector inspector;
  const Snapshot snapshot = inspector.inspect(target.pid());
  ASSERT_EQ(snapshot.threads.size(), 1u);

  const int removed_line = dead_code_line("unused code line");
  const int park_line = dead_code_line("dead_code parks here");
  bool saw_park = false;
  for (const Frame& frame : snapshot.threads[0].frames) {
    SCOPED_TRACE(frame.function);
    EXPECT_NE(frame.line, removed_line);
    if (frame.function == "_start") {
      EXPECT_EQ(frame.line, 0) << frame.file;
    }
    if (frame.function == "park()") {
      saw_park = true;
      if (frame.line != 0) {
        EXPECT_EQ(frame.line, park_line);
      }
    }
  }
  EXPECT_TRUE(saw_park);
}

TEST(SourceLines, NoLineFromRemovedCodeGcc) { expect_no_removed_code_lines("dead_code"); }

TEST(SourceLines, NoLineFromRemovedCodeClang) {
  if (!STRAY_HAVE_CLANG_TARGET) GTEST_SKIP() << "clang++ was not found when the build was configured";
  expect_no_removed_code_lines("dead_code_clang");
}

}  // namespace
}  // namespace stray
