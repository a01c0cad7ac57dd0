#include "capture/signal_stack.hpp"

#include <algorithm>
#include <cstring>

namespace stray {

namespace {

// Byte offsets inside the x86_64 struct rt_sigframe the kernel pushes when
// it enters a handler (arch/x86/include/asm/sigframe.h, unchanged since
// Linux 2.6): pretcode, then struct ucontext, whose uc_stack records the
// sigaltstack and whose uc_mcontext the interrupted registers.
constexpr std::uint64_t kPretcode = 0;
constexpr std::uint64_t kAltstackBase = 24;  // uc.uc_stack.ss_sp
constexpr std::uint64_t kAltstackSize = 40;  // uc.uc_stack.ss_size
constexpr std::uint64_t kSavedRsp = 168;     // uc.uc_mcontext.rsp
constexpr std::uint64_t kSavedRip = 176;     // uc.uc_mcontext.rip
constexpr std::uint64_t kFrameBytes = kSavedRip + 8;

// A handler's frames sit between its stack pointer and the signal frame;
// the search gives up this far above the stack pointer.
constexpr std::uint64_t kSearchLimit = 256 * 1024;

const Mapping* mapping_at(const std::vector<Mapping>& mappings, RemoteAddress address) {
  auto it = std::find_if(mappings.begin(), mappings.end(),
                         [&](const Mapping& mapping) { return mapping.contains(address); });
  return it == mappings.end() ? nullptr : &*it;
}

bool executable_at(const std::vector<Mapping>& mappings, RemoteAddress address) {
  const Mapping* mapping = mapping_at(mappings, address);
  return mapping != nullptr && mapping->executable();
}

std::uint64_t word_at(const StackCopy& stack, std::uint64_t offset) {
  std::uint64_t word;
  std::memcpy(&word, stack.bytes.data() + offset, sizeof word);
  return word;
}

// Checks that the signal frame candidate at `offset` into the copy was
// pushed on a sigaltstack over code that ran elsewhere.
std::optional<RemoteAddress> saved_rsp_if_frame(const StackCopy& stack, std::uint64_t offset,
                                                const std::vector<Mapping>& mappings) {
  RemoteAddress frame = stack.base + offset;
  RemoteAddress altstack = word_at(stack, offset + kAltstackBase);
  std::uint64_t altstack_size = word_at(stack, offset + kAltstackSize);
  if (altstack_size == 0 || frame < altstack || frame - altstack >= altstack_size) return {};
  if (!executable_at(mappings, word_at(stack, offset + kPretcode))) return {};
  if (!executable_at(mappings, word_at(stack, offset + kSavedRip))) return {};

  RemoteAddress rsp = word_at(stack, offset + kSavedRsp);
  bool on_altstack = rsp >= altstack && rsp - altstack < altstack_size;
  if (on_altstack || mapping_at(mappings, rsp) == nullptr) return {};
  return rsp;
}

}  // namespace

std::optional<RemoteAddress> interrupted_stack_pointer(const RawThread& thread,
                                                       const std::vector<Mapping>& mappings) {
  const StackCopy& stack = thread.stack;
  RemoteAddress sp = thread.registers.rsp;
  if (sp < stack.base || stack.bytes.size() < kFrameBytes) return {};
  std::uint64_t first = (sp - stack.base + 7) & ~std::uint64_t{7};
  std::uint64_t last = std::min<std::uint64_t>(stack.bytes.size() - kFrameBytes,
                                               first + kSearchLimit);
  for (std::uint64_t offset = first; offset <= last; offset += 8) {
    if (auto rsp = saved_rsp_if_frame(stack, offset, mappings)) return rsp;
  }
  return {};
}

}  // namespace stray
