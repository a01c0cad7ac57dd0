// Unwinds real targets captured with capture_process and checks each frame
// against the target's symbol table (read with libelf), against eu-stack,
// and against damaged snapshots.
#include "unwind/unwinder.hpp"

#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <map>
#include <optional>
#include <random>
#include <regex>
#include <sstream>
#include <ctime>

#include <gtest/gtest.h>

#include "capture/capture.hpp"
#include "proc/module_files.hpp"
#include "support/target_process.hpp"

namespace stray {
namespace {

using test::TargetProcess;

struct Symbol {
  std::string name;
  std::uint64_t start = 0;
  std::uint64_t end = 0;
};

// Function symbols of an ELF file's .symtab, at link-time addresses.
std::vector<Symbol> read_function_symbols(const std::string& path) {
  std::vector<Symbol> symbols;
  elf_version(EV_CURRENT);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return symbols;
  Elf* elf = elf_begin(fd, ELF_C_READ, nullptr);
  for (Elf_Scn* section = nullptr; elf && (section = elf_nextscn(elf, section));) {
    GElf_Shdr header;
    if (gelf_getshdr(section, &header) == nullptr || header.sh_type != SHT_SYMTAB) continue;
    Elf_Data* data = elf_getdata(section, nullptr);
    std::size_t count = header.sh_size / header.sh_entsize;
    for (std::size_t i = 0; i < count; ++i) {
      GElf_Sym symbol;
      if (gelf_getsym(data, static_cast<int>(i), &symbol) == nullptr) continue;
      if (GELF_ST_TYPE(symbol.st_info) != STT_FUNC || symbol.st_size == 0) continue;
      const char* name = elf_strptr(elf, header.sh_link, symbol.st_name);
      symbols.push_back({name ? name : "", symbol.st_value, symbol.st_value + symbol.st_size});
    }
  }
  if (elf) elf_end(elf);
  ::close(fd);
  return symbols;
}

// Resolves pcs of the unwind_deep target to its own functions.
class TargetSymbols {
 public:
  TargetSymbols(const TargetProcess& target, const std::string& name)
      : symbols_(read_function_symbols(test::target_path(name))) {
    auto anchor = std::find_if(symbols_.begin(), symbols_.end(),
                               [](const Symbol& s) { return s.name == "chain_thread"; });
    std::uint64_t runtime = std::stoull(target.value("addr_chain_thread"), nullptr, 16);
    if (anchor != symbols_.end()) bias_ = runtime - anchor->start;
  }

  // The target function containing `pc`, or "" for code outside the target.
  std::string function_at(std::uint64_t pc) const {
    for (const auto& symbol : symbols_) {
      if (pc >= symbol.start + bias_ && pc < symbol.end + bias_) return symbol.name;
    }
    return "";
  }

  bool loaded() const { return !symbols_.empty() && bias_ != 0; }

 private:
  std::vector<Symbol> symbols_;
  std::uint64_t bias_ = 0;
};

// The address to look up for a frame: a return address points after the
// call, so pc - 1 is inside the calling function, except for the innermost
// frame and the frame a signal interrupted, whose pc is exact.
std::uint64_t lookup_pc(const std::vector<Frame>& frames, std::size_t i) {
  bool exact = i == 0 || frames[i - 1].kind == FrameKind::signal;
  return exact ? frames[i].pc : frames[i].pc - 1;
}

// Names of the frames inside the target's own functions, innermost first;
// "<signal>" marks a signal frame.
std::vector<std::string> target_frames(const TargetSymbols& symbols, const UnwoundStack& stack) {
  std::vector<std::string> names;
  for (std::size_t i = 0; i < stack.frames.size(); ++i) {
    if (stack.frames[i].kind == FrameKind::signal) {
      names.push_back("<signal>");
      continue;
    }
    std::string name = symbols.function_at(lookup_pc(stack.frames, i));
    if (!name.empty()) names.push_back(name);
  }
  return names;
}

std::size_t thread_index(const RawSnapshot& raw, int tid) {
  for (std::size_t i = 0; i < raw.threads.size(); ++i) {
    if (raw.threads[i].tid == tid) return i;
  }
  return raw.threads.size();
}

class UnwindDeepTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NE(target_.pid(), 0);
    ASSERT_TRUE(symbols_.loaded()) << "no symbols for chain_thread in the target";
    files_ = std::make_unique<ModuleFiles>(target_.pid());
    raw_ = capture_process(target_.pid(), *files_);
  }

  std::size_t index_of(const std::string& thread) const {
    return thread_index(raw_, std::stoi(target_.value("tid_" + thread)));
  }

  TargetProcess target_{"unwind_deep", {"1000"}};
  TargetSymbols symbols_{target_, "unwind_deep"};
  std::unique_ptr<ModuleFiles> files_;
  RawSnapshot raw_;
};

TEST_F(UnwindDeepTest, ChainFramesInCallOrder) {
  Unwinder unwinder;
  auto stacks = unwinder.unwind(raw_, *files_);
  const UnwoundStack& stack = stacks.at(index_of("chain"));

  std::vector<std::string> expected = {"park_in_read", "chain_level4", "chain_level3",
                                       "chain_level2", "chain_level1", "chain_thread"};
  EXPECT_EQ(target_frames(symbols_, stack), expected);
  EXPECT_EQ(stack.end, UnwindEnd::outermost) << stack.detail;
  ASSERT_FALSE(stack.frames.empty());
  EXPECT_EQ(stack.frames[0].kind, FrameKind::innermost);
  for (std::size_t i = 1; i < stack.frames.size(); ++i) {
    EXPECT_EQ(stack.frames[i].kind, FrameKind::cfi) << "frame " << i;
    EXPECT_GT(stack.frames[i].sp, stack.frames[i - 1].sp) << "frame " << i;
  }
}

TEST_F(UnwindDeepTest, SignalFrameBetweenHandlerAndInterrupted) {
  Unwinder unwinder;
  auto stacks = unwinder.unwind(raw_, *files_);
  const UnwoundStack& stack = stacks.at(index_of("signal"));

  std::vector<std::string> expected = {"park_in_read", "handler_level1", "on_signal",
                                       "<signal>",     "park_in_read",   "signal_wait_level1",
                                       "signal_thread"};
  EXPECT_EQ(target_frames(symbols_, stack), expected);
  EXPECT_EQ(stack.end, UnwindEnd::outermost) << stack.detail;
  auto signal_frames = std::count_if(stack.frames.begin(), stack.frames.end(),
                                     [](const Frame& f) { return f.kind == FrameKind::signal; });
  EXPECT_EQ(signal_frames, 1);
}

TEST_F(UnwindDeepTest, FramePointerFrameMarkedGuessed) {
  Unwinder unwinder;
  auto stacks = unwinder.unwind(raw_, *files_);
  const UnwoundStack& stack = stacks.at(index_of("nocfi"));

  std::vector<std::string> expected = {"park_in_read", "nocfi_callee", "nocfi_trampoline",
                                       "nocfi_caller", "nocfi_thread"};
  EXPECT_EQ(target_frames(symbols_, stack), expected);
  EXPECT_EQ(stack.end, UnwindEnd::outermost) << stack.detail;
  std::vector<std::string> guessed;
  for (std::size_t i = 0; i < stack.frames.size(); ++i) {
    if (stack.frames[i].kind == FrameKind::frame_pointer) {
      guessed.push_back(symbols_.function_at(lookup_pc(stack.frames, i)));
    }
  }
  EXPECT_EQ(guessed, std::vector<std::string>{"nocfi_caller"});
}

TEST_F(UnwindDeepTest, DeepRecursionHitsFrameLimit) {
  Unwinder unwinder(UnwindOptions{.max_frames = 256});
  auto stacks = unwinder.unwind(raw_, *files_);
  const UnwoundStack& stack = stacks.at(index_of("recursion"));

  EXPECT_EQ(stack.end, UnwindEnd::frame_limit);
  EXPECT_EQ(stack.frames.size(), 256u);
  EXPECT_NE(stack.detail.find("256"), std::string::npos) << stack.detail;
}

TEST_F(UnwindDeepTest, DeepRecursionUnwindsWhole) {
  Unwinder unwinder(UnwindOptions{.max_frames = 4096});
  auto stacks = unwinder.unwind(raw_, *files_);
  const UnwoundStack& stack = stacks.at(index_of("recursion"));

  auto names = target_frames(symbols_, stack);
  EXPECT_EQ(std::count(names.begin(), names.end(), "recurse"), 1001);
  ASSERT_FALSE(names.empty());
  EXPECT_EQ(names.back(), "recursion_thread");
  EXPECT_EQ(stack.end, UnwindEnd::outermost) << stack.detail;
}

TEST_F(UnwindDeepTest, TruncatedCopyReportsExhausted) {
  RawThread& thread = raw_.threads.at(index_of("recursion"));
  ASSERT_GT(thread.stack.bytes.size(), 8192u);
  thread.stack.bytes.resize(4096);
  thread.stack.truncated = true;

  Unwinder unwinder(UnwindOptions{.max_frames = 4096});
  auto stacks = unwinder.unwind(raw_, *files_);
  const UnwoundStack& stack = stacks.at(index_of("recursion"));

  EXPECT_EQ(stack.end, UnwindEnd::stack_copy_exhausted) << stack.detail;
  EXPECT_GT(stack.frames.size(), 10u);
  for (const Frame& frame : stack.frames) {
    EXPECT_LE(frame.sp, thread.stack.base + 4096) << "frame beyond the copy";
  }
}

TEST_F(UnwindDeepTest, CaptureCapReportsExhausted) {
  CaptureOptions options;
  options.stack_cap = 16 * 1024;
  RawSnapshot capped = capture_process(target_.pid(), *files_, options);
  std::size_t index = thread_index(capped, std::stoi(target_.value("tid_recursion")));
  ASSERT_LT(index, capped.threads.size());
  ASSERT_TRUE(capped.threads[index].stack.truncated);

  Unwinder unwinder(UnwindOptions{.max_frames = 4096});
  auto stacks = unwinder.unwind(capped, *files_);

  EXPECT_EQ(stacks[index].end, UnwindEnd::stack_copy_exhausted) << stacks[index].detail;
}

TEST_F(UnwindDeepTest, MissingRegistersReported) {
  RawThread& thread = raw_.threads.at(index_of("chain"));
  thread.registers_valid = false;

  Unwinder unwinder;
  auto stacks = unwinder.unwind(raw_, *files_);
  const UnwoundStack& stack = stacks.at(index_of("chain"));

  EXPECT_EQ(stack.end, UnwindEnd::no_registers);
  EXPECT_TRUE(stack.frames.empty());
  EXPECT_FALSE(stack.detail.empty());
}

TEST_F(UnwindDeepTest, PcOutsideCodeIsBadFrame) {
  RawThread& thread = raw_.threads.at(index_of("chain"));
  thread.registers.rip = 0x10;

  Unwinder unwinder;
  auto stacks = unwinder.unwind(raw_, *files_);
  const UnwoundStack& stack = stacks.at(index_of("chain"));

  EXPECT_EQ(stack.end, UnwindEnd::bad_frame);
  EXPECT_EQ(stack.frames.size(), 1u);
  EXPECT_NE(stack.detail.find("0x10"), std::string::npos) << stack.detail;
}

TEST_F(UnwindDeepTest, CorruptReturnAddressEndsUnwind) {
  // Overwrites every stack word that contains the return address into
  // chain_level2, so the step out of chain_level3 finds garbage.
  Unwinder unwinder;
  auto clean = unwinder.unwind(raw_, *files_);
  const UnwoundStack& chain = clean.at(index_of("chain"));
  RawThread& thread = raw_.threads.at(index_of("chain"));
  std::optional<std::uint64_t> return_into_level2;
  for (std::size_t i = 1; i < chain.frames.size(); ++i) {
    if (symbols_.function_at(chain.frames[i].pc - 1) == "chain_level2") {
      return_into_level2 = chain.frames[i].pc;
    }
  }
  ASSERT_TRUE(return_into_level2);
  auto& bytes = thread.stack.bytes;
  for (std::size_t offset = 0; offset + 8 <= bytes.size(); offset += 8) {
    std::uint64_t word;
    std::memcpy(&word, bytes.data() + offset, 8);
    if (word != *return_into_level2) continue;
    word = 0x4141414141414141;
    std::memcpy(bytes.data() + offset, &word, 8);
  }

  auto stacks = unwinder.unwind(raw_, *files_);
  const UnwoundStack& stack = stacks.at(index_of("chain"));

  EXPECT_EQ(stack.end, UnwindEnd::bad_frame) << stack.detail;
  EXPECT_NE(stack.detail.find("0x4141414141414141"), std::string::npos) << stack.detail;
  auto names = target_frames(symbols_, stack);
  EXPECT_EQ(names.back(), "chain_level3");
}

TEST_F(UnwindDeepTest, SelfLinkedFramePointerIsLoop) {
  // chain_level2 computes its CFA from rbp. A saved rbp that points at
  // itself, next to a return address back into chain_level2, makes every
  // step produce the same frame.
  Unwinder unwinder;
  auto clean = unwinder.unwind(raw_, *files_);
  const UnwoundStack& chain = clean.at(index_of("chain"));
  std::optional<std::uint64_t> in_level2;
  for (std::size_t i = 1; i < chain.frames.size(); ++i) {
    if (symbols_.function_at(chain.frames[i].pc - 1) == "chain_level2") {
      in_level2 = chain.frames[i].pc;
    }
  }
  ASSERT_TRUE(in_level2);
  RawThread& thread = raw_.threads.at(index_of("chain"));
  std::uint64_t frame = (thread.stack.base + 1024) & ~std::uint64_t{7};
  std::memcpy(thread.stack.bytes.data() + (frame - thread.stack.base), &frame, 8);
  std::memcpy(thread.stack.bytes.data() + (frame + 8 - thread.stack.base), &*in_level2, 8);
  thread.registers.rip = *in_level2;
  thread.registers.rbp = frame;
  thread.registers.rsp = frame - 64;

  auto stacks = unwinder.unwind(raw_, *files_);
  const UnwoundStack& stack = stacks.at(index_of("chain"));

  EXPECT_EQ(stack.end, UnwindEnd::loop) << stack.detail;
  EXPECT_EQ(stack.frames.size(), 2u);
  EXPECT_FALSE(stack.detail.empty());
}

TEST_F(UnwindDeepTest, StackPointerGoingDownIsLoop) {
  // With rbp below rsp, chain_level2's rbp-based CFA puts the caller's
  // stack pointer below the current one.
  Unwinder unwinder;
  auto clean = unwinder.unwind(raw_, *files_);
  const UnwoundStack& chain = clean.at(index_of("chain"));
  std::optional<std::uint64_t> in_level2;
  for (std::size_t i = 1; i < chain.frames.size(); ++i) {
    if (symbols_.function_at(chain.frames[i].pc - 1) == "chain_level2") {
      in_level2 = chain.frames[i].pc;
    }
  }
  ASSERT_TRUE(in_level2);
  RawThread& thread = raw_.threads.at(index_of("chain"));
  std::uint64_t frame = (thread.stack.base + 1024) & ~std::uint64_t{7};
  std::uint64_t saved_rbp = frame + 2048;
  std::memcpy(thread.stack.bytes.data() + (frame - thread.stack.base), &saved_rbp, 8);
  std::memcpy(thread.stack.bytes.data() + (frame + 8 - thread.stack.base), &*in_level2, 8);
  thread.registers.rip = *in_level2;
  thread.registers.rbp = frame;
  thread.registers.rsp = frame + 512;

  auto stacks = unwinder.unwind(raw_, *files_);
  const UnwoundStack& stack = stacks.at(index_of("chain"));

  EXPECT_EQ(stack.end, UnwindEnd::loop) << stack.detail;
  EXPECT_EQ(stack.frames.size(), 1u);
  EXPECT_NE(stack.detail.find("below"), std::string::npos) << stack.detail;
}

TEST_F(UnwindDeepTest, GarbageStacksNeverCrash) {
  std::mt19937_64 random(12345);
  Unwinder unwinder;
  std::vector<UnwoundStack> stacks;
  for (int round = 0; round < 200; ++round) {
    RawSnapshot damaged = raw_;
    for (RawThread& thread : damaged.threads) {
      for (auto& byte : thread.stack.bytes) byte = static_cast<std::uint8_t>(random());
      if (round % 2 == 1) thread.registers.rbp = thread.stack.base + random() % 4096;
      if (round % 3 == 2) thread.registers.rsp = thread.stack.base + random() % 65536;
    }
    stacks = unwinder.unwind(damaged, *files_);
    for (const UnwoundStack& stack : stacks) {
      EXPECT_NE(stack.end, UnwindEnd::no_registers);
      if (stack.end != UnwindEnd::outermost) {
        EXPECT_FALSE(stack.detail.empty()) << to_string(stack.end);
      }
      EXPECT_LE(stack.frames.size(), 256u);
    }
  }
}

TEST_F(UnwindDeepTest, SecondSnapshotGivesSameFrames) {
  Unwinder unwinder;
  auto first = unwinder.unwind(raw_, *files_);
  ModuleFiles files(target_.pid());
  RawSnapshot again = capture_process(target_.pid(), files);
  auto second = unwinder.unwind(again, files);

  std::size_t chain_first = index_of("chain");
  std::size_t chain_second = thread_index(again, std::stoi(target_.value("tid_chain")));
  ASSERT_LT(chain_second, second.size());
  ASSERT_EQ(first[chain_first].frames.size(), second[chain_second].frames.size());
  for (std::size_t i = 0; i < first[chain_first].frames.size(); ++i) {
    EXPECT_EQ(first[chain_first].frames[i].pc, second[chain_second].frames[i].pc) << i;
  }
}

TEST_F(UnwindDeepTest, RepeatedUnwindReusesSameStacks) {
  Unwinder unwinder;
  auto first = unwinder.unwind(raw_, *files_);
  EXPECT_EQ(unwinder.reused_stacks(), 0u);
  auto second = unwinder.unwind(raw_, *files_);
  EXPECT_EQ(unwinder.reused_stacks(), raw_.threads.size());

  ASSERT_EQ(first.size(), second.size());
  for (std::size_t i = 0; i < first.size(); ++i) {
    EXPECT_EQ(first[i].end, second[i].end) << "thread " << i;
    EXPECT_EQ(first[i].detail, second[i].detail) << "thread " << i;
    ASSERT_EQ(first[i].frames.size(), second[i].frames.size()) << "thread " << i;
    for (std::size_t j = 0; j < first[i].frames.size(); ++j) {
      EXPECT_EQ(first[i].frames[j].pc, second[i].frames[j].pc) << "thread " << i << " frame " << j;
      EXPECT_EQ(first[i].frames[j].sp, second[i].frames[j].sp) << "thread " << i << " frame " << j;
      EXPECT_EQ(first[i].frames[j].kind, second[i].frames[j].kind) << "thread " << i << " frame " << j;
    }
  }
}

TEST_F(UnwindDeepTest, ChangedRegistersUnwindAgain) {
  Unwinder unwinder;
  auto first = unwinder.unwind(raw_, *files_);
  ASSERT_GT(first.at(index_of("chain")).frames.size(), 1u);
  raw_.threads.at(index_of("chain")).registers.rip = 0x10;

  auto second = unwinder.unwind(raw_, *files_);
  const UnwoundStack& stack = second.at(index_of("chain"));

  EXPECT_EQ(unwinder.reused_stacks(), raw_.threads.size() - 1);
  EXPECT_EQ(stack.end, UnwindEnd::bad_frame);
  EXPECT_EQ(stack.frames.size(), 1u);
}

TEST_F(UnwindDeepTest, ChangedMemoryCopyUnwindsAgain) {
  Unwinder unwinder;
  unwinder.unwind(raw_, *files_);
  ASSERT_FALSE(raw_.memory.empty());
  raw_.memory.front().bytes.push_back(0);

  unwinder.unwind(raw_, *files_);

  EXPECT_EQ(unwinder.reused_stacks(), 0u);
}

// Returns the address of function `name` in the [vdso] copy of `raw`, found
// through the image's own symbol table, or 0.
std::uint64_t vdso_function(const RawSnapshot& raw, const std::string& name) {
  auto mapping = std::find_if(raw.mappings.begin(), raw.mappings.end(),
                              [](const Mapping& m) { return m.path == "[vdso]"; });
  if (mapping == raw.mappings.end()) return 0;
  auto copy = std::find_if(raw.memory.begin(), raw.memory.end(),
                           [&](const MemoryCopy& c) { return c.base == mapping->start; });
  if (copy == raw.memory.end()) return 0;

  std::vector<char> image(copy->bytes.begin(), copy->bytes.end());
  elf_version(EV_CURRENT);
  Elf* elf = elf_memory(image.data(), image.size());
  std::uint64_t address = 0;
  for (Elf_Scn* section = nullptr; elf && (section = elf_nextscn(elf, section));) {
    GElf_Shdr header;
    if (gelf_getshdr(section, &header) == nullptr || header.sh_type != SHT_DYNSYM) continue;
    Elf_Data* data = elf_getdata(section, nullptr);
    for (std::size_t i = 0; i < header.sh_size / header.sh_entsize; ++i) {
      GElf_Sym symbol;
      if (gelf_getsym(data, static_cast<int>(i), &symbol) == nullptr) continue;
      const char* symbol_name = elf_strptr(elf, header.sh_link, symbol.st_name);
      if (symbol_name && name == symbol_name) address = copy->base + symbol.st_value;
    }
  }
  if (elf) elf_end(elf);
  return address;
}

TEST_F(UnwindDeepTest, VdsoFrameUnwindsThroughCopy) {
  // Places the chain thread at the entry of a vDSO function as if
  // chain_level1 had just called it: the return address into chain_level1
  // is at the new stack pointer. chain_level1 is chosen because no frame
  // above it computes its CFA from rbp, whose value there is not known.
  Unwinder unwinder;
  auto clean = unwinder.unwind(raw_, *files_);
  const UnwoundStack& chain = clean.at(index_of("chain"));
  std::size_t caller = chain.frames.size();
  for (std::size_t i = 1; i < chain.frames.size(); ++i) {
    if (symbols_.function_at(chain.frames[i].pc - 1) == "chain_level1") caller = i;
  }
  ASSERT_LT(caller, chain.frames.size());
  std::uint64_t entry = vdso_function(raw_, "__vdso_clock_gettime");
  ASSERT_NE(entry, 0u) << "no __vdso_clock_gettime in the [vdso] copy";
  RawThread& thread = raw_.threads.at(index_of("chain"));
  thread.registers.rip = entry;
  thread.registers.rsp = chain.frames[caller].sp - 8;

  auto stacks = unwinder.unwind(raw_, *files_);
  const UnwoundStack& stack = stacks.at(index_of("chain"));

  ASSERT_EQ(stack.frames.size(), chain.frames.size() - caller + 1) << stack.detail;
  EXPECT_EQ(stack.frames[0].pc, entry);
  for (std::size_t i = 1; i < stack.frames.size(); ++i) {
    EXPECT_EQ(stack.frames[i].pc, chain.frames[caller + i - 1].pc) << "frame " << i;
    EXPECT_EQ(stack.frames[i].kind, FrameKind::cfi) << "frame " << i;
  }
  EXPECT_EQ(stack.end, UnwindEnd::outermost) << stack.detail;
}

// Parses `eu-stack -p PID` output: "TID N:" headers, then "#K 0xPC ..." lines.
std::map<int, std::vector<std::uint64_t>> parse_eu_stack(const std::string& text) {
  std::map<int, std::vector<std::uint64_t>> threads;
  std::regex header(R"(^TID (\d+):)");
  std::regex frame(R"(^#\d+\s+0x([0-9a-f]+))");
  std::istringstream lines(text);
  std::vector<std::uint64_t>* current = nullptr;
  for (std::string line; std::getline(lines, line);) {
    std::smatch match;
    if (std::regex_search(line, match, header)) {
      current = &threads[std::stoi(match[1])];
    } else if (current && std::regex_search(line, match, frame)) {
      current->push_back(std::stoull(match[1], nullptr, 16));
    }
  }
  return threads;
}

TEST_F(UnwindDeepTest, SameFramesAsEuStack) {
  auto result = test::run_command({"eu-stack", "-n", "0", "-p", std::to_string(target_.pid())});
  if (result.exit_code() == 127) GTEST_SKIP() << "eu-stack is not installed";
  auto reference = parse_eu_stack(result.out);
  // The main thread may still be returning from the write of "ready" when
  // SetUp captures, so both sides look at the process after eu-stack.
  RawSnapshot raw = capture_process(target_.pid(), *files_);
  ASSERT_EQ(reference.size(), raw.threads.size()) << result.out << result.err;

  Unwinder unwinder(UnwindOptions{.max_frames = 4096});
  auto stacks = unwinder.unwind(raw, *files_);
  for (std::size_t t = 0; t < raw.threads.size(); ++t) {
    const auto& expected = reference[raw.threads[t].tid];
    std::vector<std::uint64_t> pcs;
    for (const Frame& frame : stacks[t].frames) pcs.push_back(frame.pc);
    EXPECT_EQ(pcs.size(), expected.size()) << "tid " << raw.threads[t].tid;
    EXPECT_EQ(pcs, expected) << "tid " << raw.threads[t].tid;
  }
}

const char* cache_name(UnwindCache cache) {
  switch (cache) {
    case UnwindCache::global: return "global";
    case UnwindCache::per_thread: return "per_thread";
    case UnwindCache::none: return "none";
  }
  return "?";
}

double elapsed_ms(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

double thread_cpu_ms() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) * 1e3 + static_cast<double>(now.tv_nsec) / 1e6;
}

std::size_t total_frames(const std::vector<UnwoundStack>& stacks) {
  std::size_t total = 0;
  for (const auto& stack : stacks) total += stack.frames.size();
  return total;
}

// Unwinds 1001 threads of about 22 frames with each libunwind cache policy,
// twice each: the first call maps the modules and fills the caches, the
// second is what a repeated snapshot of the same process costs.
TEST(UnwindManyThreads, CachePoliciesAgreeAndAreFast) {
  TargetProcess target("unwind_many", {"1000"}, std::chrono::seconds(30));
  ASSERT_NE(target.pid(), 0);
  ModuleFiles files(target.pid());
  // A loaded machine can take longer than the default bound to stop 1001
  // threads, and a thread that did not stop has no registers to unwind.
  CaptureOptions options;
  options.freeze.stop_timeout = std::chrono::seconds(10);
  RawSnapshot raw = capture_process(target.pid(), files, options);
  ASSERT_EQ(raw.threads.size(), 1001u);

  std::map<UnwindCache, std::vector<UnwoundStack>> results;
  std::map<UnwindCache, double> warm_ms;
  for (UnwindCache cache : {UnwindCache::global, UnwindCache::per_thread, UnwindCache::none}) {
    // Without reuse, a later call measures libunwind's cache instead of
    // the copy of the earlier result.
    Unwinder unwinder(UnwindOptions{.cache = cache, .reuse_stacks = false});
    auto start = std::chrono::steady_clock::now();
    auto cold = unwinder.unwind(raw, files);
    double cold_ms = elapsed_ms(start);
    // The machine is shared, so the fastest of several repeated calls is
    // the cost of the unwind itself.
    warm_ms[cache] = 1e9;
    double warm_cpu_ms = 1e9;
    for (int repeat = 0; repeat < 5; ++repeat) {
      start = std::chrono::steady_clock::now();
      double cpu_start = thread_cpu_ms();
      results[cache] = unwinder.unwind(raw, files);
      warm_cpu_ms = std::min(warm_cpu_ms, thread_cpu_ms() - cpu_start);
      warm_ms[cache] = std::min(warm_ms[cache], elapsed_ms(start));
    }
    std::printf("cache %-10s first call %.1f ms, fastest later call %.1f ms (%.1f ms CPU), "
                "%zu frames\n",
                cache_name(cache), cold_ms, warm_ms[cache], warm_cpu_ms,
                total_frames(results[cache]));
    EXPECT_EQ(total_frames(cold), total_frames(results[cache])) << cache_name(cache);
  }

  const auto& global = results[UnwindCache::global];
  EXPECT_GT(total_frames(global), 1000u * 22);
  for (std::size_t t = 0; t < global.size(); ++t) {
    EXPECT_EQ(global[t].end, UnwindEnd::outermost) << "tid " << raw.threads[t].tid << ": "
                                                   << global[t].detail;
    for (UnwindCache other : {UnwindCache::per_thread, UnwindCache::none}) {
      ASSERT_EQ(global[t].frames.size(), results[other][t].frames.size()) << cache_name(other);
      for (std::size_t i = 0; i < global[t].frames.size(); ++i) {
        EXPECT_EQ(global[t].frames[i].pc, results[other][t].frames[i].pc) << cache_name(other);
      }
    }
  }
  // A loose bound for a shared 2-core machine; the measured time is printed
  // above.
  EXPECT_LT(warm_ms[UnwindCache::global], 250.0);
}

TEST(UnwindManyThreads, SameFramesAsEuStack) {
  TargetProcess target("unwind_many", {"1000"}, std::chrono::seconds(30));
  ASSERT_NE(target.pid(), 0);
  auto result = test::run_command({"eu-stack", "-n", "0", "-p", std::to_string(target.pid())});
  if (result.exit_code() == 127) GTEST_SKIP() << "eu-stack is not installed";
  auto reference = parse_eu_stack(result.out);
  ModuleFiles files(target.pid());
  CaptureOptions options;
  options.freeze.stop_timeout = std::chrono::seconds(10);
  RawSnapshot raw = capture_process(target.pid(), files, options);
  ASSERT_EQ(reference.size(), raw.threads.size()) << result.err;

  Unwinder unwinder;
  auto stacks = unwinder.unwind(raw, files);
  std::size_t mismatches = 0;
  for (std::size_t t = 0; t < raw.threads.size(); ++t) {
    std::vector<std::uint64_t> pcs;
    for (const Frame& frame : stacks[t].frames) pcs.push_back(frame.pc);
    if (pcs != reference[raw.threads[t].tid]) ++mismatches;
  }
  EXPECT_EQ(mismatches, 0u);
}

}  // namespace
}  // namespace stray
